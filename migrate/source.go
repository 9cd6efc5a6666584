package migrate

import (
	"fmt"
	"strings"

	"github.com/strata-db/strata"
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
	// next reads up to n documents; the batch may want up to more after
	// them.
	next(tx *strata.Tx, n, more int) (sourcePage, error)
	// aboveHighWater reports a document the scan meets but must pass
	// over: it was created after the migration started.
	aboveHighWater(d strata.Doc) bool
	// stop ends the reading: what was read ahead is not wanted.
	stop()
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
func (r *runner) source(q *strata.Query, cursor string) (source, error) {
	idOrder := r.mig.Index == "" && r.mig.highWaterScan()
	if idOrder && (cursor == "" || strings.HasPrefix(cursor, idCursor)) {
		return &idSource{table: r.mig.Table, after: strings.TrimPrefix(cursor, idCursor), highWater: r.highWater, shared: r.mig.materialize}, nil
	}
	if strings.HasPrefix(cursor, idCursor) {
		return nil, fmt.Errorf("migrate: %q stopped part-way through a scan in id order, which its definition no longer makes (it now has an Index, or no TransformWrites); restore the definition, or Reset it to start over", r.mig.Name)
	}
	return &querySource{q: q, cursor: cursor}, nil
}

type querySource struct {
	q      *strata.Query
	cursor string
}

func (s *querySource) next(_ *strata.Tx, n, _ int) (sourcePage, error) {
	page, err := s.q.Paginate(n, s.cursor)
	if err != nil {
		return sourcePage{}, err
	}
	s.cursor = page.ContinueCursor
	return sourcePage{docs: page.Page, end: page.ContinueCursor, done: page.IsDone, cursorAfter: page.CursorAfter}, nil
}

func (s *querySource) aboveHighWater(strata.Doc) bool { return false }

func (s *querySource) stop() {}

// firstRead is the size of a batch's first read when it reads ahead.
const firstRead = 16

type idSource struct {
	table     string
	after     string
	highWater float64
	ahead     *readAhead // the next sub-page, being decoded
	// shared hands out the decoded documents the transaction keeps
	// instead of copies: for a compaction, whose batches only read them.
	shared bool
}

// readAhead is a sub-page read from storage whose records are decoded on
// another goroutine while the batch migrates the previous one.
type readAhead struct {
	ids     []strata.ID
	records [][]byte
	done    bool
	decoded *decodeJob
}

// read reads up to n records after s.after and starts decoding them, on a
// helper goroutine if helper is set.
func (s *idSource) read(tx *strata.Tx, n int, helper bool) (*readAhead, error) {
	ids, records, done, err := sys.ScanRecordsByID(tx, s.table, strata.ID(s.after), n)
	if err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		s.after = string(ids[len(ids)-1])
	}
	return &readAhead{ids: ids, records: records, done: done, decoded: startDecode(ids, records, helper, !s.shared, func(b []byte) (map[string]any, error) {
		return sys.DecodeRecord(tx, s.table, b)
	})}, nil
}

// next returns the next n documents (the sub-page read ahead, if any)
// and, when the batch may want more after them, reads the following
// sub-page and starts decoding it while the caller migrates these: ids
// never change and a batch rewrites only the documents it visits, so the
// records read ahead are still current when their turn comes.
func (s *idSource) next(tx *strata.Tx, n, more int) (sourcePage, error) {
	cur := s.ahead
	s.ahead = nil
	if cur == nil {
		// Nothing was read ahead (a batch's first read): when it may read
		// ahead, the batch decodes a few documents itself first while the
		// rest of n, read ahead, waits for the helper goroutine.
		first := n
		if more > 0 {
			first = min(n, firstRead)
			more += n - first
		}
		var err error
		if cur, err = s.read(tx, first, false); err != nil {
			return sourcePage{}, err
		}
	}
	end := idCursor + s.after // the cursor after cur, before reading ahead
	if more > 0 && !cur.done {
		ahead, err := s.read(tx, min(n, more), true)
		if err != nil {
			return sourcePage{}, err
		}
		s.ahead = ahead
	}
	pristine, copies, err := cur.decoded.wait()
	if err != nil {
		return sourcePage{}, err
	}
	if s.shared {
		copies = pristine
	}
	for i, id := range cur.ids {
		sys.AdoptDecoded(tx, id, cur.records[i], pristine[i])
	}
	ids := cur.ids
	if len(ids) > 0 {
		end = idCursor + string(ids[len(ids)-1])
	}
	return sourcePage{
		docs: copies, end: end, done: cur.done,
		cursorAfter: func(i int) string { return idCursor + string(ids[i]) },
	}, nil
}

func (s *idSource) aboveHighWater(d strata.Doc) bool { return d.CreationTime() > s.highWater }

func (s *idSource) stop() {
	if s.ahead != nil {
		s.ahead.decoded.abandon()
		s.ahead = nil
	}
}
