package strata

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// Order is the direction of a query over its index.
type Order int

// Query orders.
const (
	Asc  Order = iota // ascending index order (the default)
	Desc              // descending index order
)

// Query reads documents of one table in the order of one index, optionally
// restricted to a range of that index and filtered. Build it with Tx.Table
// and its chainable methods; run it with Take, First, Unique, Collect or
// Paginate. Builder errors are reported by the method that runs the query.
type Query struct {
	tx     *Tx
	table  string
	index  string
	rng    []RangeExpr
	order  Order
	filter Expr
	err    error
}

// Table starts a query over every document of table in _creationTime
// order. System tables (_schemas, ...) can be read like any other.
func (tx *Tx) Table(name string) *Query {
	return &Query{tx: tx, table: name, index: indexByCreationTime}
}

// WithIndex reads the table through the named index, restricted to the
// range described by r: equalities on a prefix of the index's fields, in
// the index's order, then at most one lower bound (Gt or Gte) and one upper
// bound (Lt or Lte) on the next field. The built-in "by_creation_time"
// takes bounds on _creationTime; "by_id" takes one equality on _id.
func (q *Query) WithIndex(name string, r ...RangeExpr) *Query {
	q.index = name
	q.rng = r
	return q
}

// Order sets the direction of the query (ascending by default).
func (q *Query) Order(o Order) *Query {
	if o != Asc && o != Desc {
		q.err = fmt.Errorf("invalid order %d", o)
	}
	q.order = o
	return q
}

// Filter keeps only documents for which e holds. Filters do not narrow the
// part of the index that is read; use WithIndex ranges for that.
func (q *Query) Filter(e Expr) *Query {
	if e == nil {
		return q
	}
	if err := e.check(); err != nil {
		q.err = fmt.Errorf("filter: %w", err)
	}
	if q.filter == nil {
		q.filter = e
	} else {
		q.filter = And(q.filter, e)
	}
	return q
}

// Take returns up to n documents in query order.
func (q *Query) Take(n int) ([]Doc, error) {
	if n < 0 {
		return nil, q.errorf("take: negative count %d", n)
	}
	if n == 0 {
		_, _, err := q.resolve()
		return nil, err
	}
	var out []Doc
	err := q.run(nil, func(_ []byte, d Doc) bool {
		if len(out) >= n {
			return false
		}
		out = append(out, d)
		return len(out) < n
	}, n)
	return out, err
}

// First returns the first document in query order, or nil if there is
// none.
func (q *Query) First() (Doc, error) {
	docs, err := q.Take(1)
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	return docs[0], nil
}

// Unique returns the only document the query matches, nil if it matches
// none, and an error if it matches more than one.
func (q *Query) Unique() (Doc, error) {
	docs, err := q.Take(2)
	if err != nil {
		return nil, err
	}
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
		return docs[0], nil
	}
	return nil, q.errorf("unique: more than one document matches (%s and %s)", docs[0].ID(), docs[1].ID())
}

// Collect returns every document the query matches, in query order.
func (q *Query) Collect() ([]Doc, error) {
	var out []Doc
	err := q.run(nil, func(_ []byte, d Doc) bool {
		out = append(out, d)
		return true
	}, 0)
	return out, err
}

// ErrUnknownIndex is wrapped by the error of a query on an index that the
// table's schema does not define.
var ErrUnknownIndex = errors.New("unknown index")

func (q *Query) errorf(format string, args ...any) error {
	return &QueryError{Table: q.table, Index: q.indexName(), Err: fmt.Errorf(format, args...)}
}

func (q *Query) indexName() string {
	if q.index == indexByCreationTime && len(q.rng) == 0 {
		return ""
	}
	return q.index
}

// resolve returns the index the query reads and its key range.
func (q *Query) resolve() (schema.Index, storage.Range, error) {
	if q.err != nil {
		return schema.Index{}, storage.Range{}, q.errorf("%w", q.err)
	}
	if err := checkReadTableName(q.table); err != nil {
		return schema.Index{}, storage.Range{}, q.errorf("%w", err)
	}
	if err := q.tx.checkReadTable(q.table); err != nil {
		return schema.Index{}, storage.Range{}, err
	}
	var ix schema.Index
	switch q.index {
	case indexByCreationTime:
		ix = schema.Index{Name: indexByCreationTime, Fields: []string{FieldCreationTime}}
	case indexByID:
		ix = schema.Index{Name: indexByID, Fields: []string{FieldID}}
	default:
		found, err := q.lookupIndex()
		if err != nil {
			return schema.Index{}, storage.Range{}, err
		}
		ix = found
	}
	r, err := keyRange(ix, q.rng)
	if err != nil {
		return schema.Index{}, storage.Range{}, q.errorf("%w", err)
	}
	// The built-in by_creation_time index stores _creationTime as its first
	// key part, so its range is already right; the others read their own
	// entries under the index name.
	if q.index == indexByCreationTime {
		ix.Fields = nil
	}
	return ix, r, nil
}

// lookupIndex finds the query's user index in the active schema. An
// index that is not there is an error wrapping ErrIndexDropped if a push
// removed it, else ErrUnknownIndex; one that a push added but is still
// being built is an error wrapping ErrIndexNotReady.
func (q *Query) lookupIndex() (schema.Index, error) {
	find := func(s *schema.Schema) (schema.Index, bool) {
		if s == nil {
			return schema.Index{}, false
		}
		return s.Tables[q.table].IndexByName(q.index)
	}
	ix, ok := find(q.tx.schema)
	if !ok {
		// The cached schema may predate a change made by another process.
		if err := q.tx.loadSchema(); err != nil {
			return schema.Index{}, err
		}
		ix, ok = find(q.tx.schema)
	}
	if !ok {
		if st := q.tx.state; st != nil && st.dropped[indexKeyName(q.table, q.index)] {
			return schema.Index{}, &QueryError{Table: q.table, Index: q.index, Err: fmt.Errorf("%w: index %q of table %q was dropped from the schema", ErrIndexDropped, q.index, q.table)}
		}
		return schema.Index{}, &QueryError{Table: q.table, Index: q.index, Err: fmt.Errorf("%w: table %q has no index %q in the active schema", ErrUnknownIndex, q.table, q.index)}
	}
	if err := q.tx.checkIndexReady(q.table, q.index); err != nil {
		return schema.Index{}, err
	}
	return ix, nil
}

// run scans the query's index from the position after `after` (nil: from
// the start) and calls fn with each matching document and its key until fn
// returns false or the range is exhausted. It reports whether the range was
// exhausted. hint is the number of documents the caller wants (0: all).
func (q *Query) run(after []byte, fn func(key []byte, d Doc) bool, hint int) error {
	_, err := q.scan(after, nil, fn, hint)
	return err
}

// runInto is run offering each record to into first, as scan does.
func (q *Query) runInto(into func(body []byte) bool, fn func(key []byte, d Doc) bool, hint int) error {
	_, err := q.scan(nil, into, fn, hint)
	return err
}

// scan is run reporting whether the range was exhausted. When into is not
// nil and the query has no filter, into is offered each matching record
// before it is decoded; when it reports that it took the document
// straight from the record (see value.DecodeDocInto), fn is called with a
// nil Doc. Otherwise the record is decoded, its corruption reported, and
// fn gets the Doc as when into is nil.
func (q *Query) scan(after []byte, into func(body []byte) bool, fn func(key []byte, d Doc) bool, hint int) (done bool, err error) {
	ix, r, err := q.resolve()
	if err != nil {
		return false, err
	}
	if q.filter != nil {
		into = nil // the filter reads the decoded document
	}
	if ix.Name == indexByID {
		return true, q.getByID(into, fn)
	}
	if after != nil {
		if q.order == Asc {
			r.Start = append(bytes.Clone(after), 0)
		} else {
			r.End = bytes.Clone(after)
		}
	}
	batch := 256
	if hint > 0 && hint < batch && q.filter == nil {
		batch = hint + 1 // one more tells whether the range is exhausted
	}
	for {
		ents, err := q.tx.st.Scan(storage.ScanRequest{Table: q.table, Index: ix.Name, Range: r, Reverse: q.order == Desc, Limit: batch})
		if err != nil {
			return false, q.errorf("scan: %w", err)
		}
		for i, e := range ents {
			if e.Body == nil {
				return false, q.errorf("index entry %x points to missing document %s", e.Key, e.ID)
			}
			if err := q.tx.countRead(q.table, 1); err != nil {
				return false, err
			}
			var d Doc
			if into == nil || !q.tx.offerInto(q.table, e.Body, into) {
				m, err := q.tx.decodeRecord(q.table, e.Body)
				if err != nil {
					return false, q.errorf("corrupt record %s: %v", e.ID, err)
				}
				d = Doc(m)
			}
			q.tx.records.put(q.tx, ID(e.ID), e.Body)
			if q.filter != nil && !q.filter.eval(d) {
				continue
			}
			if !fn(e.Key, d) {
				return i == len(ents)-1 && len(ents) < batch, nil
			}
		}
		if len(ents) < batch {
			return true, nil
		}
		last := ents[len(ents)-1].Key
		if q.order == Asc {
			r.Start = append(bytes.Clone(last), 0)
		} else {
			r.End = bytes.Clone(last)
		}
		if batch < 1024 {
			batch *= 2
		}
	}
}

// getByID serves WithIndex("by_id", Eq("_id", id)).
func (q *Query) getByID(into func(body []byte) bool, fn func(key []byte, d Doc) bool) error {
	if len(q.rng) != 1 || q.rng[0].op != opEq || q.rng[0].field != FieldID {
		return q.errorf("by_id takes exactly one Eq(%q, id)", FieldID)
	}
	var s string
	switch x := q.rng[0].val.(type) {
	case ID:
		s = string(x)
	case string:
		s = x
	default:
		return q.errorf("_id: expected id, found %s", value.TypeName(x))
	}
	id, err := value.ParseIDFor(s, q.table)
	if err != nil {
		return q.errorf("%w", err)
	}
	d, found, err := q.tx.getInto(q.table, id, into)
	if err != nil || !found {
		return err
	}
	if err := q.tx.countRead(q.table, 1); err != nil {
		return err
	}
	if q.filter == nil || q.filter.eval(d) {
		key, _ := value.AppendKey(nil, string(id))
		fn(key, d)
	}
	return nil
}

// Each calls fn for every document the query matches, in query order,
// without holding them all in memory. It stops at and returns fn's first
// error.
func (q *Query) Each(fn func(Doc) error) error {
	var ferr error
	err := q.run(nil, func(_ []byte, d Doc) bool {
		ferr = fn(d)
		return ferr == nil
	}, 0)
	if err != nil {
		return err
	}
	return ferr
}

// Count returns the number of documents the query matches. Without a
// Filter it reads only the index entries, not the documents (and on the
// built-in backends, counts them in the database without reading them).
func (q *Query) Count() (int64, error) {
	var n int64
	ix, r, err := q.resolve()
	if err != nil {
		return 0, err
	}
	if q.filter != nil || ix.Name == indexByID {
		err := q.Each(func(Doc) error { n++; return nil })
		return n, err
	}
	if c, ok := q.tx.st.(storage.Counter); ok {
		n, err := c.CountIndex(q.table, ix.Name, r)
		if err != nil {
			return 0, q.errorf("count: %w", err)
		}
		return n, nil
	}
	const batch = 4096
	for {
		ents, err := q.tx.st.Scan(storage.ScanRequest{Table: q.table, Index: ix.Name, Range: r, KeysOnly: true, Limit: batch})
		if err != nil {
			return 0, q.errorf("count: %w", err)
		}
		n += int64(len(ents))
		if len(ents) < batch {
			return n, nil
		}
		r.Start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}
