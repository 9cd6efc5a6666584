package strata

import (
	"context"
	"fmt"

	"github.com/strata-db/strata/internal/system"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

func init() {
	system.Insert = func(t any, table string, doc map[string]any) (value.ID, error) {
		tx, err := asSystemTx(t, table)
		if err != nil {
			return "", err
		}
		for k := range doc {
			if k == FieldID || k == FieldCreationTime {
				return "", &WriteError{Op: "insert", Table: table, Err: fmt.Errorf("system field %s cannot be set", k)}
			}
		}
		return tx.insert(table, doc, "", 0)
	}
	system.Patch = func(t any, id value.ID, p map[string]any) error {
		tx, err := asSystemTxID(t, id)
		if err != nil {
			return err
		}
		return tx.patch(id, p, true)
	}
	system.Replace = func(t any, id value.ID, doc map[string]any) error {
		tx, err := asSystemTxID(t, id)
		if err != nil {
			return err
		}
		return tx.replace(id, doc, true)
	}
	system.Delete = func(t any, id value.ID) error {
		tx, err := asSystemTxID(t, id)
		if err != nil {
			return err
		}
		return tx.delete(id, true)
	}
}

func init() {
	system.ScanRecordsByID = func(t any, table string, after value.ID, limit int) ([]value.ID, [][]byte, bool, error) {
		tx, ok := t.(*Tx)
		if !ok || tx == nil {
			return nil, nil, false, fmt.Errorf("strata: scan by id: not a *strata.Tx: %T", t)
		}
		return tx.scanRecordsByID(table, after, limit)
	}
	system.AdoptDecoded = func(t any, id value.ID, record []byte, doc map[string]any) {
		if tx, ok := t.(*Tx); ok && tx != nil {
			tx.adoptDecoded(id, record, doc)
		}
	}
	system.MutationRelaxed = func(ctx context.Context, d any, fn func(tx any) error) error {
		db, ok := d.(*DB)
		if !ok || db == nil {
			return fmt.Errorf("strata: relaxed mutation: not a *strata.DB: %T", d)
		}
		return db.runWith(ctx, txMode{writable: true, relaxed: true}, func(tx *Tx) error { return fn(tx) })
	}
	system.QueryValidated = func(ctx context.Context, d any, fn func(tx any) error) error {
		db, ok := d.(*DB)
		if !ok || db == nil {
			return fmt.Errorf("strata: validated query: not a *strata.DB: %T", d)
		}
		return db.runWith(ctx, txMode{validated: true}, func(tx *Tx) error { return fn(tx) })
	}
	system.WriteBarrier = func(ctx context.Context, d any) error {
		db, ok := d.(*DB)
		if !ok || db == nil {
			return fmt.Errorf("strata: write barrier: not a *strata.DB: %T", d)
		}
		return db.writers.wait(ctx)
	}
	system.TakesTurns = func(t any) bool {
		tx, ok := t.(*Tx)
		if !ok || tx == nil {
			return false
		}
		_, ok = tx.st.(storage.Waiters)
		return ok
	}
	system.WritersWaiting = func(t any) bool {
		tx, ok := t.(*Tx)
		if !ok || tx == nil || !tx.writable {
			return false
		}
		w, ok := tx.st.(storage.Waiters)
		return ok && w.WritersWaiting() > 0
	}
}

func asSystemTx(t any, table string) (*Tx, error) {
	tx, ok := t.(*Tx)
	if !ok || tx == nil {
		return nil, fmt.Errorf("strata: system write: not a *strata.Tx: %T", t)
	}
	if !tx.writable {
		return nil, ErrReadOnly
	}
	if err := checkReadTableName(table); err != nil || table[0] != '_' {
		return nil, &WriteError{Op: "write", Table: table, Err: fmt.Errorf("not a system table")}
	}
	return tx, nil
}

func asSystemTxID(t any, id value.ID) (*Tx, error) {
	table, err := id.Table()
	if err != nil {
		return nil, &WriteError{Op: "write", Err: err}
	}
	return asSystemTx(t, table)
}

func init() {
	system.UpgradeCursor = func(t any, cursor string) string {
		if tx, ok := t.(*Tx); ok && tx != nil {
			return upgradeCursor(tx.db.cursorKey, cursor)
		}
		return cursor
	}
	system.NameTransaction = func(t any, name string) {
		if tx, ok := t.(*Tx); ok && tx != nil && tx.counts.function == "" {
			tx.counts.function = name
		}
	}
}
