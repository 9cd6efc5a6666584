package strata

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/strata-db/strata/storage"
)

// CopyBatch is the number of records or index entries Copy writes per
// destination transaction.
const CopyBatch = 500

// ErrDestinationNotEmpty is wrapped by the error of a Copy refused because
// the destination holds tables and CopyOptions.Force is not set (it would
// replace them). Nothing was written.
var ErrDestinationNotEmpty = errors.New("the destination is not empty")

// ErrSameDatabase is wrapped by the error of a Copy refused because the
// source and the destination are one store named two ways (the same
// SQLite file by any path or link, the same PostgreSQL database and
// schema through any host name). It is refused even with
// CopyOptions.Force, which would otherwise delete the source. Nothing was
// written.
var ErrSameDatabase = errors.New("the source and the destination are the same database")

// CopyOptions configure Copy. The zero value refuses a non-empty
// destination and reports no progress.
type CopyOptions struct {
	// Force replaces the contents of a non-empty destination: its tables
	// are dropped (in one transaction) before the copy starts. It never
	// allows copying a database onto itself.
	Force bool
	// Progress, if not nil, is called on the goroutine that called Copy
	// after each batch committed on the destination and once after each
	// table is complete. Its argument is its own: it may keep it.
	Progress func(CopyProgress)
}

// CopyProgress is how far Copy is, given to CopyOptions.Progress.
type CopyProgress struct {
	// Table is the table being copied and what of it is committed on the
	// destination so far.
	Table CopiedTable
	// Index is the index whose entries the batch just committed held; ""
	// for a batch of documents and when TableDone.
	Index string
	// TableDone reports that every document and index entry of Table is
	// copied and its creation-time clock advanced.
	TableDone bool
	// TablesDone is the number of tables completely copied, this one
	// included when TableDone; Tables is the number of tables of the
	// source, system tables included.
	TablesDone, Tables int
}

// CopiedTable is what Copy copied of one table.
type CopiedTable struct {
	Table     string         `json:"table"`
	Documents int            `json:"documents"`
	Indexes   map[string]int `json:"indexes"` // index name -> entries copied
}

// CopyResult is what Copy did.
type CopyResult struct {
	// Tables are the tables completely copied, in the source's table
	// order (bytewise). On error they are those copied before it.
	Tables []CopiedTable
	// CloseErr reports a failure to close the source or the destination
	// after the copy. Every batch was committed on its own before, so it
	// loses none of them (a SQLite file that could not take its final
	// checkpoint keeps the committed data in its write-ahead log, where
	// the next open finds it): when Copy returned a nil error the copy is
	// complete even if CloseErr is set.
	CloseErr error
}

// Copy copies the whole database at fromURL to the database at toURL (URLs
// as for Open: "sqlite:PATH", a bare path, or "postgres://..."), record
// for record. It guarantees:
//
//   - Every table is copied, system tables (_schemas, _migrations,
//     _scheduled_functions, ...) included: every document and every index
//     entry is written as the stored bytes, so the copy is lossless for
//     every value type and keeps every _id, _creationTime, schema and
//     migration record. No document is decoded, validated or transformed.
//   - The source is read in one read-only transaction, so the copy is one
//     consistent snapshot of it (SQLite: a read transaction of the WAL;
//     PostgreSQL: SERIALIZABLE READ ONLY); writes to the source during the
//     copy are not in it, and the read does not block them.
//   - The destination is written in transactions of CopyBatch records or
//     index entries. They are not one transaction: if Copy fails midway
//     the destination holds part of the source (copy again with Force).
//     Applications must not write to the destination until Copy returns.
//   - Each table's creation-time clock on the destination is advanced
//     past the source's newest _creationTime, so documents inserted after
//     the copy sort after the copied ones.
//   - A destination that holds any table is refused with
//     ErrDestinationNotEmpty, unless opts.Force: then its tables are
//     dropped first. A destination that is the source itself is refused
//     with ErrSameDatabase, even with Force. A refusal writes nothing.
//   - Transaction limits (Limits) do not apply: Copy works below the
//     document layer and opens no DB.
//
// Copy opens its own connections to both databases and closes them before
// it returns; a DB of this process may stay open on the source.
func Copy(ctx context.Context, fromURL, toURL string, opts CopyOptions) (res CopyResult, err error) {
	src, err := storage.Open(ctx, storageURL(fromURL))
	if err != nil {
		return res, fmt.Errorf("strata: copy: source: %w", err)
	}
	defer func() {
		if cerr := src.Close(); cerr != nil {
			res.CloseErr = errors.Join(res.CloseErr, fmt.Errorf("strata: copy: close the source: %w", cerr))
		}
	}()
	dst, err := storage.Open(ctx, storageURL(toURL))
	if err != nil {
		return res, fmt.Errorf("strata: copy: destination: %w", err)
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil {
			res.CloseErr = errors.Join(res.CloseErr, fmt.Errorf("strata: copy: close the destination: %w", cerr))
		}
	}()
	if err := refuseSameStore(ctx, src, dst); err != nil {
		return res, err
	}
	if err := prepareDestination(ctx, dst, opts.Force); err != nil {
		return res, err
	}
	c := copier{ctx: ctx, dst: dst, progress: opts.Progress}
	res.Tables, err = c.copyAll(src)
	return res, err
}

// refuseSameStore fails with ErrSameDatabase when src and dst are one
// store written two ways: emptying the destination would delete the
// source, Force or not.
func refuseSameStore(ctx context.Context, src, dst storage.Backend) error {
	s, ok := src.(storage.SameStorer)
	if !ok {
		return nil
	}
	same, err := s.SameStore(ctx, dst)
	if err != nil {
		return fmt.Errorf("strata: copy: %w", err)
	}
	if same {
		return fmt.Errorf("strata: copy: %w: copying a database onto itself would delete it, so it is refused, even when forced", ErrSameDatabase)
	}
	return nil
}

// prepareDestination refuses a non-empty destination with
// ErrDestinationNotEmpty, or empties it in one transaction when force is
// set.
func prepareDestination(ctx context.Context, dst storage.Backend, force bool) error {
	tx, err := dst.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("strata: copy: destination: %w", err)
	}
	defer tx.Rollback()
	tables, err := tx.Tables()
	if err != nil {
		return fmt.Errorf("strata: copy: destination: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("strata: copy: %w (tables %s)", ErrDestinationNotEmpty, strings.Join(tables, ", "))
	}
	for _, t := range tables {
		if err := tx.DropTable(t); err != nil {
			return fmt.Errorf("strata: copy: destination: drop %s: %w", t, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("strata: copy: destination: %w", err)
	}
	return nil
}

// copier writes the tables of one source snapshot to the destination and
// reports its progress.
type copier struct {
	ctx      context.Context
	dst      storage.Backend
	progress func(CopyProgress)

	tables, done int
}

// copyAll copies every table of one read transaction of src and returns
// those it copied completely.
func (c *copier) copyAll(src storage.Backend) ([]CopiedTable, error) {
	rtx, err := src.Begin(c.ctx, false)
	if err != nil {
		return nil, fmt.Errorf("strata: copy: source: %w", err)
	}
	defer rtx.Rollback()
	enum, ok := rtx.(storage.Enumerator)
	if !ok {
		return nil, errors.New("strata: copy: the source backend cannot list its records (no storage.Enumerator)")
	}
	tables, err := rtx.Tables()
	if err != nil {
		return nil, fmt.Errorf("strata: copy: source: %w", err)
	}
	if err := c.copyKeyFormat(rtx); err != nil {
		return nil, err
	}
	c.tables = len(tables)
	var copied []CopiedTable
	for _, table := range tables {
		ct, err := c.copyTable(rtx, enum, table)
		if err != nil {
			return copied, err
		}
		copied = append(copied, ct)
	}
	return copied, nil
}

// copyTable copies one table: its documents, then each index's entries,
// then advances its creation-time clock.
func (c *copier) copyTable(rtx storage.Tx, enum storage.Enumerator, table string) (CopiedTable, error) {
	ct := CopiedTable{Table: table, Indexes: map[string]int{}}
	if err := c.copyDocuments(enum, &ct); err != nil {
		return ct, err
	}
	indexes, err := enum.Indexes(table)
	if err != nil {
		return ct, fmt.Errorf("strata: copy: source: %s: %w", table, err)
	}
	for _, ix := range indexes {
		if err := c.copyIndex(rtx, &ct, ix); err != nil {
			return ct, err
		}
	}
	if err := c.advanceClock(rtx, table); err != nil {
		return ct, err
	}
	c.done++
	c.report(ct, "", true)
	return ct, nil
}

// report calls the progress callback, if any, with a snapshot of ct.
func (c *copier) report(ct CopiedTable, index string, tableDone bool) {
	if c.progress == nil {
		return
	}
	ct.Indexes = maps.Clone(ct.Indexes)
	c.progress(CopyProgress{Table: ct, Index: index, TableDone: tableDone, TablesDone: c.done, Tables: c.tables})
}
