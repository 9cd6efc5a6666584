package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
)

// seedTables returns the final schema of the seed (convex-migrations.md):
// the migrations tracking table, users with the fields added by its
// migrations, and posts with the indexes of its common queries.
func seedTables() []*schema.Table {
	return []*schema.Table{
		schema.Define("migrations", v.Object{
			"name":        v.String(),
			"startedAt":   v.Number(),
			"completedAt": v.Optional(v.Number()),
			"status":      v.Union(v.Literal("running"), v.Literal("completed"), v.Literal("failed")),
			"error":       v.Optional(v.String()),
			"processed":   v.Number(),
		}).Index("by_name", "name"),
		schema.Define("users", v.Object{
			"name":      v.String(),
			"email":     v.String(),
			"createdAt": v.Optional(v.Number()),
			"updatedAt": v.Optional(v.Number()),
			"avatarUrl": v.Optional(v.String()),
			"settings": v.Optional(v.Object{
				"theme":         v.String(),
				"notifications": v.Boolean(),
			}),
		}).
			Index("by_email", "email").
			Index("by_createdAt", "createdAt"),
		schema.Define("posts", v.Object{
			"title":       v.String(),
			"content":     v.String(),
			"authorId":    v.ID("users"),
			"status":      v.Union(v.Literal("draft"), v.Literal("published"), v.Literal("archived")),
			"publishedAt": v.Optional(v.Number()),
			"createdAt":   v.Number(),
			"updatedAt":   v.Number(),
		}).
			Index("by_author", "authorId").
			Index("by_status", "status").
			Index("by_author_and_status", "authorId", "status").
			Index("by_publishedAt", "publishedAt"),
	}
}

func seedSchema(tb testing.TB) *schema.Schema {
	tb.Helper()
	s, err := schema.New(seedTables()...)
	if err != nil {
		tb.Fatalf("New(seed): %v", err)
	}
	return s
}

func TestSeedSchema(t *testing.T) {
	s := seedSchema(t)
	file, err := os.ReadFile("testdata/seed_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := schema.Parse(file)
	if err != nil {
		t.Fatalf("Parse(seed_schema.json): %v", err)
	}
	goJSON, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	parsedJSON, err := parsed.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(goJSON, parsedJSON) {
		t.Errorf("Go schema and file differ:\n  Go: %s\nfile: %s", goJSON, parsedJSON)
	}
	// The file is written in canonical key order: removing its whitespace
	// gives exactly the canonical form.
	var compact bytes.Buffer
	if err := json.Compact(&compact, file); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(goJSON, compact.Bytes()) {
		t.Errorf("canonical form differs from the compacted file:\n got %s\nwant %s", goJSON, compact.Bytes())
	}
	// Indexes are kept sorted by name.
	var names []string
	for _, idx := range s.Tables["posts"].Indexes {
		names = append(names, idx.Name)
	}
	want := []string{"by_author", "by_author_and_status", "by_publishedAt", "by_status"}
	if len(names) != len(want) {
		t.Fatalf("posts indexes = %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("posts indexes = %q, want %q", names, want)
			break
		}
	}
	idx, ok := parsed.Tables["posts"].IndexByName("by_author_and_status")
	if !ok || len(idx.Fields) != 2 || idx.Fields[0] != "authorId" || idx.Fields[1] != "status" {
		t.Errorf("IndexByName(by_author_and_status) = %+v, %v", idx, ok)
	}
	if _, ok := parsed.Tables["posts"].IndexByName("by_creation_time"); ok {
		t.Errorf("IndexByName returned a built-in index")
	}
}

func TestMarshalIndentRoundTrip(t *testing.T) {
	s := seedSchema(t)
	b, err := s.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := schema.Parse(b)
	if err != nil {
		t.Fatalf("Parse(MarshalIndent): %v", err)
	}
	b1, _ := s.MarshalJSON()
	b2, _ := s2.MarshalJSON()
	if !bytes.Equal(b1, b2) {
		t.Errorf("round trip changed the schema:\n%s\n%s", b1, b2)
	}
	if !bytes.Equal(b, file(t)) {
		t.Errorf("MarshalIndent differs from testdata/seed_schema.json:\n%s", b)
	}
	if !json.Valid(b) {
		t.Errorf("MarshalIndent output is not JSON")
	}
	// *Schema works with encoding/json.
	var s3 schema.Schema
	if err := json.Unmarshal(b, &s3); err != nil {
		t.Fatal(err)
	}
	b3, err := json.Marshal(&s3)
	if err != nil || !bytes.Equal(b1, b3) {
		t.Errorf("json.Marshal(Unmarshal(x)) = %s, %v; want %s", b3, err, b1)
	}
}

func file(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/seed_schema.json")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestMarshalIndentEmpty(t *testing.T) {
	s, err := schema.New(schema.Define("t", v.Object{}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.MarshalIndent()
	want := "{\n  \"tables\": {\n    \"t\": {\n      \"fields\": {},\n      \"indexes\": {}\n    }\n  }\n}\n"
	if err != nil || string(b) != want {
		t.Errorf("MarshalIndent = %q, %v; want %q", b, err, want)
	}
	empty, _ := schema.New()
	b, err = empty.MarshalIndent()
	if err != nil || string(b) != "{\n  \"tables\": {}\n}\n" {
		t.Errorf("MarshalIndent(empty) = %q, %v", b, err)
	}
}

func TestSchemaString(t *testing.T) {
	s, err := schema.New(
		schema.Define("users", v.Object{
			"email":     v.String(),
			"avatarUrl": v.Optional(v.String()),
			"settings":  v.Optional(v.Object{"theme": v.String()}),
		}).Index("by_email", "email").Index("by_theme", "settings.theme", "email"),
		schema.Define("a", v.Object{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := `table a {
}

table users {
  avatarUrl?: string
  email: string
  settings?: {theme: string}
  index by_email (email)
  index by_theme (settings.theme, email)
}
`
	if got := s.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

func TestMarshalIndentEscapes(t *testing.T) {
	s, err := schema.New(schema.Define("t", v.Object{
		`a":, b\`: v.Union(v.Literal(`x":,[\`), v.Literal("\u2028<")),
	}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	want := `"a\":, b\\": {"union": [{"literal": "x\":,[\\"}, {"literal": "\u2028\u003c"}]}`
	if !bytes.Contains(b, []byte(want)) {
		t.Errorf("MarshalIndent =\n%s\nwant a line with\n%s", b, want)
	}
	s2, err := schema.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := s.MarshalJSON()
	b2, _ := s2.MarshalJSON()
	if !bytes.Equal(b1, b2) {
		t.Errorf("round trip: %s != %s", b1, b2)
	}
}
