package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// Class says how risky a schema change is.
type Class int

// The classes of a change, from harmless to dangerous.
const (
	// Safe changes accept every document the old schema accepted: adding
	// an optional field, a table or an index, widening a type, making a
	// required field optional. They need no check of existing data.
	Safe Class = iota
	// NeedsData changes hold only if the existing documents already
	// satisfy them: making a field required, narrowing a type, removing a
	// field, adding a required field. A push checks every document of the
	// table and refuses the change if any does not conform.
	NeedsData
	// Destructive changes lose something: dropping an index queries may
	// use, dropping a table (with its documents).
	Destructive
)

var classNames = [...]string{Safe: "safe", NeedsData: "needs data", Destructive: "destructive"}

// String returns "safe", "needs data" or "destructive".
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// MarshalText implements encoding.TextMarshaler ("safe", "needs_data",
// "destructive").
func (c Class) MarshalText() ([]byte, error) {
	return []byte(strings.ReplaceAll(c.String(), " ", "_")), nil
}

// ChangeKind names what a Change does.
type ChangeKind string

// The kinds of change Diff reports.
const (
	AddTable     ChangeKind = "add_table"
	RemoveTable  ChangeKind = "remove_table" // the table leaves the schema; its data stays
	AddField     ChangeKind = "add_field"
	RemoveField  ChangeKind = "remove_field"
	MakeOptional ChangeKind = "make_optional"
	MakeRequired ChangeKind = "make_required"
	WidenField   ChangeKind = "widen_field"
	ChangeField  ChangeKind = "change_field" // narrows the type, or changes it to an unrelated one
	AddIndex     ChangeKind = "add_index"
	DropIndex    ChangeKind = "drop_index"
	ChangeIndex  ChangeKind = "change_index" // same name, other fields: rebuilt
)

// Change is one difference between two schemas, with its class and, for
// a change that is not safe, the safe sequence to use instead.
type Change struct {
	Kind  ChangeKind `json:"kind"`
	Class Class      `json:"class"`
	Table string     `json:"table"`
	Field string     `json:"field,omitempty"` // top-level field name
	Index string     `json:"index,omitempty"`
	Old   string     `json:"old,omitempty"` // type expression or index fields before
	New   string     `json:"new,omitempty"` // after
	// Summary describes the change in one line ("field avatarUrl becomes
	// required").
	Summary string `json:"summary"`
	// Fix is the safe sequence for a change that is not safe, empty for a
	// safe one.
	Fix string `json:"fix,omitempty"`
}

// String returns "[class] summary", followed by " — instead: fix" when
// there is a fix.
func (c Change) String() string {
	s := "[" + c.Class.String() + "] " + c.Summary
	if c.Fix != "" {
		s += ": " + c.Fix
	}
	return s
}

// Diff is the difference between a deployed schema and a new one.
type Diff struct {
	// Changes in a stable order: by table, then fields, then indexes.
	Changes []Change `json:"changes"`
	// Check lists the tables, sorted, whose existing documents must be
	// checked against the new schema: those whose new validator may
	// reject a document the old one accepted, and tables that are new to
	// the schema (they may already hold unchecked documents).
	Check []string `json:"check"`
}

// Class returns the highest class of the changes (Safe when there are
// none).
func (d *Diff) Class() Class {
	c := Safe
	for _, ch := range d.Changes {
		c = max(c, ch.Class)
	}
	return c
}

// Empty reports whether the schemas are the same.
func (d *Diff) Empty() bool { return len(d.Changes) == 0 }

// Compare returns the changes that turn old into new. A nil old is the
// empty schema (no table is checked: every document was accepted).
// Compare reads its arguments only and is deterministic.
func Compare(old, new *Schema) *Diff {
	d := &Diff{}
	oldT, newT := tablesOf(old), tablesOf(new)
	for _, name := range unionKeys(oldT, newT) {
		o, n := oldT[name], newT[name]
		switch {
		case o == nil:
			d.Changes = append(d.Changes, Change{Kind: AddTable, Class: Safe, Table: name,
				Summary: "add table " + name})
			d.Check = append(d.Check, name)
			for _, ix := range n.Indexes {
				d.Changes = append(d.Changes, addIndex(name, ix))
			}
		case n == nil:
			d.Changes = append(d.Changes, Change{Kind: RemoveTable, Class: Safe, Table: name,
				Summary: "remove table " + name + " from the schema (its documents are kept and no longer validated)"})
		default:
			if !Accepts(n.Fields, o.Fields) {
				d.Check = append(d.Check, name)
			}
			d.Changes = append(d.Changes, diffFields(name, o.Fields, n.Fields)...)
			d.Changes = append(d.Changes, diffIndexes(name, o.Indexes, n.Indexes)...)
		}
	}
	return d
}

func tablesOf(s *Schema) map[string]*Table {
	if s == nil {
		return nil
	}
	return s.Tables
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

const (
	fixMakeRequired = "keep it optional, backfill it with a migration, then make it required"
	fixAddRequired  = "add it as optional, backfill it with a migration, then make it required"
	fixRemove       = "make it optional, deploy code that no longer writes it, remove it from every document with a migration, then remove it from the schema"
	fixNarrow       = "add a new optional field of the new type, backfill it from the old one with a migration, switch the code to it, then remove the old field"
	fixDropIndex    = "deploy code that no longer queries the index first; queries that use it fail once it is dropped"
	fixChangeIndex  = "add an index under a new name, wait until it is ready, switch queries to it, then drop the old one"
)

func diffFields(table string, o, n v.Object) []Change {
	var out []Change
	var removed, required []string // removed fields; fields added as or made required
	for _, f := range unionKeys(o, n) {
		ov, nv := o[f], n[f]
		ch := Change{Table: table, Field: f}
		switch {
		case ov == nil:
			ch.New = nv.String()
			if !isOptional(nv) {
				required = append(required, f)
			}
			if isOptional(nv) {
				ch.Kind, ch.Class, ch.Summary = AddField, Safe, "add optional field "+f+" ("+ch.New+")"
			} else {
				ch.Kind, ch.Class, ch.Summary, ch.Fix = AddField, NeedsData, "add required field "+f+" ("+ch.New+")", fixAddRequired
			}
		case nv == nil:
			ch.Old = ov.String()
			removed = append(removed, f)
			ch.Kind, ch.Class, ch.Summary, ch.Fix = RemoveField, NeedsData, "remove field "+f+" (documents that still hold it are refused)", fixRemove
		case v.Equal(ov, nv):
			continue
		default:
			ch.Old, ch.New = ov.String(), nv.String()
			oe, ne := unwrapOptional(ov), unwrapOptional(nv)
			widens := Accepts(ne, oe)
			switch {
			case isOptional(ov) && !isOptional(nv):
				required = append(required, f)
				ch.Kind, ch.Class, ch.Fix = MakeRequired, NeedsData, fixMakeRequired
				ch.Summary = "field " + f + " becomes required"
				if !widens {
					ch.Summary += " and changes type from " + oe.String() + " to " + ne.String()
					ch.Fix = fixNarrow
				}
			case !widens:
				ch.Kind, ch.Class, ch.Fix = ChangeField, NeedsData, fixNarrow
				ch.Summary = "field " + f + " changes type from " + ch.Old + " to " + ch.New + " (narrower or unrelated)"
				if removes := removedMembers(oe, ne); removes != "" {
					ch.Summary = "field " + f + " no longer accepts " + removes
					ch.Fix = "migrate the documents that hold " + removes + " first, then remove it from the type"
				}
			case !isOptional(ov) && isOptional(nv):
				ch.Kind, ch.Class, ch.Summary = MakeOptional, Safe, "field "+f+" becomes optional"
				if !v.Equal(oe, ne) {
					ch.Summary += " and widens from " + oe.String() + " to " + ne.String()
				}
			default:
				ch.Kind, ch.Class, ch.Summary = WidenField, Safe, "field "+f+" widens from "+ch.Old+" to "+ch.New
			}
		}
		out = append(out, ch)
	}
	// A removed field and a newly required one look like a rename or a
	// type change done in one step: say so.
	if len(removed) == 1 && len(required) == 1 {
		from, to := removed[0], required[0]
		hint := "this looks like renaming or retyping " + from + " as " + to + " in one step: keep (or add) " + to +
			" as optional, backfill it from " + from + " with a migration, switch the code to " + to +
			", make it required, then remove " + from
		for i := range out {
			if out[i].Field == from || out[i].Field == to {
				out[i].Fix = hint
			}
		}
	}
	return out
}

// removedMembers names the literals or union members of o that n no
// longer accepts, when o is a union or literal; "" otherwise.
func removedMembers(o, n v.Validator) string {
	var members []v.Validator
	switch t := o.(type) {
	case *v.UnionType:
		members = t.Members
	case *v.LiteralType:
		members = []v.Validator{t}
	default:
		return ""
	}
	var gone []string
	for _, m := range members {
		if !Accepts(n, m) {
			gone = append(gone, m.String())
		}
	}
	return strings.Join(gone, ", ")
}

func addIndex(table string, ix Index) Change {
	return Change{Kind: AddIndex, Class: Safe, Table: table, Index: ix.Name, New: strings.Join(ix.Fields, ", "),
		Summary: "add index " + ix.Name + " on (" + strings.Join(ix.Fields, ", ") + "), built online"}
}

func diffIndexes(table string, o, n []Index) []Change {
	om, nm := map[string]Index{}, map[string]Index{}
	for _, ix := range o {
		om[ix.Name] = ix
	}
	for _, ix := range n {
		nm[ix.Name] = ix
	}
	var out []Change
	for _, name := range unionKeys(om, nm) {
		oi, inOld := om[name]
		ni, inNew := nm[name]
		switch {
		case !inOld:
			out = append(out, addIndex(table, ni))
		case !inNew:
			out = append(out, Change{Kind: DropIndex, Class: Destructive, Table: table, Index: name,
				Old: strings.Join(oi.Fields, ", "), Summary: "drop index " + name, Fix: fixDropIndex})
		case !slices.Equal(oi.Fields, ni.Fields):
			out = append(out, Change{Kind: ChangeIndex, Class: Destructive, Table: table, Index: name,
				Old: strings.Join(oi.Fields, ", "), New: strings.Join(ni.Fields, ", "),
				Summary: "index " + name + " changes fields from (" + strings.Join(oi.Fields, ", ") + ") to (" +
					strings.Join(ni.Fields, ", ") + "); it is rebuilt and unusable until ready",
				Fix: fixChangeIndex})
		}
	}
	return out
}

func isOptional(x v.Validator) bool {
	o, ok := x.(*v.OptionalType)
	return ok && o != nil
}

func unwrapOptional(x v.Validator) v.Validator {
	if o, ok := x.(*v.OptionalType); ok && o != nil {
		return o.Elem
	}
	return x
}

// Accepts reports whether every value that old accepts is also accepted
// by new: new is the same type or a wider one. It is conservative: false
// means "not proven", so a push checks the data. Optional validators are
// compared as object fields (a missing value is accepted by an optional
// new only). Accepts never panics, also on invalid validators (false).
func Accepts(new, old v.Validator) bool { return accepts(new, old, 0) }

func accepts(n, o v.Validator, depth int) bool {
	if depth > 2*value.MaxDepth || n == nil || o == nil || n.Kind() == v.KindInvalid || o.Kind() == v.KindInvalid {
		return false
	}
	if n.Kind() == v.KindAny && !isOptional(o) {
		return true
	}
	// A union is accepted when each of its members is.
	if u, ok := o.(*v.UnionType); ok {
		for _, m := range u.Members {
			if !accepts(n, m, depth+1) {
				return false
			}
		}
		return true
	}
	switch nt := n.(type) {
	case *v.UnionType:
		for _, m := range nt.Members {
			if accepts(m, o, depth+1) {
				return true
			}
		}
		return false
	case *v.OptionalType:
		return accepts(nt.Elem, unwrapOptional(o), depth+1)
	case v.Basic:
		switch ot := o.(type) {
		case v.Basic:
			return ot.Kind() == nt.Kind()
		case *v.LiteralType:
			switch ot.Value.(type) {
			case string:
				return nt.Kind() == v.KindString
			case float64:
				return nt.Kind() == v.KindNumber
			case int64:
				return nt.Kind() == v.KindInt64
			case bool:
				return nt.Kind() == v.KindBoolean
			}
		case *v.IDType:
			return nt.Kind() == v.KindString
		}
	case *v.LiteralType:
		ot, ok := o.(*v.LiteralType)
		return ok && literalSame(nt.Value, ot.Value)
	case *v.IDType:
		ot, ok := o.(*v.IDType)
		return ok && ot.Table == nt.Table
	case *v.ArrayType:
		ot, ok := o.(*v.ArrayType)
		return ok && accepts(nt.Elem, ot.Elem, depth+1)
	case v.Object:
		ot, ok := o.(v.Object)
		return ok && objectAccepts(nt, ot, depth)
	case *v.RecordType:
		switch ot := o.(type) {
		case *v.RecordType:
			return accepts(nt.Key, ot.Key, depth+1) && accepts(nt.Value, ot.Value, depth+1)
		case v.Object:
			for k, fv := range ot {
				if nt.Key.Validate(k) != nil || !accepts(nt.Value, unwrapOptional(fv), depth+1) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func objectAccepts(n, o v.Object, depth int) bool {
	for k, ov := range o {
		nv, ok := n[k]
		if !ok {
			return false // documents may hold k; n rejects it
		}
		if isOptional(ov) && !isOptional(nv) {
			return false
		}
		if !accepts(unwrapOptional(nv), unwrapOptional(ov), depth+1) {
			return false
		}
	}
	for k, nv := range n {
		if _, ok := o[k]; !ok && !isOptional(nv) {
			return false // documents lack k; n requires it
		}
	}
	return true
}

func literalSame(a, b any) bool {
	switch a.(type) {
	case string, float64, int64, bool:
		return value.Equal(a, b)
	}
	return false
}
