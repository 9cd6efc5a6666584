package strata

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
)

// TableFor defines the table name whose documents are the struct type T:
// its validator is derived from T by v.For (string → v.String, int → v.Int64,
// pointer or omitempty → v.Optional, `strata:"author,id=users"` → v.ID("users"),
// ...), so every T passes it. Chain Index calls as for Table:
//
//	users, err := strata.TableFor[User]("users")
//	s, err := strata.NewSchema(users.Index("by_email", "email"))
//
// A field type with no strata meaning is an error naming the field path.
func TableFor[T any](name string) (*schema.Table, error) {
	fields, err := v.For[T]()
	if err != nil {
		return nil, fmt.Errorf("strata: table %s: %w", name, err)
	}
	return schema.Define(name, fields), nil
}
