package strata_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// TestBadInput feeds malformed schemas, schema files, documents, ids,
// cursors, filters and JSONL lines to a populated database. Each must fail
// with an error that names what was wrong and where, and leave the
// database byte-for-byte as it was.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.db")
	db, err := strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := strata.NewSchema(
		strata.Table("users", v.Object{
			"name":     v.String(),
			"age":      v.Optional(v.Int64()),
			"settings": v.Optional(v.Object{"theme": v.String()}),
			"tags":     v.Optional(v.Array(v.String())),
		}).Index("by_name", "name"),
		strata.Table("posts", v.Object{"authorId": v.ID("users"), "title": v.String()}),
	)
	setSchema(t, db, s, err)
	uids := insert(t, db, "users", strata.Doc{"name": "Ada"}, strata.Doc{"name": "Grace", "age": int64(40)})
	pids := insert(t, db, "posts", strata.Doc{"authorId": uids[0], "title": "Hello"})
	var cursor string
	query(t, db, func(tx *strata.Tx) error {
		p, err := tx.Table("users").Paginate(1, "")
		cursor = p.ContinueCursor
		return err
	})
	mutateErr := func(fn func(tx *strata.Tx) error) error { return db.Mutation(ctx, fn) }
	queryErr := func(fn func(tx *strata.Tx) error) error { return db.Query(ctx, fn) }
	writeFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	runCLI := func(args ...string) error {
		db.Close() // the CLI opens the file itself
		defer func() { db, _ = strata.Open(ctx, "sqlite:"+path) }()
		var out, errOut bytes.Buffer
		err := cli.Run(ctx, append([]string{"--db", "sqlite:" + path}, args...), &out, &errOut)
		if err != nil && !strings.HasPrefix(errOut.String(), "strata: ") {
			t.Errorf("CLI error not on stderr as 'strata: ...': %q", errOut.String())
		}
		return err
	}
	// openRefused opens path with limits, which must be refused before
	// the file is created.
	openRefused := func(path string, l strata.Limits) error {
		db, err := strata.Open(ctx, "sqlite:"+path, strata.WithLimits(l))
		if err == nil {
			db.Close()
			return nil
		}
		if _, statErr := os.Stat(path); statErr == nil {
			return fmt.Errorf("refused, but created %s: %w", path, err)
		}
		return err
	}
	// copyErr runs strata.Copy with the database closed, as an operator
	// would, and reopens it.
	copyErr := func(from, to string, force bool) error {
		db.Close()
		defer func() { db, _ = strata.Open(ctx, "sqlite:"+path) }()
		_, err := strata.Copy(ctx, from, to, strata.CopyOptions{Force: force})
		return err
	}
	otherTableID := value.NewID("posts")
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		// Schema definitions in Go.
		{"schema: duplicate index", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"a": v.String()}).Index("by_a", "a").Index("by_a", "a"))
			return err
		}, "by_a"},
		{"schema: reserved index name", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"a": v.String()}).Index("by_id", "a"))
			return err
		}, "by_id"},
		{"schema: empty index", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"a": v.String()}).Index("by_nothing"))
			return err
		}, "by_nothing"},
		{"schema: system table name", func() error {
			_, err := strata.NewSchema(strata.Table("_t", v.Object{"a": v.String()}))
			return err
		}, "_t"},
		{"schema: reserved field", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"_secret": v.String()}))
			return err
		}, "_secret"},
		{"schema: index on unknown field", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"a": v.String()}).Index("by_b", "b"))
			return err
		}, `"b"`},
		{"schema: id of unknown table", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"a": v.ID("nope")}))
			return err
		}, "nope"},
		{"schema: too many index fields", func() error {
			fields := v.Object{}
			var names []string
			for i := 0; i < 17; i++ {
				n := string(rune('a'+i)) + "x"
				fields[n] = v.String()
				names = append(names, n)
			}
			_, err := strata.NewSchema(strata.Table("t", fields).Index("by_all", names...))
			return err
		}, "16"},
		{"schema: long index name", func() error {
			_, err := strata.NewSchema(strata.Table("t", v.Object{"a": v.String()}).Index("by_"+strings.Repeat("x", 70), "a"))
			return err
		}, "64"},
		// Copies (strata.Copy) to or from the database.
		{"copy: onto itself, forced", func() error { return copyErr("sqlite:"+path, path, true) }, "same database"},
		{"copy: into a non-empty database", func() error {
			return copyErr("sqlite:"+filepath.Join(dir, "empty.db"), "sqlite:"+path, false)
		}, "posts, users"},
		{"copy: unknown scheme", func() error { return copyErr("nosuch:x", "sqlite:"+path, true) }, "nosuch"},
		{"copy: key=value source", func() error { return copyErr("host=db dbname=app", "sqlite:"+path, true) }, "key=value"},
		// Schema files.
		{"schema file: not JSON", func() error { return runCLI("schema", "set", writeFile("a.json", "{tables:")) }, "a.json"},
		{"schema file: unknown type", func() error {
			return runCLI("schema", "set", writeFile("b.json", `{"tables":{"users":{"fields":{"name":"strin"}}}}`))
		}, "strin"},
		{"schema file: unknown key", func() error {
			_, err := schema.Parse([]byte(`{"tables":{},"extra":1}`))
			return err
		}, "extra"},
		{"schema set: data does not satisfy", func() error {
			bad, _ := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "age": v.Int64()}))
			return db.SetSchema(ctx, bad)
		}, "age"},
		// Documents.
		{"doc: wrong type", func() error {
			return mutateErr(func(tx *strata.Tx) error { _, err := tx.Insert("users", strata.Doc{"name": int64(1)}); return err })
		}, "name: expected string, found int64"},
		{"doc: nested wrong type", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				return tx.Patch(uids[0], strata.Patch{"settings": map[string]any{"theme": true}})
			})
		}, "settings.theme: expected string, found boolean"},
		{"doc: array element", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				return tx.Patch(uids[0], strata.Patch{"tags": []any{"a", 2.0}})
			})
		}, "tags[1]"},
		{"doc: unknown field", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"name": "x", "nick": "y"})
				return err
			})
		}, "nick"},
		{"doc: missing required", func() error {
			return mutateErr(func(tx *strata.Tx) error { _, err := tx.Insert("users", strata.Doc{"age": int64(3)}); return err })
		}, "name"},
		{"doc: channel where int64 expected", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"name": "x", "age": make(chan int)})
				return err
			})
		}, "age: unsupported Go type chan int"},
		{"doc: float32 where int64 expected", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"name": "x", "age": float32(3)})
				return err
			})
		}, "age: expected int64, found number"},
		{"doc: float where int64 expected", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"name": "x", "age": 3.0})
				return err
			})
		}, "age: expected int64, found number"},
		{"doc: system field on insert", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				_, err := tx.Insert("users", strata.Doc{"name": "x", "_id": "y"})
				return err
			})
		}, "_id"},
		{"doc: patch system field", func() error {
			return mutateErr(func(tx *strata.Tx) error { return tx.Patch(uids[0], strata.Patch{"_creationTime": 1.0}) })
		}, "_creationTime"},
		{"doc: write to system table", func() error {
			return mutateErr(func(tx *strata.Tx) error { _, err := tx.Insert("_schemas", strata.Doc{}); return err })
		}, "system table"},
		{"doc: bad table name", func() error {
			return mutateErr(func(tx *strata.Tx) error { _, err := tx.Insert("a-b", strata.Doc{}); return err })
		}, "a-b"},
		{"doc: $ field name", func() error {
			return mutateErr(func(tx *strata.Tx) error { _, err := tx.Insert("users", strata.Doc{"$x": 1.0}); return err })
		}, "$x"},
		{"doc: second write fails, first rolled back", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				if _, err := tx.Insert("users", strata.Doc{"name": "ok"}); err != nil {
					return err
				}
				_, err := tx.Insert("users", strata.Doc{"name": 1.0})
				return err
			})
		}, "name"},
		// Ids.
		{"id: corrupted", func() error {
			bad := []byte(uids[0])
			bad[len(bad)/2] ^= 1
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Get(strata.ID(bad)); return err })
		}, "invalid id"},
		{"id: garbage", func() error {
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Get("not an id!"); return err })
		}, "invalid id"},
		{"id: wrong table in v.ID", func() error {
			return mutateErr(func(tx *strata.Tx) error {
				_, err := tx.Insert("posts", strata.Doc{"authorId": otherTableID, "title": "x"})
				return err
			})
		}, "authorId"},
		{"id: wrong table in by_id", func() error {
			return queryErr(func(tx *strata.Tx) error {
				_, err := tx.Table("users").WithIndex("by_id", strata.Eq("_id", pids[0])).First()
				return err
			})
		}, "posts"},
		// Cursors.
		{"cursor: garbage", func() error {
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Table("users").Paginate(1, "%%%"); return err })
		}, "cursor"},
		{"cursor: truncated", func() error {
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Table("users").Paginate(1, cursor[:5]); return err })
		}, "cursor"},
		{"cursor: one bit flipped", func() error {
			b, _ := base64.RawURLEncoding.DecodeString(cursor)
			b[len(b)/2] ^= 1
			c := base64.RawURLEncoding.EncodeToString(b)
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Table("users").Paginate(1, c); return err })
		}, "integrity check"},
		{"cursor: line break inside", func() error {
			return queryErr(func(tx *strata.Tx) error {
				_, err := tx.Table("users").Paginate(1, cursor[:3]+"\n"+cursor[3:])
				return err
			})
		}, "cursor"},
		{"cursor: other query", func() error {
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Table("posts").Paginate(1, cursor); return err })
		}, "different query"},
		{"cursor: bad page size", func() error {
			return queryErr(func(tx *strata.Tx) error { _, err := tx.Table("users").Paginate(0, ""); return err })
		}, "numItems"},
		// Filters.
		{"filter: unsupported value", func() error {
			return queryErr(func(tx *strata.Tx) error {
				_, err := tx.Table("users").Filter(strata.Field("age").Gt(make(chan int))).Collect()
				return err
			})
		}, "chan int"},
		{"filter: empty path part", func() error {
			return queryErr(func(tx *strata.Tx) error {
				_, err := tx.Table("users").Filter(strata.Field("settings..theme").Eq("x")).Collect()
				return err
			})
		}, "settings..theme"},
		// Open options.
		{"open: negative DocumentsRead", func() error {
			return openRefused(filepath.Join(dir, "neg1.db"), strata.Limits{DocumentsRead: -1})
		}, "DocumentsRead is -1"},
		{"open: negative DocumentsWritten", func() error {
			return openRefused(filepath.Join(dir, "neg2.db"), strata.Limits{DocumentsWritten: -5})
		}, "DocumentsWritten is -5"},
		{"open: negative BytesWritten", func() error {
			return openRefused(filepath.Join(dir, "neg3.db"), strata.Limits{BytesWritten: -1 << 20})
		}, "BytesWritten is -1048576"},
		{"schema file: larger than 16 MiB", func() error {
			p := writeFile("huge.json", "")
			if err := os.Truncate(p, 16<<20+1); err != nil {
				return nil
			}
			return runCLI("schema", "push", p)
		}, "larger than 16 MiB"},
		{"migration file: endless", func() error {
			if _, err := os.Stat("/dev/zero"); err != nil {
				return errors.New("no /dev/zero: larger than 16 MiB")
			}
			return runCLI("migrate", "start", "/dev/zero")
		}, "larger than 16 MiB"},
		{"open: libpq key=value string", func() error {
			// In dir: a string taken for a file name would create it there.
			wd, err := os.Getwd()
			if err != nil {
				return nil
			}
			if err := os.Chdir(dir); err != nil {
				return nil
			}
			defer os.Chdir(wd)
			d, err := strata.Open(ctx, "host=127.0.0.1 password=pw dbname=x")
			if err == nil {
				d.Close()
			}
			return err
		}, "postgres://"},
		{"open: empty URL", func() error {
			d, err := strata.Open(ctx, "")
			if err == nil {
				d.Close()
			}
			return err
		}, "empty"},
		// JSONL lines.
		{"jsonl: bad last line of many", func() error {
			var b strings.Builder
			for i := range 5000 {
				fmt.Fprintf(&b, "{\"name\":\"n%d\"}\n", i)
			}
			b.WriteString("{\"name\":\"last\",\"age\":1.5}\n")
			return runCLI("import", "users", writeFile("many.jsonl", b.String()))
		}, "many.jsonl:5001"},
		{"jsonl: not JSON", func() error {
			return runCLI("import", "users", writeFile("a.jsonl", "{\"name\":\"ok\"}\n{name: 1}\n"))
		}, "a.jsonl:2"},
		{"jsonl: invalid document", func() error {
			return runCLI("import", "users", writeFile("b.jsonl", "{\"name\":\"ok\"}\n\n{\"name\":\"ok2\"}\n{\"name\":5}\n"))
		}, "b.jsonl:4"},
		{"jsonl: bad $integer", func() error {
			return runCLI("import", "users", writeFile("c.jsonl", `{"name":"x","age":{"$integer":"12x"}}`+"\n"))
		}, "c.jsonl:1"},
		{"jsonl: duplicate _id", func() error {
			return runCLI("import", "users", writeFile("d.jsonl", `{"name":"x","_id":"`+string(uids[0])+`"}`+"\n"))
		}, "already exists"},
		{"jsonl: _id of another table", func() error {
			return runCLI("import", "users", writeFile("e.jsonl", `{"name":"x","_id":"`+string(pids[0])+`"}`+"\n"))
		}, "e.jsonl:1"},
		{"jsonl: not an object", func() error {
			return runCLI("import", "users", writeFile("f.jsonl", "[1,2]\n"))
		}, "f.jsonl:1"},
		// Check and export.
		{"check: an argument", func() error { return runCLI("check", "users") }, `"users"`},
		{"check: unknown flag", func() error { return runCLI("check", "--repair") }, "--repair"},
		{"export: bad table name", func() error { return runCLI("export", "us-ers") }, `"us-ers"`},
		{"each document: bad table name", func() error {
			return queryErr(func(tx *strata.Tx) error {
				return tx.EachDocument("no such", func(strata.Doc) error { return nil })
			})
		}, `"no such"`},
		// Migration files refused at start, before anything is recorded.
		{"migration file: remove an indexed field", func() error {
			return runCLI("migrate", "start", writeFile("m1.json", `{"name":"m1","operations":[{"remove_field":{"table":"users","field":"name"}}]}`))
		}, "index by_name (name) uses the field; drop the index first"},
		{"migration file: two renames of one field", func() error {
			return runCLI("migrate", "start", writeFile("m2.json", `{"name":"m2","operations":[{"rename_field":{"table":"users","from":"age","to":"a"}},{"rename_field":{"table":"users","from":"age","to":"b"}}]}`))
		}, "operations[0].rename_field (users.age → a) and operations[1].rename_field (users.age → b)"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	before := dump(t, db)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %q", err, c.want)
			}
			if after := dump(t, db); !bytes.Equal(before, after) {
				t.Errorf("the database changed")
			}
		})
	}
}
