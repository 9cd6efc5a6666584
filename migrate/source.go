package migrate

import (
	"strings"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

// A migration reads its table in one of two orders. A migration over an
// index range, or one that must also meet documents inserted while it
// runs, pages through a query (by_creation_time by default). A migration
// that stops at the high-water mark (TransformWrites, and the declarative
// phases: documents written after its start are transformed on write)
// reads the document records in id order instead: ids never change, so
// every document present from start to end is met exactly once, and the
// scan needs no index, which makes it the cheaper read. Documents above
// the high-water mark that it meets are passed over.

// idCursor prefixes the cursor of an id-order scan: the id of the last
// document read. A cursor without it is a query cursor (Page.CursorAfter).
const idCursor = "id:"

// highWaterScan reports whether the migration visits only the documents
// that existed when it started.
func (mig *Migration) highWaterScan() bool { return mig.TransformWrites || mig.stopAtHighWater }

// source reads a migration's documents a sub-page at a time.
type source interface {
	next(tx *strata.Tx, n int) (sourcePage, error)
	// aboveHighWater reports a document the scan meets but must pass
	// over: it was created after the migration started.
	aboveHighWater(d strata.Doc) bool
}

// sourcePage is one read: the documents, the cursor after all of them and
// whether the scan is over.
type sourcePage struct {
	docs        []strata.Doc
	end         string
	done        bool
	cursorAfter func(i int) string
}

// source returns the reader for the migration from cursor. A migration
// that started before id-order scans existed keeps its query cursor.
func (r *runner) source(q *strata.Query, cursor string) source {
	if r.mig.Index == "" && r.mig.highWaterScan() && (cursor == "" || strings.HasPrefix(cursor, idCursor)) {
		return &idSource{table: r.mig.Table, after: strings.TrimPrefix(cursor, idCursor), highWater: r.highWater}
	}
	return &querySource{q: q, cursor: cursor}
}

type querySource struct {
	q      *strata.Query
	cursor string
}

func (s *querySource) next(_ *strata.Tx, n int) (sourcePage, error) {
	page, err := s.q.Paginate(n, s.cursor)
	if err != nil {
		return sourcePage{}, err
	}
	s.cursor = page.ContinueCursor
	return sourcePage{docs: page.Page, end: page.ContinueCursor, done: page.IsDone, cursorAfter: page.CursorAfter}, nil
}

func (s *querySource) aboveHighWater(strata.Doc) bool { return false }

type idSource struct {
	table     string
	after     string
	highWater float64
}

func (s *idSource) next(tx *strata.Tx, n int) (sourcePage, error) {
	raw, done, err := system.ScanByID(tx, s.table, strata.ID(s.after), n)
	if err != nil {
		return sourcePage{}, err
	}
	docs := make([]strata.Doc, len(raw))
	for i, m := range raw {
		docs[i] = m
	}
	if len(docs) > 0 {
		s.after = string(docs[len(docs)-1].ID())
	}
	return sourcePage{
		docs: docs, end: idCursor + s.after, done: done,
		cursorAfter: func(i int) string { return idCursor + string(docs[i].ID()) },
	}, nil
}

func (s *idSource) aboveHighWater(d strata.Doc) bool { return d.CreationTime() > s.highWater }
