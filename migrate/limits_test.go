package migrate_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"path/filepath"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/internal/pgtest"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/v"
)

// TestMigrationsAreNotLimited: on a database whose transaction limits are
// far below the table's size (5 documents read or written), Go
// migrations (in id order and through an index), a dry run and a
// declarative migration from start to complete all succeed: migrations
// are strata's own work, exempt from the limits of application
// transactions — which still apply.
func TestMigrationsAreNotLimited(t *testing.T) {
	t.Parallel()
	for _, b := range []procBackend{procSQLite, procPostgres} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			seedDB, url := procDB(t, b)
			addUsers(t, seedDB, 300)
			s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "visits": v.Int64()}).Index("by_name", "name"))
			if err != nil {
				t.Fatal(err)
			}
			if err := seedDB.SetSchema(ctx, s); err != nil {
				t.Fatal(err)
			}
			db, err := strata.Open(ctx, url, strata.WithLimits(strata.Limits{DocumentsRead: 5, DocumentsWritten: 5}))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			m := migrate.New(db, migrate.Options{})
			for _, mig := range []migrate.Migration{
				{Name: "by_id", Table: "users", BatchSize: 100, TransformWrites: true, MigrateOne: increment},
				{Name: "by_index", Table: "users", Index: "by_name", BatchSize: 100, MigrateOne: increment},
				{Name: "whole_batch", Table: "users", BatchSize: 100, MigrateBatch: func(tx *strata.Tx, docs []strata.Doc) (int, error) {
					for _, d := range docs { // reads and writes through tx: also not limited
						if _, err := tx.Get(d.ID()); err != nil {
							return 0, err
						}
						p, _ := increment(d)
						if err := tx.Patch(d.ID(), p); err != nil {
							return 0, err
						}
					}
					return len(docs), nil
				}},
			} {
				if err := m.Define(mig); err != nil {
					t.Fatal(err)
				}
				st, err := m.Run(ctx, mig.Name)
				if err != nil || st.State != migrate.Completed || st.Processed != 300 {
					t.Fatalf("%s: %+v %v", mig.Name, st, err)
				}
			}
			// Every user was visited alike, by each migration (the write
			// transform of by_id, which stays installed, counts again).
			if got := countVisits(t, seedDB); len(got) != 1 || got[4] != 300 {
				t.Errorf("visits: %v, want all 300 users at 4", got)
			}
			f := parseFile(t, `{"name":"004_add_email","operations":[{"add_field":{"table":"users","field":"email","type":"string","default":"x@y"}}]}`)
			if _, err := m.DryRunFile(ctx, f, 3); err != nil {
				t.Fatalf("dry run: %v", err)
			}
			st, err := m.Start(ctx, f)
			if err != nil || st.State != migrate.Ready {
				t.Fatalf("start: %+v %v", st, err)
			}
			if st, err := m.Complete(ctx, "004_add_email"); err != nil || st.State != migrate.Completed {
				t.Fatalf("complete: %+v %v", st, err)
			}
			// The application is still limited.
			err = db.Query(ctx, func(tx *strata.Tx) error {
				_, err := tx.Table("users").Take(6)
				return err
			})
			if !errors.Is(err, strata.ErrLimitExceeded) {
				t.Errorf("application query over the limit: %v", err)
			}
		})
	}
}

// TestResumeFromCursorOfOlderFormat: a migration stopped part-way by a
// strata whose cursors had no integrity check (cursor version 1) resumes
// from its stored cursor after the upgrade, visiting every document once.
func TestResumeFromCursorOfOlderFormat(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db *strata.DB) {
		addUsers(t, db, 200)
		m := migrate.New(db)
		failOn := "u123"
		m.Define(migrate.Migration{
			Name: "count", Table: "users", BatchSize: 50, TargetBatchDuration: -1,
			MigrateOne: func(d strata.Doc) (strata.Patch, error) {
				if d.StringOr("name", "") == failOn {
					return nil, errors.New("stop here")
				}
				return increment(d)
			},
		})
		st, err := m.Run(ctx, "count")
		if err == nil || st.State != migrate.Failed || st.Processed != 100 {
			t.Fatalf("first run: %+v %v", st, err)
		}
		// The cursor as the older strata wrote it: version 1, no check.
		raw, err := base64.RawURLEncoding.DecodeString(st.Cursor)
		if err != nil || len(raw) < 10+16 || raw[0] != 2 {
			t.Fatalf("stored cursor %q: %v", st.Cursor, err)
		}
		raw = raw[:len(raw)-16]
		raw[0] = 1
		forge(t, db, "count", map[string]any{"cursor": base64.RawURLEncoding.EncodeToString(raw)})
		failOn = ""
		st, err = m.Run(ctx, "count")
		if err != nil || st.State != migrate.Completed || st.Processed != 200 {
			t.Fatalf("resume: %+v %v", st, err)
		}
		if got := countVisits(t, db); got[1] != 200 {
			t.Errorf("after resume: %v, want every document visited once", got)
		}
	})
}

// TestResumeOnCopiedDatabase: a migration stopped part-way and copied
// with strata copy (to SQLite and to PostgreSQL) resumes on the copy from
// its stored cursor, which the source database signed: the copy keeps
// every position, so the cursor is adopted, and every document is visited
// once.
func TestResumeOnCopiedDatabase(t *testing.T) {
	t.Parallel()
	for _, to := range []procBackend{procSQLite, procPostgres} {
		t.Run(string(to), func(t *testing.T) {
			t.Parallel()
			src, srcURL := procDB(t, procSQLite)
			addUsers(t, src, 200)
			failOn := "u123"
			mig := migrate.Migration{
				Name: "count", Table: "users", BatchSize: 50, TargetBatchDuration: -1,
				MigrateOne: func(d strata.Doc) (strata.Patch, error) {
					if d.StringOr("name", "") == failOn {
						return nil, errors.New("stop here")
					}
					return increment(d)
				},
			}
			m := migrate.New(src)
			m.Define(mig)
			if st, err := m.Run(ctx, "count"); err == nil || st.State != migrate.Failed || st.Processed != 100 {
				t.Fatalf("first run: %+v %v", st, err)
			}
			dstURL := "sqlite:" + filepath.Join(t.TempDir(), "copy.db")
			if to == procPostgres {
				dstURL = pgtest.URL(t)
			}
			var out, errOut bytes.Buffer
			if err := cli.Run(ctx, []string{"copy", "--from", srcURL, "--to", dstURL}, &out, &errOut); err != nil {
				t.Fatalf("copy: %v\n%s", err, errOut.String())
			}
			copied, err := strata.Open(ctx, dstURL)
			if err != nil {
				t.Fatal(err)
			}
			defer copied.Close()
			failOn = ""
			m2 := migrate.New(copied)
			m2.Define(mig)
			st, err := m2.Run(ctx, "count")
			if err != nil || st.State != migrate.Completed || st.Processed != 200 {
				t.Fatalf("resume on the copy: %+v %v", st, err)
			}
			if got := countVisits(t, copied); got[1] != 200 {
				t.Errorf("after resume on the copy: %v, want every document visited once", got)
			}
		})
	}
}
