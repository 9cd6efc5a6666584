package cli_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/dbcheck"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/v"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		os.Exit(childMain(args))
	}
	if entry := os.Getenv(mainEnv); entry != "" {
		os.Exit(mainChild(entry))
	}
	pgtest.Main(m)
}

// allValues is one document per interesting value, every type included.
func allValues(ref strata.ID) []strata.Doc {
	return []strata.Doc{
		{"v": nil},
		{"v": true}, {"v": false},
		{"v": int64(math.MinInt64)}, {"v": int64(math.MaxInt64)}, {"v": int64(0)},
		{"v": math.Copysign(0, -1)}, {"v": 0.0}, {"v": math.NaN()}, {"v": math.Inf(1)}, {"v": math.Inf(-1)},
		{"v": math.SmallestNonzeroFloat64}, {"v": math.MaxFloat64}, {"v": 0.1},
		{"v": ""}, {"v": "a\x00b"}, {"v": "ünïcode ✓"},
		{"v": []byte{}}, {"v": []byte{0, 1, 0xff}},
		{"v": []any{}}, {"v": []any{int64(1), 2.5, "x", nil, []any{[]byte{9}, map[string]any{"k": false}}}},
		{"v": map[string]any{}}, {"v": map[string]any{"a": map[string]any{"b": []any{math.Inf(-1)}}, "k y": "spaced key"}},
		{"v": ref, "other": int64(7)},
	}
}

// exportOf exports every table of the database at url, system tables
// included.
func exportOf(t *testing.T, url string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := runCLI(url, &out, &errOut, "export", "--system"); err != nil {
		t.Fatalf("export %s: %v\n%s", url, err, errOut.String())
	}
	return out.String()
}

func runCLI(url string, out, errOut *bytes.Buffer, args ...string) error {
	return cliRun(append([]string{"--db", url}, args...), out, errOut)
}

// TestCopyRoundTrip copies a SQLite database holding every value type to
// PostgreSQL and back to a new SQLite file: the three exports are equal
// byte for byte, every index entry is copied, and the copies are
// consistent.
func TestCopyRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a := "sqlite:" + filepath.Join(dir, "a.db")
	c := "sqlite:" + filepath.Join(dir, "c.db")
	pg := pgtest.URL(t)

	db, err := strata.Open(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	s, err := strata.NewSchema(
		strata.Table("people", v.Object{"name": v.String()}).Index("by_name", "name"),
		strata.Table("vals", v.Object{"v": v.Any(), "other": v.Optional(v.Int64())}).Index("by_v", "v"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		ref, err := tx.Insert("people", strata.Doc{"name": "Ada"})
		if err != nil {
			return err
		}
		if _, err := tx.Insert("people", strata.Doc{"name": "Grace"}); err != nil {
			return err
		}
		for _, d := range allValues(ref) {
			if _, err := tx.Insert("vals", d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	want := exportOf(t, a)
	if !strings.Contains(want, `"_table":"_schemas"`) || !strings.Contains(want, `"$float":"NaN"`) {
		t.Fatalf("the source export lacks system tables or values:\n%s", want)
	}

	var out, errOut bytes.Buffer
	if err := cliRun([]string{"copy", "--from", a, "--to", pg}, &out, &errOut); err != nil {
		t.Fatalf("copy to postgres: %v\n%s", err, errOut.String())
	}
	t.Logf("copy sqlite -> postgres:\n%s", out.String())
	if got := exportOf(t, pg); got != want {
		t.Fatalf("PostgreSQL export differs from the source:\n got %s\nwant %s", got, want)
	}
	if err := cliRun([]string{"copy", "--from", pg, "--to", c}, &out, &errOut); err != nil {
		t.Fatalf("copy to sqlite: %v\n%s", err, errOut.String())
	}
	if got := exportOf(t, c); got != want {
		t.Fatalf("round-tripped export differs from the source:\n got %s\nwant %s", got, want)
	}

	// Both copies are consistent and answer index queries like the source.
	for _, url := range []string{pg, c} {
		db, err := strata.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if err := dbcheck.Check(ctx, db); err != nil {
			t.Errorf("%s: %v", url, err)
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			docs, err := tx.Table("people").WithIndex("by_name", strata.Eq("name", "Grace")).Collect()
			if err == nil && len(docs) != 1 {
				t.Errorf("%s: by_name lookup found %d documents", url, len(docs))
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
		// A document inserted after the copy sorts after the copied ones.
		err = db.Mutation(ctx, func(tx *strata.Tx) error {
			_, err := tx.Insert("people", strata.Doc{"name": "Zed"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Query(ctx, func(tx *strata.Tx) error {
			docs, err := tx.Table("people").Collect()
			if err == nil && (len(docs) != 3 || docs[2].StringOr("name", "") != "Zed") {
				t.Errorf("%s: after the copy, a new document does not come last: %v", url, docs)
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
		db.Close()
	}

	// A non-empty destination is refused without --force.
	err = cliRun([]string{"copy", "--from", a, "--to", c}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("copy into a non-empty destination: %v", err)
	}
	if err := cliRun([]string{"copy", "--force", "--from", a, "--to", c}, &out, &errOut); err != nil {
		t.Fatalf("copy --force: %v\n%s", err, errOut.String())
	}
	if got := exportOf(t, c); got != want {
		t.Fatalf("export after copy --force differs from the source")
	}
}

func cliRun(args []string, out, errOut *bytes.Buffer) error {
	out.Reset()
	errOut.Reset()
	return cliRunFunc(context.Background(), args, out, errOut)
}

var cliRunFunc = func(ctx context.Context, args []string, out, errOut *bytes.Buffer) error {
	return cli.Run(ctx, args, out, errOut)
}
