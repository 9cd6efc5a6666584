package gogen_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata/gen/gogen"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
)

func testSchema(t testing.TB) *schema.Schema {
	t.Helper()
	data, err := os.ReadFile("testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGolden: the output for testdata/schema.json is example/model/model.go
// byte for byte (run go generate ./gen/gogen/example/model after a change
// to the generator), and is the same on every run.
func TestGolden(t *testing.T) {
	want, err := os.ReadFile("example/model/model.go")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		got, err := gogen.Generate(testSchema(t), "model")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatal("output differs from example/model/model.go: run go generate ./gen/gogen/example/model")
		}
	}
}

// TestGeneratedVet: the generated package passes go vet.
func TestGeneratedVet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	out, err := exec.Command("go", "vet", "./example/model").CombinedOutput()
	if err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}

func TestGenerateErrors(t *testing.T) {
	cases := []struct {
		name   string
		tables []*schema.Table
		pkg    string
		want   string
	}{
		{"bad package", nil, "my-model", `package name "my-model" is not a Go identifier`},
		{"table names collide", []*schema.Table{
			schema.Define("user_s", v.Object{"a": v.String()}), schema.Define("userS", v.Object{"a": v.String()}),
		}, "m", "both become the Go name"},
		{"field names collide", []*schema.Table{
			schema.Define("t", v.Object{"a_b": v.String(), "aB": v.String()}),
		}, "m", "fields aB and a_b both become the Go field AB"},
		{"field named like a system field", []*schema.Table{
			schema.Define("t", v.Object{"iD": v.String()}),
		}, "m", "both become the Go field ID"},
		{"object in an index", []*schema.Table{
			schema.Define("t", v.Object{"o": v.Object{"x": v.String()}}).Index("by_o", "o"),
		}, "m", "index by_o field o: an object field cannot be an index argument"},
		{"index method collides with a range builder", []*schema.Table{
			schema.Define("items", v.Object{"a": v.String()}).Index("by_a", "a").Index("by_a_range", "a"),
		}, "m", "index by_a_range and index by_a both need the method ItemsTable.ByARange"},
		{"index method collides with a table method", []*schema.Table{
			schema.Define("items", v.Object{"a": v.String()}).Index("get", "a"),
		}, "m", "index get and the table's own method both need the method ItemsTable.Get"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &schema.Schema{Tables: map[string]*schema.Table{}}
			for _, tb := range c.tables {
				s.Tables[tb.Name] = tb
			}
			_, err := gogen.Generate(s, c.pkg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestCommandLine: strata gen go writes the same file.
func TestCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	out := filepath.Join(t.TempDir(), "model.go")
	cmd := exec.Command("go", "run", "../../cmd/strata", "gen", "go", "--schema", "testdata/schema.json", "--package", "model", "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile("example/model/model.go")
	if !bytes.Equal(got, want) {
		t.Fatal("strata gen go wrote something else than example/model/model.go")
	}
}
