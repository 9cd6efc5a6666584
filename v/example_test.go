package v_test

import (
	"fmt"

	"github.com/strata-db/strata/v"
)

func Example() {
	users := v.Object{
		"name":      v.String(),
		"avatarUrl": v.Optional(v.String()),
		"settings": v.Optional(v.Object{
			"theme":         v.String(),
			"notifications": v.Boolean(),
		}),
	}
	fmt.Println(users.Validate(map[string]any{"name": "Ada"}))
	fmt.Println(users.Validate(map[string]any{"name": "Ada", "settings": map[string]any{"theme": int64(1), "notifications": true}}))
	fmt.Println(users.Validate(map[string]any{}))
	fmt.Println(users.Validate(map[string]any{"name": "Ada", "legacyField": "x"}))

	b, _ := v.MarshalJSON(users)
	fmt.Println(string(b))
	fmt.Println(users)
	// Output:
	// <nil>
	// settings.theme: expected string, found int64
	// name: expected string, found undefined (required field missing)
	// legacyField: unexpected field (not in the validator)
	// {"object":{"avatarUrl":{"optional":"string"},"name":"string","settings":{"optional":{"object":{"notifications":"boolean","theme":"string"}}}}}
	// {avatarUrl?: string, name: string, settings?: {notifications: boolean, theme: string}}
}

func ExampleUnion() {
	status := v.Union(v.Literal("draft"), v.Literal("published"))
	fmt.Println(status.Validate("published"))
	fmt.Println(status.Validate("archived"))
	// Output:
	// <nil>
	// value: expected "draft" | "published", found string "archived"
}

func ExampleParseJSON() {
	val, err := v.ParseJSON([]byte(`{"union": ["number", "null"]}`))
	fmt.Println(val, err)
	_, err = v.ParseJSON([]byte(`{"object": {"settings": {"optional": {"object": {"theme": "strin"}}}}}`))
	fmt.Println(err)
	// Output:
	// number | null <nil>
	// validator: object.settings.optional.object.theme: unknown type name "strin"
}

func ExampleCheck() {
	fmt.Println(v.Check(v.Array(v.Optional(v.String()))))
	// Output:
	// validator: array: optional is allowed only as the type of an object field
}
