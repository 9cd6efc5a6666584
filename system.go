package strata

import (
	"context"
	"fmt"

	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// The privileged surface strata's own packages fetch with system.Open.
func init() {
	system.Register(&system.Core[*DB, *Tx]{
		Insert: func(tx *Tx, table string, doc map[string]any) (value.ID, error) {
			if err := tx.systemWrite(table); err != nil {
				return "", err
			}
			for k := range doc {
				if k == FieldID || k == FieldCreationTime {
					return "", &WriteError{Op: "insert", Table: table, Err: fmt.Errorf("system field %s cannot be set", k)}
				}
			}
			return tx.insert(table, doc, "", 0)
		},
		Patch: func(tx *Tx, id value.ID, p map[string]any) error {
			if err := tx.systemWriteID(id); err != nil {
				return err
			}
			return tx.patch(id, p, true)
		},
		Replace: func(tx *Tx, id value.ID, doc map[string]any) error {
			if err := tx.systemWriteID(id); err != nil {
				return err
			}
			return tx.replace(id, doc, true)
		},
		Delete: func(tx *Tx, id value.ID) error {
			if err := tx.systemWriteID(id); err != nil {
				return err
			}
			return tx.delete(id, true)
		},
		ScanRecordsByID: func(tx *Tx, table string, after value.ID, limit int) ([]value.ID, [][]byte, bool, error) {
			return tx.scanRecordsByID(table, after, limit)
		},
		AdoptDecoded: func(tx *Tx, id value.ID, record []byte, doc map[string]any) {
			tx.adoptDecoded(id, record, doc)
		},
		TakesTurns: func(tx *Tx) bool {
			_, ok := tx.st.(storage.Waiters)
			return ok
		},
		NameTransaction: func(tx *Tx, name string) {
			if tx.counts.function == "" {
				tx.counts.function = name
			}
		},
		UpgradeCursor: func(tx *Tx, cursor string) string {
			return upgradeCursor(tx.db.cursorKey, cursor)
		},
		QueryValidated: func(ctx context.Context, db *DB, fn func(tx *Tx) error) error {
			return db.runWith(ctx, txMode{validated: true}, fn)
		},
		Push: func(ctx context.Context, db *DB, s *schema.Schema, migrations []string, wait bool) error {
			migs := append([]string{}, migrations...)
			_, err := db.Push(ctx, s, PushOptions{Wait: wait, migrations: &migs})
			return err
		},
		PushStep: func(ctx context.Context, db *DB, p system.ShapePush) error {
			migs := append([]string{}, p.Migrations...)
			opts := PushOptions{Wait: p.Wait, migrations: &migs, trusted: p.Trusted}
			if p.Step != "" {
				step, err := parseShapeStep(p.Step)
				if err != nil {
					return fmt.Errorf("strata: push schema: %w", err)
				}
				opts.step = &pushStep{table: p.Table, step: step}
			}
			if len(p.Relabel) > 0 {
				opts.relabel = map[string]bool{}
				for _, k := range p.Relabel {
					opts.relabel[k] = true
				}
			}
			_, err := db.Push(ctx, p.Schema, opts)
			return err
		},
		DecodeRecord: func(tx *Tx, table string, record []byte) (map[string]any, error) {
			return tx.state.decodeRecord(table, record)
		},
		Materialize: func(tx *Tx, table string, id value.ID) (bool, error) {
			return tx.materialize(table, id)
		},
		RaiseShapeBase: func(ctx context.Context, db *DB, table string, base uint64) error {
			return db.raiseShapeBase(ctx, table, base)
		},
		Shapes: func(tx *Tx, table string) (base, current uint64) {
			c := tx.state.shapesFor(table)
			return c.baseShape(), c.current()
		},
		ActiveMigrations: func(ctx context.Context, db *DB) ([]string, error) {
			return db.activeMigrations(ctx)
		},
		CreationOutOfOrder: func(tx *Tx) bool {
			_, ok := tx.st.(storage.Clock)
			return ok
		},
		IndexKey: storedIndexKey,
	})
}

// systemWrite checks that table is a system table and tx may write.
func (tx *Tx) systemWrite(table string) error {
	if tx == nil {
		return fmt.Errorf("strata: system write: no transaction")
	}
	if !tx.writable {
		return ErrReadOnly
	}
	if err := checkReadTableName(table); err != nil || table[0] != '_' {
		return &WriteError{Op: "write", Table: table, Err: fmt.Errorf("not a system table")}
	}
	return nil
}

func (tx *Tx) systemWriteID(id value.ID) error {
	table, err := id.Table()
	if err != nil {
		return &WriteError{Op: "write", Err: err}
	}
	return tx.systemWrite(table)
}

// activeMigrations returns the migration files recorded with the active
// schema.
func (db *DB) activeMigrations(ctx context.Context) ([]string, error) {
	var out []string
	err := db.Query(system.Unlimited(ctx), func(tx *Tx) error {
		if err := tx.loadSchema(); err != nil {
			return err
		}
		if tx.state != nil {
			out = append(out, tx.state.migrations...)
		}
		return nil
	})
	return out, err
}
