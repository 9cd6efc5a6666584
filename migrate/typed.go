package migrate

import (
	"fmt"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/value"
)

// Typed writes a MigrateOne over structs: each document is decoded into an
// Old (see strata.Decode), fn returns what it becomes as a New, and the
// patch sets every field of the New and removes every field the Old
// document had that the New lacks (Unset), so the document ends as the New
// describes it. A New equal to the document as it is gives no patch, so a
// Typed migration is idempotent whenever fn is (as TransformWrites needs).
// The _id and _creationTime of a New are ignored. A document that does not
// fit Old fails the batch with a *strata.DecodeError naming the table,
// document and field path.
//
//	MigrateOne: migrate.Typed(func(u OldUser) (NewUser, error) {
//		first, last, _ := strings.Cut(u.FullName, " ")
//		return NewUser{First: first, Last: last, Email: u.Email}, nil
//	}),
//
// The map form (a func(strata.Doc) (strata.Patch, error)) keeps working;
// Typed only builds one.
func Typed[Old, New any](fn func(old Old) (New, error)) func(doc strata.Doc) (strata.Patch, error) {
	return func(doc strata.Doc) (strata.Patch, error) {
		var old Old
		if err := strata.Decode(doc, &old); err != nil {
			return nil, err
		}
		next, err := fn(old)
		if err != nil {
			return nil, err
		}
		x, err := value.Convert(next)
		if err != nil {
			return nil, fmt.Errorf("migrate: typed: %w", err)
		}
		fields, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("migrate: typed: the new document must be an object, not %s", value.TypeName(x))
		}
		var p strata.Patch
		set := func(k string, v any) {
			if p == nil {
				p = strata.Patch{}
			}
			p[k] = v
		}
		for k, v := range fields {
			if k == strata.FieldID || k == strata.FieldCreationTime {
				continue
			}
			if cur, has := doc[k]; !has || !value.Equal(cur, v) {
				set(k, v)
			}
		}
		for k := range doc {
			if k == strata.FieldID || k == strata.FieldCreationTime {
				continue
			}
			if _, keep := fields[k]; !keep {
				set(k, strata.Unset)
			}
		}
		return p, nil
	}
}
