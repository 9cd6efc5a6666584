package value

import (
	"bytes"
	"reflect"
	"strconv"
)

// Assign stores the value x into the Go variable dst points to: the
// reverse of Convert, used to decode documents into structs. dst must be a
// non-nil pointer. Kinds are never coerced:
//
//	strata value   Go destinations
//	null           pointer, interface, slice, map (set to nil)
//	int64          every integer kind, if it fits (uint kinds: not negative)
//	number         float64, float32 (if it fits)
//	boolean        bool
//	string, id     string kinds (ID included)
//	bytes          a slice of a byte kind (copied)
//	array          slice (a new one), array of the same length
//	object         struct (see Convert for its fields), map with string-kind keys
//	any value      any (interface{}): the value itself, not copied
//
// A pointer destination is allocated when x is not null. A struct
// destination is reset to its zero value first; object fields it has no
// field for are ignored, and fields the object lacks stay zero. A mismatch
// is an *Error (Op "assign") naming the path inside x, what was found and
// the Go type wanted. Assign never panics.
func Assign(x any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Op: "assign", Msg: "destination must be a non-nil pointer, not " + TypeName(dst)}
	}
	if err := assign(x, rv.Elem(), 0); err != nil {
		err.Op = "assign"
		return err
	}
	return nil
}

func mismatch(x any, t reflect.Type) *Error {
	return newErr("found " + TypeName(x) + ", want Go type " + t.String())
}

func assign(x any, rv reflect.Value, depth int) *Error {
	if depth > MaxDepth {
		return newErr(errTooDeep)
	}
	t := rv.Type()
	switch t.Kind() {
	case reflect.Pointer:
		if x == nil {
			rv.SetZero()
			return nil
		}
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		return assign(x, rv.Elem(), depth+1)
	case reflect.Interface:
		if x == nil {
			rv.SetZero()
			return nil
		}
		xv := reflect.ValueOf(x)
		if !xv.Type().AssignableTo(t) {
			return mismatch(x, t)
		}
		rv.Set(xv)
		return nil
	}
	switch v := x.(type) {
	case nil:
		switch t.Kind() {
		case reflect.Slice, reflect.Map:
			rv.SetZero()
			return nil
		}
	case bool:
		if t.Kind() == reflect.Bool {
			rv.SetBool(v)
			return nil
		}
	case int64:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if rv.OverflowInt(v) {
				return newErr("int64 " + strconv.FormatInt(v, 10) + " overflows Go type " + t.String())
			}
			rv.SetInt(v)
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			if v < 0 || rv.OverflowUint(uint64(v)) {
				return newErr("int64 " + strconv.FormatInt(v, 10) + " overflows Go type " + t.String())
			}
			rv.SetUint(uint64(v))
			return nil
		}
	case float64:
		switch t.Kind() {
		case reflect.Float64:
			rv.SetFloat(v)
			return nil
		case reflect.Float32:
			if rv.OverflowFloat(v) {
				return newErr("number " + strconv.FormatFloat(v, 'g', -1, 64) + " overflows Go type " + t.String())
			}
			rv.SetFloat(v)
			return nil
		}
	case string:
		if t.Kind() == reflect.String {
			rv.SetString(v)
			return nil
		}
	case ID:
		if t.Kind() == reflect.String {
			rv.SetString(string(v))
			return nil
		}
	case []byte:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			rv.SetBytes(bytes.Clone(v))
			return nil
		}
	case []any:
		switch t.Kind() {
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 {
				break
			}
			if t == typeStrings && rv.CanAddr() {
				if out, ok := stringsOf(v); ok {
					*rv.Addr().Interface().(*[]string) = out
					return nil
				}
			}
			s := reflect.MakeSlice(t, len(v), len(v))
			for i, e := range v {
				if err := assign(e, s.Index(i), depth+1); err != nil {
					return err.inIndex(i)
				}
			}
			rv.Set(s)
			return nil
		case reflect.Array:
			if len(v) != t.Len() {
				return newErr("array of " + strconv.Itoa(len(v)) + " elements, want Go type " + t.String())
			}
			for i, e := range v {
				if err := assign(e, rv.Index(i), depth+1); err != nil {
					return err.inIndex(i)
				}
			}
			return nil
		}
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			if t == typeTime {
				break
			}
			return assignStruct(v, rv, depth)
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				break
			}
			if t == typeMapAny {
				rv.Set(reflect.ValueOf(v))
				return nil
			}
			m := reflect.MakeMapWithSize(t, len(v))
			et := t.Elem()
			for k, e := range v {
				ev := reflect.New(et).Elem()
				if err := assign(e, ev, depth+1); err != nil {
					return err.inKey(k)
				}
				m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
			}
			rv.Set(m)
			return nil
		}
	}
	return mismatch(x, t)
}

func assignStruct(m map[string]any, rv reflect.Value, depth int) *Error {
	info := structFields(rv.Type())
	if info.err != nil {
		return &Error{Msg: info.err.Msg}
	}
	rv.SetZero()
	for i := range info.fields {
		f := &info.fields[i]
		x, ok := m[f.Name]
		if !ok {
			continue
		}
		if len(f.Index) == 1 {
			// Fast path for the common scalar fields: no recursion.
			fv := rv.Field(f.Index[0])
			switch x := x.(type) {
			case string:
				if fv.Kind() == reflect.String {
					fv.SetString(x)
					continue
				}
			case int64:
				if k := fv.Kind(); (k == reflect.Int64 || k == reflect.Int) && !fv.OverflowInt(x) {
					fv.SetInt(x)
					continue
				}
			case float64:
				if fv.Kind() == reflect.Float64 {
					fv.SetFloat(x)
					continue
				}
			case bool:
				if fv.Kind() == reflect.Bool {
					fv.SetBool(x)
					continue
				}
			}
		}
		fv := rv
		for j, idx := range f.Index {
			if j > 0 && fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					if !fv.CanSet() {
						return newErr("cannot allocate embedded pointer to unexported struct " + fv.Type().Elem().String()).inKey(f.Name)
					}
					fv.Set(reflect.New(fv.Type().Elem()))
				}
				fv = fv.Elem()
			}
			fv = fv.Field(idx)
		}
		if err := assign(x, fv, depth+1); err != nil {
			return err.inKey(f.Name)
		}
	}
	return nil
}

var typeStrings = reflect.TypeFor[[]string]()

// stringsOf is the fast path for []string: false if an element is not a
// string (the general path then reports it).
func stringsOf(v []any) ([]string, bool) {
	out := make([]string, len(v))
	for i, e := range v {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}
