package schema_test

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
)

func Example() {
	s, err := schema.New(
		schema.Define("users", v.Object{
			"name":      v.String(),
			"email":     v.String(),
			"avatarUrl": v.Optional(v.String()),
		}).Index("by_email", "email"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := s.MarshalJSON()
	fmt.Println(string(b))
	fmt.Println(s.ValidateDocument("users", map[string]any{"name": "Ada", "email": "ada@example.com"}))
	fmt.Println(s.ValidateDocument("users", map[string]any{"name": "Ada"}))
	// Output:
	// {"tables":{"users":{"fields":{"avatarUrl":{"optional":"string"},"email":"string","name":"string"},"indexes":{"by_email":["email"]}}}}
	// <nil>
	// email: expected string, found undefined (required field missing)
}

func ExampleParse() {
	_, err := schema.Parse([]byte(`{"tables": {"users": {
		"fields": {"email": "string"},
		"indexes": {"by_email": ["emial"]}}}}`))
	fmt.Println(err)
	// Output:
	// schema: tables.users.indexes.by_email: field "emial" not in the document validator
}

func ExampleLookup() {
	doc := map[string]any{"settings": map[string]any{"theme": "dark"}}
	fmt.Println(schema.Lookup(doc, "settings.theme"))
	fmt.Println(schema.Lookup(doc, "settings.font"))
	// Output:
	// dark true
	// <nil> false
}
