package schema_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
)

func users() *schema.Table {
	return schema.Define("users", v.Object{
		"name":     v.String(),
		"email":    v.String(),
		"settings": v.Optional(v.Object{"theme": v.String(), "notifications": v.Boolean()}),
		"profile":  v.Union(v.Object{"kind": v.Literal("a"), "bio": v.String()}, v.Object{"kind": v.Literal("b")}, v.Null()),
		"meta":     v.Optional(v.Record(v.String(), v.Object{"n": v.Int64()})),
		"extra":    v.Optional(v.Any()),
	})
}

func TestCheckGood(t *testing.T) {
	tests := []struct {
		name   string
		tables []*schema.Table
	}{
		{"empty", nil},
		{"seed", seedTables()},
		{"nested-paths", []*schema.Table{users().
			Index("by_theme", "settings.theme").
			Index("by_kind_bio", "profile.kind", "profile.bio").
			Index("by_meta", "meta.x.n").
			Index("by_extra", "extra.anything.goes").
			Index("by_settings", "settings")}},
		{"system-table-id", []*schema.Table{schema.Define("jobs", v.Object{"fn": v.ID("_scheduled_functions")})}},
		{"self-id", []*schema.Table{schema.Define("nodes", v.Object{"parent": v.Union(v.ID("nodes"), v.Null())})}},
		{"max-indexes", []*schema.Table{manyIndexes(schema.MaxIndexesPerTable)}},
		{"max-fields", []*schema.Table{wideIndex(schema.MaxIndexFields)}},
		{"name-64", []*schema.Table{schema.Define(strings.Repeat("t", 64), v.Object{})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := schema.New(tc.tables...); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func manyIndexes(n int) *schema.Table {
	t := schema.Define("t", v.Object{"a": v.String()})
	for i := range n {
		t.Index(fmt.Sprintf("i%02d", i), "a")
	}
	return t
}

func wideIndex(n int) *schema.Table {
	fields := v.Object{}
	var paths []string
	for i := range n {
		f := fmt.Sprintf("f%02d", i)
		fields[f] = v.String()
		paths = append(paths, f)
	}
	return schema.Define("t", fields).Index("wide", paths...)
}

// TestCheckBad lists bad schemas with the message each gets.
func TestCheckBad(t *testing.T) {
	tests := []struct {
		name   string
		tables []*schema.Table
		want   string // a substring of the error
	}{
		{"nil-table", []*schema.Table{nil}, "schema: tables: table 0 of New is nil"},
		{"duplicate-table", []*schema.Table{users(), users()}, "schema: tables.users: table defined twice"},
		{"empty-table-name", []*schema.Table{schema.Define("", v.Object{})}, `schema: tables[""]: empty table name`},
		{"system-table", []*schema.Table{schema.Define("_migrations", v.Object{})}, `schema: tables._migrations: table name "_migrations" starts with "_" (reserved for system tables)`},
		{"table-name-chars", []*schema.Table{schema.Define("my-table", v.Object{})}, `schema: tables.my-table: invalid table name "my-table" (use letters, digits and _, starting with a letter)`},
		{"table-name-digit", []*schema.Table{schema.Define("1users", v.Object{})}, `invalid table name "1users"`},
		{"table-name-long", []*schema.Table{schema.Define(strings.Repeat("t", 65), v.Object{})}, "is longer than 64 bytes"},
		{"field-_id", []*schema.Table{schema.Define("t", v.Object{"_id": v.String()})}, "schema: tables.t.fields._id: system field _id is implicit and must not be declared"},
		{"field-_creationTime", []*schema.Table{schema.Define("t", v.Object{"_creationTime": v.Number()})}, "schema: tables.t.fields._creationTime: system field _creationTime is implicit and must not be declared"},
		{"field-underscore", []*schema.Table{schema.Define("t", v.Object{"_x": v.Number()})}, `schema: tables.t.fields._x: field names starting with "_" are reserved for system fields`},
		{"field-dollar", []*schema.Table{schema.Define("t", v.Object{"$x": v.Number()})}, `schema: tables.t.fields.$x: field names starting with "$" are reserved for the JSON form`},
		{"field-empty", []*schema.Table{schema.Define("t", v.Object{"": v.Number()})}, `schema: tables.t.fields[""]: empty field name`},
		{"field-nil-validator", []*schema.Table{schema.Define("t", v.Object{"a": nil})}, "schema: tables.t.fields.a: invalid validator (nil)"},
		{"optional-in-array", []*schema.Table{schema.Define("t", v.Object{"a": v.Array(v.Optional(v.String()))})}, "schema: tables.t.fields.a.array: optional is allowed only as the type of an object field"},
		{"empty-union", []*schema.Table{schema.Define("t", v.Object{"s": v.Optional(v.Union())})}, "schema: tables.t.fields.s.optional.union: empty union accepts nothing"},
		{"literal-int", []*schema.Table{schema.Define("t", v.Object{"n": v.Literal(1)})}, "schema: tables.t.fields.n.literal: literal of unsupported type int"},
		{"record-key", []*schema.Table{schema.Define("t", v.Object{"m": v.Record(v.Int64(), v.Any())})}, "schema: tables.t.fields.m.record[0]: record key validator int64 cannot validate strings"},
		{"id-unknown-table", []*schema.Table{schema.Define("posts", v.Object{"authorId": v.ID("user")})}, `schema: tables.posts.fields.authorId.id: references table "user", which is not in the schema`},
		{"id-unknown-nested", []*schema.Table{schema.Define("posts", v.Object{"x": v.Array(v.Union(v.ID("nope"), v.Null()))})}, `schema: tables.posts.fields.x.array.union[0].id: references table "nope", which is not in the schema`},
		{"id-empty-table", []*schema.Table{schema.Define("posts", v.Object{"a": v.ID("")})}, "schema: tables.posts.fields.a.id: empty table name"},
		{"index-unknown-field", []*schema.Table{users().Index("by_email", "emial")}, `schema: tables.users.indexes.by_email: field "emial" not in the document validator`},
		{"index-unknown-nested", []*schema.Table{users().Index("by_theme", "settings.them")}, `schema: tables.users.indexes.by_theme: field "settings.them" not in the document validator`},
		{"index-through-scalar", []*schema.Table{users().Index("by_x", "name.first")}, `field "name.first" not in the document validator`},
		{"index-bad-path", []*schema.Table{users().Index("by_x", "settings..theme")}, `schema: tables.users.indexes.by_x: invalid field path "settings..theme"`},
		{"index-creation-time", []*schema.Table{users().Index("by_x", "email", "_creationTime")}, "schema: tables.users.indexes.by_x: system field _creationTime is appended to every index key automatically; do not list it"},
		{"index-id", []*schema.Table{users().Index("by_x", "_id")}, "system field _id is appended"},
		{"index-no-fields", []*schema.Table{users().Index("by_nothing")}, "schema: tables.users.indexes.by_nothing: index has no fields"},
		{"index-repeated-field", []*schema.Table{users().Index("by_x", "email", "email")}, `schema: tables.users.indexes.by_x: field "email" appears twice`},
		{"index-duplicate", []*schema.Table{users().Index("by_email", "email").Index("by_email", "name")}, "schema: tables.users.indexes.by_email: index defined twice"},
		{"index-by_id", []*schema.Table{users().Index("by_id", "email")}, `schema: tables.users.indexes.by_id: index name "by_id" is reserved for a built-in index`},
		{"index-by_creation_time", []*schema.Table{users().Index("by_creation_time", "email")}, `index name "by_creation_time" is reserved for a built-in index`},
		{"index-underscore", []*schema.Table{users().Index("_by_email", "email")}, `schema: tables.users.indexes._by_email: index name "_by_email" starts with "_" (reserved)`},
		{"index-name-chars", []*schema.Table{users().Index("by email", "email")}, `schema: tables.users.indexes["by email"]: invalid index name "by email"`},
		{"index-name-empty", []*schema.Table{users().Index("", "email")}, `schema: tables.users.indexes[""]: empty index name`},
		{"too-many-indexes", []*schema.Table{manyIndexes(schema.MaxIndexesPerTable + 1)}, "schema: tables.t.indexes: 33 indexes, more than the limit of 32 per table"},
		{"too-many-fields", []*schema.Table{wideIndex(schema.MaxIndexFields + 1)}, "schema: tables.t.indexes.wide: 17 fields, more than the limit of 16 per index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := schema.New(tc.tables...)
			if err == nil {
				t.Fatalf("New succeeded (%v tables), want error containing %q", len(s.Tables), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error:\n got %v\nwant substring %s", err, tc.want)
			}
			var se *schema.Error
			if !errors.As(err, &se) {
				t.Errorf("error %v has no *schema.Error", err)
			}
		})
	}
}

func TestCheckReportsAll(t *testing.T) {
	_, err := schema.New(
		schema.Define("_sys", v.Object{"_id": v.String()}).Index("by_id", "nope"),
	)
	got := err.Error()
	for _, want := range []string{
		`tables._sys: table name "_sys" starts with "_"`,
		"tables._sys.fields._id: system field _id",
		`tables._sys.indexes.by_id: index name "by_id" is reserved`,
		`tables._sys.indexes.by_id: field "nope" not in the document validator`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
}

func TestCheckDirect(t *testing.T) {
	var nilSchema *schema.Schema
	if err := nilSchema.Check(); err == nil {
		t.Errorf("nil schema passed Check")
	}
	s := &schema.Schema{Tables: map[string]*schema.Table{
		"a": schema.Define("b", v.Object{}),
		"c": nil,
	}}
	err := s.Check()
	for _, want := range []string{`schema: tables.a: table is named "b" but listed as "a"`, "schema: tables.c: nil table"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want it to contain %q", err, want)
		}
	}
	if _, err := s.MarshalJSON(); err == nil {
		t.Errorf("MarshalJSON of an invalid schema succeeded")
	}
	if (*schema.Table)(nil).Index("x", "y") != nil {
		t.Errorf("nil Table.Index returned non-nil")
	}
}
