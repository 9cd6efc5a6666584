package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/corrupt"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// damageBackends runs fn as a subtest per backend with the URL of a fresh
// database that the test damages (so nothing checks it at the end).
func damageBackends(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, pgtest.URL(t))
	})
}

// strataAt runs the command line against url.
func strataAt(url string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := runCLI(url, &out, &errOut, args...)
	return out.String(), errOut.String(), err
}

// seedNamed creates n users indexed by name at url, then runs damage (if
// not nil) on the storage below strata with their documents, and closes.
func seedNamed(t *testing.T, url string, n int, damage func(st storage.Tx, docs []strata.Doc) error) []strata.Doc {
	t.Helper()
	ctx := context.Background()
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String()}).Index("by_name", "name"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	var docs []strata.Doc
	for start := 0; start < n; start += 1000 {
		err = db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := start; i < min(n, start+1000); i++ {
				id, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("user%05d", i)})
				if err != nil {
					return err
				}
				d, err := tx.Get(id)
				if err != nil {
					return err
				}
				docs = append(docs, d)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if damage != nil {
		// A second handle on the same store, below strata.
		b, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		st, err := b.Begin(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Rollback()
		if err := damage(st, docs); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

// sys is strata's privileged surface without a grant: it reads only.
var sys = system.Open[*strata.DB, *strata.Tx]()

func dropEntry(st storage.Tx, ix schema.Index, d strata.Doc) error {
	k, err := sys.IndexKey(ix, d)
	if err != nil {
		return err
	}
	return st.DeleteIndex("users", ix.Name, k)
}

// TestExportAndDataDoNotTrustIndexes loses index entries below strata:
// export still writes every document, data fails instead of listing a
// fraction, check names every missing entry, and check --repair-indexes
// rebuilds them.
func TestExportAndDataDoNotTrustIndexes(t *testing.T) {
	t.Parallel()
	damageBackends(t, func(t *testing.T, url string) {
		var lost []string
		docs := seedNamed(t, url, 50, func(st storage.Tx, docs []strata.Doc) error {
			for i, d := range docs {
				var ix schema.Index
				switch {
				case i%5 == 0: // 10 documents lose their by_creation_time entry
					ix = schema.Index{Name: "by_creation_time"}
				case i%7 == 1: // 7 their by_name entry
					ix = schema.Index{Name: "by_name", Fields: []string{"name"}}
				default:
					continue
				}
				lost = append(lost, "missing_entry: users."+ix.Name+": document "+string(d.ID()))
				if err := dropEntry(st, ix, d); err != nil {
					return err
				}
			}
			return nil
		})
		out, errOut, err := strataAt(url, "export", "users")
		if err != nil || strings.Count(out, "\n") != len(docs) {
			t.Errorf("export users: %d lines, %v %s; want %d", strings.Count(out, "\n"), err, errOut, len(docs))
		}
		for _, d := range docs {
			if !strings.Contains(out, string(d.ID())) {
				t.Errorf("export lacks %s", d.ID())
			}
		}
		if out, _, err := strataAt(url, "export"); err != nil || strings.Count(out, `"_table":"users"`) != len(docs) {
			t.Errorf("export: %d users, %v", strings.Count(out, `"_table":"users"`), err)
		}
		for _, args := range [][]string{
			{"data", "users", "--limit", "0"},
			{"data", "users", "--limit", "100", "--json"},
			{"data", "users", "--index", "by_name", "--limit", "0"},
		} {
			out, errOut, err := strataAt(url, args...)
			if err == nil || !strings.Contains(errOut, "but the table holds 50") || out != "" {
				t.Errorf("strata %s over a damaged index: %v\nstdout %q\nstderr %q", strings.Join(args, " "), err, out, errOut)
			}
		}
		out, _, err = strataAt(url, "check")
		if err == nil {
			t.Errorf("check passed a damaged database:\n%s", out)
		}
		for _, want := range lost {
			if !strings.Contains(out, want) {
				t.Errorf("check does not report %q:\n%s", want, out)
			}
		}
		out, _, err = strataAt(url, "--json", "check")
		var rep struct {
			OK       bool             `json:"ok"`
			Problems []strata.Problem `json:"problems"`
		}
		if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || err == nil || rep.OK || len(rep.Problems) != len(lost) {
			t.Errorf("check --json: %v, %v, %+v\n%s", jerr, err, rep, out)
		}
		out, errOut, err = strataAt(url, "check", "--repair-indexes")
		if err != nil || !strings.Contains(out, "rebuilt users: 50 document(s) indexed in by_creation_time 50, by_name 50") || !strings.Contains(out, "ok: no problems found") {
			t.Errorf("check --repair-indexes: %v\n%s%s", err, out, errOut)
		}
		if out, errOut, err := strataAt(url, "data", "users", "--limit", "0"); err != nil || !strings.Contains(out, "(50 document(s))") {
			t.Errorf("data after repair: %v\n%s%s", err, out, errOut)
		}
	})
}

// TestExportRefusesDamagedRecords: a record that is empty or holds
// another document's _id makes export fail, naming it, where it used to
// be exported as is; check names both, and repairing the indexes does not
// hide them.
func TestExportRefusesDamagedRecords(t *testing.T) {
	t.Parallel()
	damageBackends(t, func(t *testing.T, url string) {
		docs := seedNamed(t, url, 10, func(st storage.Tx, docs []strata.Doc) error {
			empty, err := value.AppendDoc(nil, map[string]any{})
			if err != nil {
				return err
			}
			if err := st.Put("users", []byte(docs[2].ID()), empty); err != nil {
				return err
			}
			other, err := value.AppendDoc(nil, map[string]any(docs[6]))
			if err != nil {
				return err
			}
			return st.Put("users", []byte(docs[5].ID()), other)
		})
		// Export goes in _id order: it stops at whichever comes first.
		out, errOut, err := strataAt(url, "export", "users")
		if err == nil || !strings.Contains(errOut, "corrupt data") || !strings.Contains(errOut, string(docs[2].ID())) && !strings.Contains(errOut, string(docs[5].ID())) {
			t.Errorf("export of a damaged table: %v\nstdout %q\nstderr %q", err, out, errOut)
		}
		for _, args := range [][]string{{"check"}, {"check", "--repair-indexes"}} {
			out, _, err := strataAt(url, args...)
			if err == nil || !strings.Contains(out, "id_mismatch: users: document "+string(docs[2].ID())+": record has no _id") ||
				!strings.Contains(out, "id_mismatch: users: document "+string(docs[5].ID())+`: record holds _id "`+string(docs[6].ID())+`"`) {
				t.Errorf("strata %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	})
}

// TestCheckDamagedSQLiteFileCLI is the damage of the issue: bytes of the
// index B-tree changed on disk, so that integrity_check reports "row not
// in PRIMARY KEY order for strata_index" and index scans return a
// fraction of the documents. Export writes them all; data and check fail;
// check --repair-indexes replaces the tree, after which check passes.
func TestCheckDamagedSQLiteFileCLI(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.db")
	url := "sqlite:" + path
	const n = 5000
	seedNamed(t, url, n, nil)
	if err := corrupt.SQLiteIndexTree(path, "by_creation_time"); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := strataAt(url, "export", "users"); err != nil || strings.Count(out, "\n") != n {
		t.Errorf("export users: %d lines, %v %s", strings.Count(out, "\n"), err, errOut)
	}
	// Which index the damaged divider belongs to depends on the ids: data
	// through either index lists every document or fails.
	failed := 0
	for _, index := range []string{"by_creation_time", "by_name"} {
		out, errOut, err := strataAt(url, "data", "users", "--limit", "0", "--json", "--index", strings.TrimPrefix(index, "by_creation_time"))
		switch {
		case err != nil && strings.Contains(errOut, "index "+index+` of table "users" lists`) && strings.Contains(errOut, "the index is damaged"):
			failed++
		case err != nil || strings.Count(out, `"_id"`) != n:
			t.Errorf("data through %s: %d documents, %v %s", index, strings.Count(out, `"_id"`), err, errOut)
		}
	}
	if failed == 0 {
		t.Errorf("data through each index listed every document: the damage did not take")
	}
	out, _, err := strataAt(url, "check")
	if err == nil || !strings.Contains(out, "row not in PRIMARY KEY order for strata_index") || !strings.Contains(out, "missing_entry: users.by_") {
		t.Errorf("check: %v\n%.2000s", err, out)
	}
	if out, errOut, err := strataAt(url, "check", "--repair-indexes"); err != nil || !strings.Contains(out, "engine: PRAGMA integrity_check") || !strings.Contains(out, "ok: no problems found") {
		t.Errorf("check --repair-indexes: %v\n%s%s", err, out, errOut)
	}
	if out, errOut, err := strataAt(url, "data", "users", "--limit", "0", "--json"); err != nil || strings.Count(out, `"_id"`) != n {
		t.Errorf("data after repair: %d documents, %v %s", strings.Count(out, `"_id"`), err, errOut)
	}
}

// TestCheckUnreadableSQLiteFileCLI: documents that cannot be read at all
// make export fail rather than end early, and check print what the engine
// found before it exits non-zero.
func TestCheckUnreadableSQLiteFileCLI(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "u.db")
	url := "sqlite:" + path
	seedNamed(t, url, 3000, nil)
	if err := corrupt.SQLiteLastDocumentsPage(path); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := strataAt(url, "export", "users"); err == nil || !strings.Contains(errOut, "malformed") {
		t.Errorf("export of unreadable documents: %d lines, %v %s", strings.Count(out, "\n"), err, errOut)
	}
	out, errOut, err := strataAt(url, "check")
	if err == nil || !strings.Contains(errOut, "check: could not finish") || !strings.Contains(out, "engine: storage: PRAGMA integrity_check: ") || strings.Contains(out, "ok: no problems") {
		t.Errorf("check of unreadable documents: %v\nstdout %.1500s\nstderr %s", err, out, errOut)
	}
	out, _, err = strataAt(url, "--json", "check")
	var rep struct {
		OK       bool             `json:"ok"`
		Problems []strata.Problem `json:"problems"`
	}
	if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || err == nil || rep.OK || len(rep.Problems) == 0 {
		t.Errorf("check --json of unreadable documents: %v, %v, %+v", jerr, err, rep)
	}
}
