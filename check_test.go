package strata_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/corrupt"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/v"
	"github.com/strata-db/strata/value"
)

// openDamageable opens a fresh database of backend ("sqlite" or
// "postgres") for a test that damages it on purpose: unlike openDB, it is
// not checked when the test ends.
func openDamageable(t testing.TB, backend string) *strata.DB {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "d.db")
	if backend == "postgres" {
		url = pgtest.URL(t)
	}
	db, err := strata.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	byName = schema.Index{Name: "by_name", Fields: []string{"name"}}
	byAge  = schema.Index{Name: "by_age", Fields: []string{"age"}}
)

// seedUsers fills db with n users, indexed by name and by age, and
// returns their ids in insertion order.
func seedUsers(t testing.TB, db *strata.DB, n int) []strata.ID {
	t.Helper()
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "age": v.Int64()}).Index(byName.Name, byName.Fields...).Index(byAge.Name, byAge.Fields...))
	setSchema(t, db, s, err)
	ids := make([]strata.ID, 0, n)
	for start := 0; start < n; start += 1000 {
		mutate(t, db, func(tx *strata.Tx) error {
			ids = ids[:start]
			for i := start; i < min(n, start+1000); i++ {
				id, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("user%06d", i), "age": int64(i % 90)})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
	}
	return ids
}

// damage runs fn in a storage write transaction of db, below strata.
func damage(t testing.TB, db *strata.DB, fn func(st storage.Tx) error) {
	t.Helper()
	st, err := strata.BackendOf(db).Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Rollback()
	if err := fn(st); err != nil {
		t.Fatalf("damage: %v", err)
	}
	if err := st.Commit(); err != nil {
		t.Fatalf("damage: commit: %v", err)
	}
}

// keyOf returns the key of document id in ix as strata writes it.
func keyOf(t testing.TB, db *strata.DB, ix schema.Index, id strata.ID) []byte {
	t.Helper()
	var d strata.Doc
	query(t, db, func(tx *strata.Tx) error {
		var err error
		d, err = tx.Get(id)
		return err
	})
	k, err := strata.IndexKey(ix, d)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encode(t testing.TB, m map[string]any) []byte {
	t.Helper()
	b, err := value.AppendDoc(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// problemAt is what a test expects DB.Check to name.
type problemAt struct {
	kind         strata.ProblemKind
	index, docID string
	table        string // "" is "users"
}

func hasProblem(rep *strata.CheckReport, want problemAt) bool {
	table := want.table
	if table == "" {
		table = "users"
	}
	for _, p := range rep.Problems {
		if p.Kind == want.kind && p.Table == table && p.Index == want.index && p.ID == want.docID {
			return true
		}
	}
	return false
}

// TestCheckNamesEachProblem damages a database through the storage layer
// in one way per case, on both backends, and requires DB.Check to name
// the problem (kind, table, index, document), EachDocument (what export
// reads) to return every document or fail, and RepairIndexes to leave
// only the damaged records themselves in the report.
func TestCheckNamesEachProblem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name string
		// damage returns the problems Check must report.
		damage func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt
		// recordDamaged: the damage is in a document record, which
		// EachDocument refuses and repair cannot fix.
		recordDamaged bool
	}{
		{"entry points at a missing document", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			ghost := value.NewID("users")
			damage(t, db, func(st storage.Tx) error {
				return st.PutIndex("users", byName.Name, []byte("\x60ghost"), []byte(ghost))
			})
			return []problemAt{{strata.ProblemMissingDocument, byName.Name, string(ghost), ""}}
		}, false},
		{"document without its entry", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			k := keyOf(t, db, byName, ids[3])
			damage(t, db, func(st storage.Tx) error { return st.DeleteIndex("users", byName.Name, k) })
			return []problemAt{{strata.ProblemMissingEntry, byName.Name, string(ids[3]), ""}}
		}, false},
		{"document without its by_creation_time entry", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			k := keyOf(t, db, schema.Index{Name: "by_creation_time"}, ids[4])
			damage(t, db, func(st storage.Tx) error { return st.DeleteIndex("users", "by_creation_time", k) })
			return []problemAt{{strata.ProblemMissingEntry, "by_creation_time", string(ids[4]), ""}}
		}, false},
		{"entry with a stale key", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			k := keyOf(t, db, byAge, ids[5])
			stale := slices.Clone(k)
			stale[len(stale)/2] ^= 1 // another age
			damage(t, db, func(st storage.Tx) error {
				if err := st.DeleteIndex("users", byAge.Name, k); err != nil {
					return err
				}
				return st.PutIndex("users", byAge.Name, stale, []byte(ids[5]))
			})
			return []problemAt{{strata.ProblemWrongKey, byAge.Name, string(ids[5]), ""}, {strata.ProblemMissingEntry, byAge.Name, string(ids[5]), ""}}
		}, false},
		{"entries of an undeclared index", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			damage(t, db, func(st storage.Tx) error {
				return st.PutIndex("users", "by_ghost", []byte("k"), []byte(ids[6]))
			})
			return []problemAt{{strata.ProblemUnknownIndex, "by_ghost", "", ""}}
		}, false},
		{"empty record", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			damage(t, db, func(st storage.Tx) error { return st.Put("users", []byte(ids[7]), encode(t, map[string]any{})) })
			return []problemAt{{strata.ProblemIDMismatch, "", string(ids[7]), ""}}
		}, true},
		{"record holding another _id", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			var other strata.Doc
			query(t, db, func(tx *strata.Tx) error {
				var err error
				other, err = tx.Get(ids[9])
				return err
			})
			damage(t, db, func(st storage.Tx) error { return st.Put("users", []byte(ids[8]), encode(t, other)) })
			return []problemAt{{strata.ProblemIDMismatch, "", string(ids[8]), ""}}
		}, true},
		{"record that does not decode", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			damage(t, db, func(st storage.Tx) error { return st.Put("users", []byte(ids[10]), []byte{0xff, 0x00, 0x13}) })
			return []problemAt{{strata.ProblemUndecodable, "", string(ids[10]), ""}}
		}, true},
		{"record under a key that is not an id", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			damage(t, db, func(st storage.Tx) error {
				return st.Put("users", []byte("not-an-id"), encode(t, map[string]any{"_id": strata.ID("not-an-id"), "_creationTime": 1.0, "name": "x", "age": int64(1)}))
			})
			return []problemAt{{strata.ProblemBadID, "", "not-an-id", ""}}
		}, true},
		{"records under a table name that is not valid", func(t *testing.T, db *strata.DB, ids []strata.ID) []problemAt {
			damage(t, db, func(st storage.Tx) error { return st.Put("no such", []byte(ids[11]), encode(t, map[string]any{})) })
			return []problemAt{{strata.ProblemBadTable, "", "", "no such"}}
		}, false},
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					db := openDamageable(t, backend)
					ids := seedUsers(t, db, 20)
					if rep, err := db.Check(ctx); err != nil || !rep.OK() {
						t.Fatalf("check of the intact database: %v, %v", err, rep.Err())
					}
					want := tc.damage(t, db, ids)
					rep, err := db.Check(ctx)
					if err != nil {
						t.Fatal(err)
					}
					for _, w := range want {
						if !hasProblem(rep, w) {
							t.Errorf("check does not report %+v; it reports: %v", w, rep.Err())
						}
					}
					if err := rep.Err(); !errors.Is(err, strata.ErrCorrupt) {
						t.Errorf("report error %v does not wrap ErrCorrupt", err)
					}
					// What export reads: every document, or an error.
					var n int
					err = db.Query(ctx, func(tx *strata.Tx) error {
						return tx.EachDocument("users", func(strata.Doc) error { n++; return nil })
					})
					switch {
					case tc.recordDamaged && !errors.Is(err, strata.ErrCorrupt):
						t.Errorf("EachDocument over a damaged record: %v, want ErrCorrupt", err)
					case !tc.recordDamaged && (err != nil || n != len(ids)):
						t.Errorf("EachDocument: %d documents, %v; want %d", n, err, len(ids))
					}
					repaired, err := db.RepairIndexes(ctx, strata.CheckOptions{})
					if err != nil {
						t.Fatalf("repair: %v", err)
					}
					if i := slices.IndexFunc(repaired, func(r strata.TableRepair) bool { return r.Table == "users" }); i < 0 || repaired[i].Documents+repaired[i].Skipped < int64(len(ids)) {
						t.Errorf("repair report: %+v", repaired)
					}
					rep, err = db.Check(ctx)
					if err != nil {
						t.Fatal(err)
					}
					// What remains is the damaged records, still reported.
					inRecords := func(k strata.ProblemKind) bool {
						return k == strata.ProblemUndecodable || k == strata.ProblemIDMismatch || k == strata.ProblemBadID || k == strata.ProblemBadTable
					}
					for _, p := range rep.Problems {
						if !inRecords(p.Kind) {
							t.Errorf("after repair: %s: %s", p.Kind, p)
						}
					}
					for _, w := range want {
						if inRecords(w.kind) && !hasProblem(rep, w) {
							t.Errorf("after repair: %+v is no longer reported", w)
						}
					}
				})
			}
		})
	}
}

// TestCheckDamagedSQLiteFile damages the index B-tree of a SQLite file the
// way disk corruption does (see corrupt.SQLiteIndexTree): index scans
// then return a fraction of the documents. EachDocument still returns
// all of them, Check reports the engine's finding and the documents
// without entries, and RepairIndexes replaces the tree.
func TestCheckDamagedSQLiteFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	seedUsers(t, db, n)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := corrupt.SQLiteIndexTree(path, "by_creation_time"); err != nil {
		t.Fatal(err)
	}
	db, err = strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() (byIndex, byRecord int) {
		t.Helper()
		query(t, db, func(tx *strata.Tx) error {
			if err := tx.Table("users").Each(func(strata.Doc) error { byIndex++; return nil }); err != nil {
				return err
			}
			return tx.EachDocument("users", func(strata.Doc) error { byRecord++; return nil })
		})
		return byIndex, byRecord
	}
	if byIndex, byRecord := count(); byIndex >= n || byRecord != n {
		t.Fatalf("after the damage the index lists %d and the records %d documents; want fewer than %d and %d", byIndex, byRecord, n, n)
	}
	rep, err := db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Engine != "PRAGMA integrity_check" {
		t.Errorf("engine check: %q (%s)", rep.Engine, rep.EngineNote)
	}
	engine, missing := false, false
	for _, p := range rep.Problems {
		engine = engine || p.Kind == strata.ProblemEngine && p.Detail == "PRAGMA integrity_check: row not in PRIMARY KEY order for strata_index"
		missing = missing || p.Kind == strata.ProblemMissingEntry && p.Table == "users" && p.Index == "by_creation_time"
	}
	if !engine || !missing {
		t.Errorf("check found engine problem %v, missing entries %v: %v", engine, missing, rep.Err())
	}
	var done int64
	if _, err := db.RepairIndexes(ctx, strata.CheckOptions{Progress: func(p strata.CheckProgress) { done = max(done, p.Done) }}); err != nil {
		t.Fatal(err)
	}
	if done != n {
		t.Errorf("repair progress reached %d of %d documents", done, n)
	}
	last := map[string]strata.CheckProgress{}
	rep, err = db.CheckWith(ctx, strata.CheckOptions{Progress: func(p strata.CheckProgress) { last[p.Table] = p }})
	if err != nil || !rep.OK() {
		t.Fatalf("check after repair: %v %v", err, rep.Err())
	}
	// Documents, then three indexes: every record and entry read once.
	if p := last["users"]; p.Done != 4*n || p.Total != 4*n {
		t.Errorf("check progress of users ended at %d of %d, want %d", p.Done, p.Total, 4*n)
	}
	if byIndex, byRecord := count(); byIndex != n || byRecord != n {
		t.Errorf("after repair the index lists %d and the records %d documents; want %d", byIndex, byRecord, n)
	}
}

// TestCheckEngineOnPostgres: without the amcheck extension the report
// says the engine was not checked and why; once it is installed,
// bt_index_check runs on strata's primary keys.
func TestCheckEngineOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := strata.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedUsers(t, db, 10)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var installed bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')`).Scan(&installed); err != nil {
		t.Fatal(err)
	}
	if !installed {
		rep, err := db.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Engine != "" || !strings.Contains(rep.EngineNote, "amcheck extension is not installed") || !rep.OK() {
			t.Errorf("without amcheck: engine %q, note %q, %v", rep.Engine, rep.EngineNote, rep.Err())
		}
		var available bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck')`).Scan(&available); err != nil {
			t.Fatal(err)
		}
		if !available {
			t.Skip("amcheck is not available on this server")
		}
		// In the test's schema, dropped with it.
		if _, err := conn.Exec(ctx, `CREATE EXTENSION amcheck`); err != nil {
			t.Skipf("cannot install amcheck: %v", err)
		}
	}
	rep, err := db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Engine, "amcheck bt_index_check") || !rep.OK() {
		t.Errorf("with amcheck: engine %q, note %q, %v", rep.Engine, rep.EngineNote, rep.Err())
	}
}

// TestCheckUnreadableSQLiteFile: when the documents cannot be read at all
// the check fails, but its report still holds what the engine found.
func TestCheckUnreadableSQLiteFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "u.db")
	db, err := strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	seedUsers(t, db, 3000)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := corrupt.SQLiteLastDocumentsPage(path); err != nil {
		t.Fatal(err)
	}
	db, err = strata.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := db.Check(ctx)
	if err == nil {
		t.Fatalf("check of an unreadable file succeeded: %v", rep.Err())
	}
	if rep == nil || len(rep.Problems) == 0 || rep.Problems[0].Kind != strata.ProblemEngine {
		t.Fatalf("check failed (%v) without the engine's findings: %+v", err, rep)
	}
	t.Logf("%v; first finding: %s", err, rep.Problems[0])
}
