package strata_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/v"
)

// backupOf reads every document of db, _schemas first, then the other
// system tables, then the application's, as a backup holds them.
func backupOf(t testing.TB, db *strata.DB) (tables []string, docs map[string][]strata.Doc) {
	t.Helper()
	docs = map[string][]strata.Doc{}
	query(t, db, func(tx *strata.Tx) error {
		all, err := tx.Tables()
		if err != nil {
			return err
		}
		var sys, user []string
		for _, tb := range all {
			switch {
			case tb == "_schemas":
				tables = append(tables, tb)
			case strings.HasPrefix(tb, "_"):
				sys = append(sys, tb)
			default:
				user = append(user, tb)
			}
		}
		tables = append(append(tables, sys...), user...)
		for _, tb := range tables {
			if err := tx.EachDocument(tb, func(d strata.Doc) error { docs[tb] = append(docs[tb], d); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	return tables, docs
}

// TestRestore: DB.Restore rebuilds a database record for record (the
// stored bytes of every document and index entry are the same), only
// into an empty database, all or nothing, and later inserts get creation
// times after the restored ones.
func TestRestore(t *testing.T) {
	t.Parallel()
	src := openDB(t)
	s, err := strata.NewSchema(
		strata.Table("users", v.Object{"name": v.String()}).Index("by_name", "name"),
		strata.Table("posts", v.Object{"author": v.ID("users"), "tags": v.Array(v.ID("users"))}).Index("by_author", "author"))
	setSchema(t, src, s, err)
	ids := insert(t, src, "users", strata.Doc{"name": "Ada"}, strata.Doc{"name": "Grace"})
	insert(t, src, "posts", strata.Doc{"author": ids[0], "tags": []any{ids[1], ids[0]}})
	tables, docs := backupOf(t, src)
	read := func(put func(string, strata.Doc) error) error {
		for _, tb := range tables {
			for _, d := range docs[tb] {
				if err := put(tb, d); err != nil {
					return err
				}
			}
		}
		return nil
	}

	dst := openDB(t)
	counts, err := dst.Restore(ctx, read)
	if err != nil {
		t.Fatal(err)
	}
	if counts["users"] != 2 || counts["posts"] != 1 || counts["_schemas"] == 0 {
		t.Errorf("counts %v", counts)
	}
	if !bytes.Equal(dump(t, src), dump(t, dst)) {
		t.Errorf("the restored database differs from the source:\n%s\nvs\n%s", dump(t, dst), dump(t, src))
	}
	if dst.Schema() == nil || dst.Schema().Tables["posts"] == nil {
		t.Fatalf("restored schema: %v", dst.Schema())
	}
	query(t, dst, func(tx *strata.Tx) error {
		got, err := tx.Table("posts").WithIndex("by_author", strata.Eq("author", ids[0])).Collect()
		if len(got) != 1 {
			t.Errorf("by_author after restore: %v", got)
		}
		return err
	})
	newID := insert(t, dst, "users", strata.Doc{"name": "Edsger"})[0]
	query(t, dst, func(tx *strata.Tx) error {
		d, err := tx.Get(newID)
		if d.CreationTime() <= docs["users"][1].CreationTime() && d.CreationTime() <= docs["users"][0].CreationTime() {
			t.Errorf("new document's _creationTime %v not after the restored ones", d.CreationTime())
		}
		return err
	})

	// Only into an empty database.
	if _, err := dst.Restore(ctx, read); !errors.Is(err, strata.ErrRestoreNotEmpty) {
		t.Errorf("restore into a non-empty database: %v", err)
	}
	// All or nothing: a failure half-way leaves the database empty.
	empty := openDB(t)
	boom := errors.New("boom")
	_, err = empty.Restore(ctx, func(put func(string, strata.Doc) error) error {
		if err := put(tables[0], docs[tables[0]][0]); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || len(dump(t, empty)) != 0 {
		t.Errorf("failed restore: %v, left %q", err, dump(t, empty))
	}
	// A document twice, or without its system fields, is refused.
	for _, bad := range []strata.Doc{docs["users"][0], {"name": "no id"}} {
		_, err := empty.Restore(ctx, func(put func(string, strata.Doc) error) error {
			if err := put("users", docs["users"][0]); err != nil {
				return err
			}
			return put("users", bad)
		})
		var we *strata.WriteError
		if !errors.As(err, &we) || len(dump(t, empty)) != 0 {
			t.Errorf("restore of %v: %v", bad, err)
		}
	}
}
