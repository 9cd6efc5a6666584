package value

import (
	"reflect"
	"strings"
	"sync"
)

// A struct is an object of its fields. The field's name is taken from its
// tag, like encoding/json's:
//
//	Name   string   `strata:"name"`           // field "name"
//	Nick   *string  `strata:"nick"`           // nil: omitted (an optional field)
//	Alias  *string  `strata:"alias,nullable"` // nil: null
//	Bio    string   `strata:"bio,omitempty"`  // omitted when empty
//	Author ID       `strata:"author,id=users"` // the id option is for schemas
//	ID     ID       `strata:"_id"`            // the document's id
//	Note   string   `json:"note"`             // json tags are the fallback
//	Secret string   `strata:"-"`              // never stored
//	Plain  int                                 // field "Plain"
//
// Unexported fields are skipped. The fields of an embedded struct (or
// pointer to struct) without a name in its tag are promoted into the
// object, as encoding/json does; a nil embedded pointer contributes
// nothing. A nil pointer field is omitted, so a pointer is an optional
// field, unless its tag says nullable: then nil is stored as null (a nil
// pointer anywhere else, in a slice or map, is null). omitempty omits false, 0, "", a nil pointer, interface, slice
// or map, an empty slice, map or array, and a struct whose fields are all
// zero. The system fields _id and _creationTime are omitted when zero
// whatever the tag says, so a struct read from the database can be written
// back and a new one inserted.
//
// A tag that names no usable field is an error, reported by every
// conversion of the type: a name starting with "$", an unknown option, two
// fields with the same name at the same depth of embedding (the shallower
// one wins, as in encoding/json, when depths differ), _id on a field that
// is not a string kind, or _creationTime on one that is not a float.

// StructField describes one field of a struct as strata stores it.
type StructField struct {
	Name      string // the object key
	Index     []int  // for reflect.Value.FieldByIndex
	Type      reflect.Type
	OmitEmpty bool
	Nullable  bool   // a nil pointer is stored as null, not omitted
	IDTable   string // from the id=table option; "" if none
}

type structInfo struct {
	fields []StructField
	err    *Error
}

var structCache sync.Map // reflect.Type → *structInfo

// StructFields returns the fields of the struct type t in the order they
// are declared (embedded fields where the embedding field is), or an
// error for a tag that names no usable field. Results are cached per type.
func StructFields(t reflect.Type) ([]StructField, error) {
	info := structFields(t)
	if info.err != nil {
		return nil, info.err
	}
	return info.fields, nil
}

func structFields(t reflect.Type) *structInfo {
	if x, ok := structCache.Load(t); ok {
		return x.(*structInfo)
	}
	info := buildStructInfo(t)
	x, _ := structCache.LoadOrStore(t, info)
	return x.(*structInfo)
}

type candidate struct {
	StructField
	depth int
}

func buildStructInfo(t reflect.Type) *structInfo {
	var all []candidate
	if err := collectFields(t, nil, 0, &all, map[reflect.Type]bool{}); err != nil {
		return &structInfo{err: err}
	}
	// Resolve duplicate names: the shallowest wins; a tie is an error.
	best := map[string]int{} // name → index in all
	for i, c := range all {
		j, seen := best[c.Name]
		switch {
		case !seen || c.depth < all[j].depth:
			best[c.Name] = i
		case c.depth == all[j].depth:
			return &structInfo{err: newErr("struct " + t.String() + ": two fields named " + quoteTrunc(c.Name) + " at the same depth")}
		}
	}
	info := &structInfo{}
	for i, c := range all {
		if best[c.Name] == i {
			info.fields = append(info.fields, c.StructField)
		}
	}
	return info
}

func collectFields(t reflect.Type, index []int, depth int, out *[]candidate, visiting map[reflect.Type]bool) *Error {
	if visiting[t] {
		return nil // a struct embedding itself through a pointer adds nothing new
	}
	visiting[t] = true
	defer delete(visiting, t)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("strata")
		if !hasTag {
			tag, hasTag = sf.Tag.Lookup("json")
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(append([]int(nil), index...), i)
		ft := sf.Type
		if sf.Anonymous && name == "" {
			if !sf.IsExported() && ft.Kind() == reflect.Pointer {
				continue // cannot be allocated when decoding
			}
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && et != typeTime {
				if err := collectFields(et, idx, depth+1, out, visiting); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		f := StructField{Name: name, Index: idx, Type: ft}
		if f.Name == "" {
			f.Name = sf.Name
		}
		where := "struct " + t.String() + " field " + sf.Name + ": "
		if err := checkKey(f.Name); err != nil {
			return newErr(where + err.Msg)
		}
		for opt := range strings.SplitSeq(opts, ",") {
			switch {
			case opt == "":
			case opt == "omitempty":
				f.OmitEmpty = true
			case opt == "nullable":
				if ft.Kind() != reflect.Pointer {
					return newErr(where + "nullable needs a pointer field, not " + ft.String())
				}
				f.Nullable = true
			case strings.HasPrefix(opt, "id="):
				f.IDTable = strings.TrimPrefix(opt, "id=")
				if f.IDTable == "" {
					return newErr(where + "id= names no table")
				}
			case hasTag && sf.Tag.Get("strata") == "":
				// A json tag's own options (string, omitzero, ...) are
				// not strata's business.
			default:
				return newErr(where + "unknown tag option " + quoteTrunc(opt))
			}
		}
		switch f.Name {
		case "_id":
			if ft.Kind() != reflect.String {
				return newErr(where + "_id must be a strata.ID or string, not " + ft.String())
			}
		case "_creationTime":
			if ft.Kind() != reflect.Float64 {
				return newErr(where + "_creationTime must be a float64, not " + ft.String())
			}
		}
		*out = append(*out, candidate{StructField: f, depth: depth})
	}
	return nil
}

// encodeStruct converts a struct to an object.
func encodeStruct(rv reflect.Value, depth int) (any, *Error) {
	info := structFields(rv.Type())
	if info.err != nil {
		return nil, &Error{Msg: info.err.Msg}
	}
	if depth >= MaxDepth {
		return nil, newErr(errTooDeep)
	}
	out := make(map[string]any, len(info.fields))
	for i := range info.fields {
		f := &info.fields[i]
		fv, ok := fieldByIndex(rv, f.Index)
		if !ok {
			continue // inside a nil embedded pointer
		}
		if (f.OmitEmpty || f.Name == "_id" || f.Name == "_creationTime") && isEmpty(fv) {
			continue
		}
		if fv.Kind() == reflect.Pointer && fv.IsNil() && !f.Nullable {
			continue
		}
		x, err := convertValue(fv, depth+1)
		if err != nil {
			return nil, err.inKey(f.Name)
		}
		out[f.Name] = x
	}
	return out, nil
}

// fieldByIndex is reflect.Value.FieldByIndex, reporting false instead of
// panicking at a nil embedded pointer.
func fieldByIndex(rv reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return reflect.Value{}, false
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, true
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Struct:
		return v.IsZero()
	}
	return v.IsZero()
}
