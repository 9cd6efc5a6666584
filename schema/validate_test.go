package schema_test

import (
	"errors"
	"testing"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

func TestValidateDocument(t *testing.T) {
	s := seedSchema(t)
	uid := value.NewID("users")
	pid := value.NewID("posts")
	tests := []struct {
		name    string
		table   string
		doc     map[string]any
		wantErr string
	}{
		{"user-minimal", "users", map[string]any{"name": "Ada", "email": "a@x"}, ""},
		{"user-system-fields", "users", map[string]any{"_id": uid, "_creationTime": 1.0, "name": "Ada", "email": "a@x"}, ""},
		{"user-full", "users", map[string]any{"name": "Ada", "email": "a@x", "createdAt": 1.0, "updatedAt": 2.0, "avatarUrl": "u",
			"settings": map[string]any{"theme": "dark", "notifications": true}}, ""},
		{"user-missing-email", "users", map[string]any{"name": "Ada"}, "email: expected string, found undefined (required field missing)"},
		{"user-bad-theme", "users", map[string]any{"name": "Ada", "email": "a@x", "settings": map[string]any{"theme": int64(1), "notifications": true}}, "settings.theme: expected string, found int64"},
		{"user-int-timestamp", "users", map[string]any{"name": "Ada", "email": "a@x", "createdAt": int64(1)}, "createdAt: expected number, found int64"},
		{"user-unknown", "users", map[string]any{"name": "Ada", "email": "a@x", "legacyField": "x"}, "legacyField: unexpected field (not in the validator)"},
		{"post", "posts", map[string]any{"_id": pid, "title": "t", "content": "c", "authorId": uid, "status": "draft", "createdAt": 1.0, "updatedAt": 1.0}, ""},
		{"post-bad-status", "posts", map[string]any{"title": "t", "content": "c", "authorId": uid, "status": "deleted", "createdAt": 1.0, "updatedAt": 1.0}, `status: expected "draft" | "published" | "archived", found string "deleted"`},
		{"post-wrong-table-id", "posts", map[string]any{"title": "t", "content": "c", "authorId": pid, "status": "draft", "createdAt": 1.0, "updatedAt": 1.0},
			`authorId: expected id("users"), found id (invalid id "` + string(pid) + `": belongs to table "posts", not "users")`},
		{"unknown-table", "comments", map[string]any{"anything": int64(1)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.ValidateDocument(tc.table, tc.doc)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("ValidateDocument = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ValidateDocument = %v, want %s", err, tc.wantErr)
			}
			var ve *v.Error
			if !errors.As(err, &ve) {
				t.Errorf("error %T is not a *v.Error", err)
			}
		})
	}
	var nilSchema *schema.Schema
	if err := nilSchema.ValidateDocument("users", nil); err != nil {
		t.Errorf("nil schema: %v", err)
	}
}

func TestValidateDocumentNoAllocs(t *testing.T) {
	s := seedSchema(t)
	doc := map[string]any{"_id": value.NewID("users"), "_creationTime": 1.0, "name": "Ada", "email": "a@x", "createdAt": 1.0,
		"settings": map[string]any{"theme": "dark", "notifications": true}}
	if err := s.ValidateDocument("users", doc); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = s.ValidateDocument("users", doc) }); n != 0 {
		t.Errorf("ValidateDocument allocates %v times per run, want 0", n)
	}
}

func BenchmarkValidateDocument(b *testing.B) {
	s := seedSchema(b)
	doc := map[string]any{"_id": value.NewID("posts"), "_creationTime": 1.0, "title": "t", "content": "c", "authorId": value.NewID("users"),
		"status": "published", "publishedAt": 2.0, "createdAt": 1.0, "updatedAt": 1.0}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ValidateDocument("posts", doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLookup(t *testing.T) {
	doc := map[string]any{
		"email":    "a@x",
		"nil":      nil,
		"gone":     value.Undef,
		"settings": map[string]any{"theme": "dark", "deep": map[string]any{"x": int64(1)}},
		"tags":     []any{"a"},
	}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"email", "a@x", true},
		{"nil", nil, true},
		{"gone", nil, false},
		{"missing", nil, false},
		{"settings.theme", "dark", true},
		{"settings.deep.x", int64(1), true},
		{"settings.missing", nil, false},
		{"email.x", nil, false},
		{"tags.0", nil, false},
		{"", nil, false},
		{"settings.", nil, false},
	}
	for _, tc := range tests {
		got, ok := schema.Lookup(doc, tc.path)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := schema.Lookup(nil, "a"); ok {
		t.Errorf("Lookup(nil) found something")
	}
	if n := testing.AllocsPerRun(100, func() { schema.Lookup(doc, "settings.deep.x") }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
}
