package v

import (
	"fmt"
	"reflect"
	"time"

	"github.com/strata-db/strata/value"
)

// For derives the validator of the documents a struct type T is stored as
// (see value.Convert and the field rules in package value): the validator
// accepts exactly what converting a T produces, so every T passes it.
// The system fields _id and _creationTime are left out. Field types map to
//
//	string kinds                     String
//	string kind with id=table         ID(table)   (`strata:"author,id=users"`)
//	bool                             Boolean
//	every integer kind               Int64
//	float32, float64                 Number
//	a slice of a byte kind           Bytes
//	slice, array                     Array(elem)
//	map with string-kind keys        Record(String(), elem)
//	struct                           Object of its fields
//	any (empty interface)            Any
//	pointer field                    Optional(elem): a nil pointer field is omitted;
//	                                 with `nullable`, Union(Null(), elem) instead
//	pointer elsewhere                Union(Null(), elem)
//	omitempty                        Optional(elem)
//
// Everything else is an error naming the field path and the Go type:
// channels, functions, complex numbers, time.Time, maps with other key
// types, interfaces with methods (a union needs explicit validators), a
// strata.ID field without id=table, and types that contain themselves.
func For[T any]() (Object, error) {
	return ForType(reflect.TypeFor[T]())
}

// ForType is For for a reflect.Type; t must be a struct type or a pointer
// to one.
func ForType(t reflect.Type) (Object, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("v: validator for Go type %s: not a struct", t)
	}
	d := deriver{visiting: map[reflect.Type]bool{}}
	obj, err := d.object(t, "")
	if err != nil {
		return nil, fmt.Errorf("v: validator for Go type %s: %w", t, err)
	}
	return obj, nil
}

type deriver struct {
	visiting map[reflect.Type]bool
}

var (
	typeID   = reflect.TypeFor[value.ID]()
	typeTime = reflect.TypeFor[time.Time]()
)

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (d deriver) object(t reflect.Type, path string) (Object, error) {
	if d.visiting[t] {
		return nil, fmt.Errorf("%s: Go type %s contains itself", orValue(path), t)
	}
	d.visiting[t] = true
	defer delete(d.visiting, t)
	fields, err := value.StructFields(t)
	if err != nil {
		return nil, err
	}
	obj := make(Object, len(fields))
	for _, f := range fields {
		if path == "" && (f.Name == "_id" || f.Name == "_creationTime") {
			continue // system fields: not part of the validated document
		}
		p := join(path, f.Name)
		var val Validator
		if f.IDTable != "" {
			base := f.Type
			if base.Kind() == reflect.Pointer {
				base = base.Elem()
			}
			if base.Kind() != reflect.String {
				return nil, fmt.Errorf("%s: id=%s needs a strata.ID or string field, not %s", p, f.IDTable, f.Type)
			}
			val = ID(f.IDTable)
		} else if f.Type.Kind() == reflect.Pointer {
			if val, err = d.of(f.Type.Elem(), p); err != nil {
				return nil, err
			}
		} else if val, err = d.of(f.Type, p); err != nil {
			return nil, err
		}
		ptr := f.Type.Kind() == reflect.Pointer
		if ptr && f.Nullable {
			val = Union(Null(), val)
		}
		if (ptr && !f.Nullable) || f.OmitEmpty || viaPointer(t, f.Index) {
			val = Optional(val)
		}
		obj[f.Name] = val
	}
	return obj, nil
}

// viaPointer reports whether the field at index is promoted through an
// embedded pointer, which may be nil (then the field is omitted).
func viaPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Pointer {
			return true
		}
		t = ft
	}
	return false
}

func orValue(path string) string {
	if path == "" {
		return "(the value)"
	}
	return path
}

func (d deriver) of(t reflect.Type, path string) (Validator, error) {
	switch t.Kind() {
	case reflect.String:
		if t == typeID {
			return nil, fmt.Errorf("%s: a strata.ID field needs the table it refers to (`strata:\"name,id=table\"`)", orValue(path))
		}
		return String(), nil
	case reflect.Bool:
		return Boolean(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return Int64(), nil
	case reflect.Float32, reflect.Float64:
		return Number(), nil
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return Bytes(), nil
		}
		elem, err := d.of(t.Elem(), path+"[]")
		if err != nil {
			return nil, err
		}
		return Array(elem), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: unsupported Go type %s (map keys must be strings)", orValue(path), t)
		}
		elem, err := d.of(t.Elem(), path+"[]")
		if err != nil {
			return nil, err
		}
		return Record(String(), elem), nil
	case reflect.Pointer:
		elem, err := d.of(t.Elem(), path)
		if err != nil {
			return nil, err
		}
		return Union(Null(), elem), nil
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return Any(), nil
		}
		return nil, fmt.Errorf("%s: interface type %s: a union cannot be derived from an interface (use any, or concrete types)", orValue(path), t)
	case reflect.Struct:
		if t == typeTime {
			return nil, fmt.Errorf("%s: unsupported Go type %s (store UnixMilli() as an int64 or a formatted string)", orValue(path), t)
		}
		return d.object(t, path)
	}
	return nil, fmt.Errorf("%s: unsupported Go type %s", orValue(path), t)
}

// TypeOf derives the validator of the values a Go type t converts to, as
// For does for a struct's fields (t itself may be any supported type: a
// struct gives an Object, a pointer a Union with Null, []string an Array).
func TypeOf(t reflect.Type) (Validator, error) {
	d := deriver{visiting: map[reflect.Type]bool{}}
	val, err := d.of(t, "")
	if err != nil {
		return nil, fmt.Errorf("v: validator for Go type %s: %w", t, err)
	}
	return val, nil
}
