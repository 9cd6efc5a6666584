package migrate

import (
	"fmt"

	"github.com/strata-db/strata"
)

// The two read strategies of a batch: a page handed whole to
// MigrateBatch, or documents read in sub-pages and handed one at a time
// to MigrateOne, where the batch may end early for waiting writers.

// migratePage reads one page of up to b.bb.Size documents after the cursor
// and hands those not visited before to MigrateBatch.
func (b *batchTx) migratePage(q *strata.Query) error {
	mig, tx := b.r.mig, b.tx
	page, err := q.Paginate(b.bb.Size, b.cursor)
	if err != nil {
		return fmt.Errorf("migrate: %q: read page: %w", mig.Name, err)
	}
	docs := make([]strata.Doc, 0, len(page.Page))
	for _, doc := range page.Page {
		if seen, err := b.r.seen(b.mv, doc, &b.bm, b.skip); err != nil {
			return err
		} else if seen {
			continue // visited before it moved here
		}
		docs = append(docs, doc)
	}
	changed, err := mig.MigrateBatch(tx, docs)
	if err != nil {
		return &BatchError{Migration: mig.Name, Err: err}
	}
	if b.mv != nil && len(docs) > 0 {
		// The batch rewrote what it chose: those of its documents whose
		// new position lies after the cursor will be met again; skip
		// them then.
		ids := make([]strata.ID, len(docs))
		for i, doc := range docs {
			ids[i] = doc.ID()
		}
		if err := b.mv.note(tx, ids, page.Page[len(page.Page)-1], &b.bm); err != nil {
			return err
		}
	}
	b.changed, b.visited, b.examined = changed, len(docs), len(page.Page)
	b.cursor, b.done = page.ContinueCursor, page.IsDone
	return nil
}

// migrateEach reads documents after the cursor and hands them one at a
// time to MigrateOne until it has read b.bb.Size, the scan is over or
// (after batch.MinBeforeYield documents) an application writer waits. It reads in
// sub-pages where the batch may end early for writers (SQLite);
// elsewhere, the whole batch in one read.
func (b *batchTx) migrateEach(q *strata.Query) error {
	r, mig, tx := b.r, b.r.mig, b.tx
	src, err := r.source(q, b.cursor)
	if err != nil {
		return err
	}
	defer src.stop()
	size, step := b.bb.Size, b.bb.Step()
	// A batch is bounded by the documents it reads, not only those it
	// migrates: past the high-water mark an id-order scan meets only
	// documents written since the start (passed over), possibly many.
	for !b.done && b.examined < size && !b.yielded {
		if b.bb.ShouldYield(b.examined) {
			b.yielded = true
			break
		}
		want := min(size-b.examined, step)
		more := size - b.examined - want
		if b.bb.Gentle {
			more = 0
		}
		page, err := src.next(tx, want, more)
		if err != nil {
			return fmt.Errorf("migrate: %q: read page: %w", mig.Name, err)
		}
		if err := b.migrateSubPage(src, page); err != nil {
			return err
		}
	}
	return nil
}

// migrateSubPage hands the documents of page to MigrateOne, passing over
// those visited before and those written since the migration started,
// and stops after a document if an application writer waits.
func (b *batchTx) migrateSubPage(src source, page sourcePage) error {
	mig, tx := b.r.mig, b.tx
	b.cursor, b.done = page.end, page.done
	var rewritten []strata.ID
	last := len(page.docs) - 1
	for i, doc := range page.docs {
		b.examined++
		seen, err := b.r.seen(b.mv, doc, &b.bm, b.skip)
		if err != nil {
			return err
		}
		switch {
		case seen:
			// Visited before it moved here.
		case src.aboveHighWater(doc):
			// Written since the migration started: transformed on write.
		case mig.materialize:
			rewrote, err := sys.Materialize(tx, mig.Table, doc.ID())
			if err != nil {
				return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
			}
			b.visited++
			if rewrote {
				b.changed++
			}
		default:
			p, err := callOne(mig.MigrateOne, doc)
			if err != nil {
				return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
			}
			b.visited++
			if len(p) > 0 {
				if err := tx.Patch(doc.ID(), p); err != nil {
					return &BatchError{Migration: mig.Name, DocID: doc.ID(), Err: err}
				}
				b.changed++
				rewritten = append(rewritten, doc.ID())
			}
		}
		if i < last && b.bb.ShouldYield(b.examined) {
			b.cursor, b.done, last, b.yielded = page.cursorAfter(i), false, i, true
			break
		}
	}
	if b.mv != nil && len(rewritten) > 0 {
		// Documents rewritten here whose new position lies after the
		// cursor will be met again: skip them then.
		if err := b.mv.note(tx, rewritten, page.docs[last], &b.bm); err != nil {
			return err
		}
	}
	return nil
}
