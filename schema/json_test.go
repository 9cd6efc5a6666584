package schema_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/strata-db/strata/schema"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "schema: invalid JSON at line 1, column 1 (offset 0): unexpected end of JSON input"},
		{"syntax", "{\"tables\": {\n  \"users\": {,}}}", "schema: invalid JSON at line 2, column 13 (offset 25): invalid character ',' looking for beginning of object key string"},
		{"truncated", `{"tables": {`, "schema: invalid JSON at line 1, column 13 (offset 12): unexpected end of JSON input"},
		{"not-object", `[]`, "schema: expected a JSON object, found array"},
		{"missing-tables", `{}`, `schema: missing "tables"`},
		{"unknown-top-key", `{"tables": {}, "version": 2}`, `schema: version: unknown key (a schema has only "tables")`},
		{"tables-not-object", `{"tables": []}`, "schema: tables: expected a JSON object, found array"},
		{"table-not-object", `{"tables": {"users": "string"}}`, "schema: tables.users: expected a JSON object, found string"},
		{"missing-fields", `{"tables": {"users": {}}}`, `schema: tables.users: missing "fields"`},
		{"unknown-table-key", `{"tables": {"users": {"fields": {}, "index": {}}}}`, `schema: tables.users.index: unknown key (a table has "fields" and "indexes")`},
		{"fields-not-object", `{"tables": {"users": {"fields": "string"}}}`, "schema: tables.users.fields: expected a JSON object, found string"},
		{"bad-type-name", `{"tables": {"users": {"fields": {"settings": {"optional": {"object": {"theme": "strin"}}}}}}}`, `schema: tables.users.fields.settings.optional.object.theme: unknown type name "strin"`},
		{"optional-in-union", `{"tables": {"t": {"fields": {"a": {"union": [{"optional": "string"}]}}}}}`, "schema: tables.t.fields.a.union[0]: optional is allowed only as the type of an object field"},
		{"indexes-not-object", `{"tables": {"t": {"fields": {}, "indexes": ["a"]}}}`, "schema: tables.t.indexes: expected a JSON object, found array"},
		{"index-not-array", `{"tables": {"t": {"fields": {"a": "string"}, "indexes": {"by_a": "a"}}}}`, "schema: tables.t.indexes.by_a: expected an array of field paths, found string"},
		{"index-null", `{"tables": {"t": {"fields": {"a": "string"}, "indexes": {"by_a": null}}}}`, "schema: tables.t.indexes.by_a: expected an array of field paths, found null"},
		{"index-not-strings", `{"tables": {"t": {"fields": {"a": "string"}, "indexes": {"by_a": [1]}}}}`, "schema: tables.t.indexes.by_a: expected an array of field paths, found array"},
		{"index-unknown-field", `{"tables": {"users": {"fields": {"email": "string"}, "indexes": {"by_email": ["emial"]}}}}`, `schema: tables.users.indexes.by_email: field "emial" not in the document validator`},
		{"index-empty", `{"tables": {"t": {"fields": {"a": "string"}, "indexes": {"by_a": []}}}}`, "schema: tables.t.indexes.by_a: index has no fields"},
		{"duplicate-table", `{"tables": {"t": {"fields": {}}, "t": {"fields": {}}}}`, `schema: tables: duplicate key "t"`},
		{"duplicate-field", `{"tables": {"t": {"fields": {"a": "string", "a": "int64"}}}}`, `schema: tables.t.fields: duplicate key "a"`},
		{"duplicate-index", `{"tables": {"t": {"fields": {"a": "string"}, "indexes": {"i": ["a"], "i": ["a"]}}}}`, `schema: tables.t.indexes: duplicate key "i"`},
		{"id-unknown-table", `{"tables": {"posts": {"fields": {"authorId": {"id": "user"}}}}}`, `schema: tables.posts.fields.authorId.id: references table "user", which is not in the schema`},
		{"system-table", `{"tables": {"_schemas": {"fields": {}}}}`, `schema: tables._schemas: table name "_schemas" starts with "_" (reserved for system tables)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := schema.Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded (%d tables), want %q", len(s.Tables), tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse error:\n got %v\nwant %s", err, tc.want)
			}
			var se *schema.Error
			if !errors.As(err, &se) {
				t.Errorf("error %v has no *schema.Error", err)
			}
		})
	}
}

func TestParseReportsAll(t *testing.T) {
	_, err := schema.Parse([]byte(`{"tables": {"a": {"fields": {"x": "strin", "y": {"union": []}}}, "b": {"fields": {}, "extra": 1}}}`))
	want := strings.Join([]string{
		`schema: tables.a.fields.x: unknown type name "strin"`,
		`schema: tables.a.fields.y.union: empty union accepts nothing`,
		`schema: tables.b.extra: unknown key (a table has "fields" and "indexes")`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n got %v\nwant %s", err, want)
	}
}

// TestDesignExample parses the schema file example of the original design
// (with the index fields it names added to the table).
func TestDesignExample(t *testing.T) {
	in := `{
  "tables": {
    "users": {
      "fields": {
        "name": "string",
        "email": "string",
        "publishedAt": {"optional": "number"},
        "age": "int64",
        "score": "number",
        "avatarUrl": {"optional": "string"},
        "settings": {"optional": {"object": {"theme": "string", "notifications": "boolean"}}},
        "status": {"union": [{"literal": "draft"}, {"literal": "published"}]},
        "authorId": {"id": "users"},
        "tags": {"array": "string"},
        "meta": {"record": ["string", "any"]},
        "blob": {"optional": "bytes"},
        "deletedAt": {"union": ["number", "null"]}
      },
      "indexes": {"by_email": ["email"], "by_status_and_published": ["status", "publishedAt"]}
    }
  }
}`
	s, err := schema.Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Tables["users"].Fields["settings"].String(); got != "optional<{notifications: boolean, theme: string}>" {
		t.Errorf("settings = %s", got)
	}
}

// FuzzParse checks that Parse never panics and that an accepted schema
// marshals to a canonical form that parses back to the same bytes.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed_schema.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"tables": {}}`))
	f.Add([]byte(`{"tables": {"t": {"fields": {"a\\\":, b": {"literal": "x\\\":,[\\\\"}}}}}`))
	f.Add([]byte(`{"tables": {"t": {"fields": {"a": {"record": ["string", {"array": {"union": ["null", {"literal": {"$integer": "1"}}]}}]}}, "indexes": {"by_a": ["a.x"]}}}}`))
	f.Add([]byte(`{"tables": {"users": {"fields": {"email": "string"}, "indexes": {"by_email": ["emial"]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := schema.Parse(data)
		if err != nil {
			return
		}
		b, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON after Parse(%q): %v", data, err)
		}
		s2, err := schema.Parse(b)
		if err != nil {
			t.Fatalf("Parse(MarshalJSON) = %v for %s", err, b)
		}
		b2, err := s2.MarshalJSON()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("not canonical:\n%s\n%s\n%v", b, b2, err)
		}
		ind, err := s.MarshalIndent()
		if err != nil {
			t.Fatalf("MarshalIndent: %v", err)
		}
		s3, err := schema.Parse(ind)
		if err != nil {
			t.Fatalf("Parse(MarshalIndent) = %v for %s", err, ind)
		}
		if b3, _ := s3.MarshalJSON(); !bytes.Equal(b, b3) {
			t.Fatalf("MarshalIndent changed the schema:\n%s\n%s", b, b3)
		}
		_ = s.String()
		_ = s.ValidateDocument("t", map[string]any{"a": 1.0})
	})
}
