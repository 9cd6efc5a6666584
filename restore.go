package strata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// ErrRestoreNotEmpty is wrapped by the error of a Restore into a database
// that holds documents. Nothing was written.
var ErrRestoreNotEmpty = errors.New("restore: the database is not empty")

// Restore fills an empty database with documents as a backup holds them,
// system tables included, in one transaction: all of them or, on any
// error, none. read is called with put and calls it once per document, in
// order: every document of _schemas first (the schema they make active
// governs the index entries of the documents that follow), then the other
// system tables, then the application's tables. read may be called again
// from the start if the transaction has to be retried after a conflict.
//
// Each document keeps its _id, _creationTime and fields exactly; it is
// neither validated nor transformed (it was valid where it was backed up,
// and tables the schema no longer declares keep their documents), and it
// gets an entry in by_creation_time and in every index the restored schema
// declares for its table. Creation-time clocks end past the newest
// restored time. It returns the number of documents restored per table.
// Restore is for tools (strata import --all); it is exempt from the
// transaction limits.
func (db *DB) Restore(ctx context.Context, read func(put func(table string, doc Doc) error) error) (map[string]int64, error) {
	var counts map[string]int64
	err := db.runWith(system.Unlimited(ctx), txMode{writable: true}, func(tx *Tx) error {
		counts = map[string]int64{}
		tables, err := tx.Tables()
		if err != nil {
			return err
		}
		if len(tables) > 0 {
			return fmt.Errorf("%w: it holds tables %s", ErrRestoreNotEmpty, strings.Join(tables, ", "))
		}
		last := ""
		return read(func(table string, doc Doc) error {
			if table != last {
				if strings.HasPrefix(last, "_") || last == "" {
					// The schema, if restored, governs the indexes of what follows.
					if err := tx.loadSchema(); err != nil {
						return err
					}
				}
				if table == schemasTable && last != "" {
					return fmt.Errorf("restore: %s must come first, before %s", schemasTable, last)
				}
				last = table
			}
			if err := tx.restore(table, doc); err != nil {
				return err
			}
			counts[table]++
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Later transactions of this DB read the restored schema.
	if err := db.refreshSchema(ctx); err != nil {
		return counts, err
	}
	return counts, nil
}

// restore writes doc, a stored document of table with its system fields,
// as it is.
func (tx *Tx) restore(table string, doc Doc) error {
	if err := checkReadTableName(table); err != nil {
		return &WriteError{Op: "restore", Table: table, Err: err}
	}
	var id ID
	switch x := doc[FieldID].(type) {
	case ID:
		id = x
	case string:
		id = ID(x)
	default:
		return &WriteError{Op: "restore", Table: table, Err: fmt.Errorf("_id: expected an id, found %s", value.TypeName(doc[FieldID]))}
	}
	if _, err := value.ParseIDFor(string(id), table); err != nil {
		return &WriteError{Op: "restore", Table: table, Err: err}
	}
	ct, ok := doc[FieldCreationTime].(float64)
	if !ok || math.IsNaN(ct) || math.IsInf(ct, 0) || ct <= 0 {
		return &WriteError{Op: "restore", Table: table, ID: id, Err: fmt.Errorf("_creationTime: expected a positive finite number, found %s", value.TypeName(doc[FieldCreationTime]))}
	}
	doc[FieldID] = id
	if err := value.Check(map[string]any(doc)); err != nil {
		return &WriteError{Op: "restore", Table: table, ID: id, Err: err}
	}
	if _, err := tx.st.Get(table, []byte(id)); err == nil {
		return &WriteError{Op: "restore", Table: table, ID: id, Err: errors.New("the backup holds this _id twice")}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return &WriteError{Op: "restore", Table: table, ID: id, Err: err}
	}
	if err := tx.importedCreationTime(table, ct); err != nil {
		return &WriteError{Op: "restore", Table: table, ID: id, Err: err}
	}
	if err := tx.write(table, id, nil, doc); err != nil {
		return &WriteError{Op: "restore", Table: table, ID: id, Err: err}
	}
	return nil
}
