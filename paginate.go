package strata

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/strata-db/strata/storage"
)

// Page is one page of a paginated query.
type Page struct {
	Page []Doc
	// IsDone reports that the query has no documents after this page.
	IsDone bool
	// ContinueCursor resumes the query after this page. It is opaque and
	// valid only for the same query (table, index, range, order, filter)
	// on the same database (in any process, across restarts; not on a
	// copy): it carries an integrity check keyed by the database's
	// secret, so a cursor changed in any way is ErrInvalidCursor.
	ContinueCursor string

	fp   uint64   // the query's fingerprint
	keys [][]byte // the position of each document of Page
	mac  []byte   // the key of the cursors' integrity check (DB.cursorKey)
}

// CursorAfter returns a cursor that resumes the query after the i-th
// document of the page (0-based): CursorAfter(len(Page)-1) is
// ContinueCursor. It lets a caller that processes a page in order stop
// part-way and resume exactly after the last document it handled. It
// returns "" for an index out of range or a Page that Paginate did not
// return.
func (p Page) CursorAfter(i int) string {
	if i < 0 || i >= len(p.keys) {
		return ""
	}
	return encodeCursor(p.mac, p.fp, p.keys[i])
}

// ErrInvalidCursor is wrapped by the error of Paginate given a cursor that
// is malformed, was changed in any way (its integrity check fails),
// belongs to another query, or was made by another database.
var ErrInvalidCursor = errors.New("invalid cursor")

// cursorVersion 2 added the integrity check; version 1 cursors (from
// before) are refused.
const cursorVersion = 2

// cursorTagLen is the length of a cursor's integrity check: HMAC-SHA256
// truncated to 128 bits, as in RFC 2104's guidance (at least half the
// hash, at least 80 bits).
const cursorTagLen = 16

// cursorEncoding is strict: a cursor has exactly one spelling, so that
// changing any character of it (even a padding bit) is refused.
var cursorEncoding = base64.RawURLEncoding.Strict()

// Paginate returns up to numItems documents starting after cursor ("" for
// the first page). Pagination is stable under concurrent writes: a
// document present for the whole pagination is returned exactly once,
// because each cursor holds the position (the unique index key) of the
// last document read, not an offset. Documents inserted or deleted during
// the pagination may or may not appear.
func (q *Query) Paginate(numItems int, cursor string) (Page, error) {
	var docs []Doc
	page, err := q.paginate(numItems, cursor, nil, func(d Doc) { docs = append(docs, d) })
	if err != nil {
		return Page{}, err
	}
	page.Page = docs
	return page, nil
}

// paginate is Paginate handing each document to add instead of filling
// Page.Page; into is as for scan.
func (q *Query) paginate(numItems int, cursor string, into func(body []byte) bool, add func(d Doc)) (Page, error) {
	if numItems <= 0 {
		return Page{}, q.errorf("paginate: numItems must be positive, got %d", numItems)
	}
	ix, r, err := q.resolve()
	if err != nil {
		return Page{}, err
	}
	if ix.Name == indexByID {
		return Page{}, q.errorf("paginate: by_id cannot be paginated")
	}
	h := q.fingerprint(ix.Name, r)
	var after []byte
	if cursor != "" {
		after, err = decodeCursor(q.tx.db.cursorKey, cursor, h, r)
		if err != nil {
			return Page{}, q.errorf("paginate: %w", err)
		}
	}
	page := Page{fp: h, mac: q.tx.db.cursorKey}
	var last []byte
	done, err := q.scan(after, into, func(key []byte, d Doc) bool {
		add(d)
		page.keys = append(page.keys, key)
		last = key
		return len(page.keys) < numItems
	}, numItems)
	if err != nil {
		return Page{}, err
	}
	page.IsDone = done
	if last == nil {
		last = after
	}
	page.ContinueCursor = encodeCursor(page.mac, h, last)
	return page, nil
}

// fingerprint identifies the query a cursor belongs to.
func (q *Query) fingerprint(index string, r storage.Range) uint64 {
	f := fnv.New64a()
	fmt.Fprintf(f, "%s\x00%s\x00%d\x00%x\x00%x\x00", q.table, index, q.order, r.Start, r.End)
	if q.filter != nil {
		f.Write([]byte(q.filter.String()))
	}
	return f.Sum64()
}

// A cursor is base64url(version | fingerprint(8) | flag | key | tag(16)):
// flag 0 is "from the start" (no key), 1 is "after key"; tag is
// HMAC-SHA256(mac, everything before it) truncated to 16 bytes, where mac
// is derived from the database's secret (see DB.cursorKey), so a cursor
// that was changed, or made by another database, fails the check.
func encodeCursor(mac []byte, h uint64, after []byte) string {
	b := make([]byte, 0, 10+len(after)+cursorTagLen)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, h)
	if after == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = append(b, after...)
	}
	b = append(b, cursorTag(mac, b)...)
	return cursorEncoding.EncodeToString(b)
}

// cursorTag is the integrity check of a cursor's content b.
func cursorTag(mac, b []byte) []byte {
	m := hmac.New(sha256.New, mac)
	m.Write(b)
	return m.Sum(nil)[:cursorTagLen]
}

func decodeCursor(mac []byte, s string, h uint64, r storage.Range) ([]byte, error) {
	b, err := cursorEncoding.DecodeString(s)
	if err != nil || cursorEncoding.EncodedLen(len(b)) != len(s) {
		// The decoder skips line breaks: a cursor with one is not the
		// cursor that was handed out.
		return nil, fmt.Errorf("%w: not a cursor (bad encoding)", ErrInvalidCursor)
	}
	if len(b) < 10+cursorTagLen {
		return nil, fmt.Errorf("%w: truncated", ErrInvalidCursor)
	}
	if b[0] != cursorVersion {
		return nil, fmt.Errorf("%w: unknown cursor version %d (cursors of strata before format 2 are no longer accepted: restart the pagination)", ErrInvalidCursor, b[0])
	}
	body, tag := b[:len(b)-cursorTagLen], b[len(b)-cursorTagLen:]
	if !hmac.Equal(tag, cursorTag(mac, body)) {
		return nil, fmt.Errorf("%w: integrity check failed (the cursor was changed, or was made by another database)", ErrInvalidCursor)
	}
	if binary.BigEndian.Uint64(body[1:9]) != h {
		return nil, fmt.Errorf("%w: it belongs to a different query (another table, index, range, order or filter)", ErrInvalidCursor)
	}
	switch body[9] {
	case 0:
		if len(body) != 10 {
			return nil, fmt.Errorf("%w: trailing bytes", ErrInvalidCursor)
		}
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("%w: bad flag", ErrInvalidCursor)
	}
	key := body[10:]
	if len(key) == 0 || r.Start != nil && bytes.Compare(key, r.Start) < 0 || r.End != nil && bytes.Compare(key, r.End) >= 0 {
		return nil, fmt.Errorf("%w: position outside the query's range", ErrInvalidCursor)
	}
	return key, nil
}

// upgradeCursor is system.Core.UpgradeCursor: a well-formed cursor of version
// 1 (base64url(1 | fingerprint(8) | flag | key), made before cursors
// carried an integrity check), or of the current version but signed by
// another database (the one this database was copied from, record for
// record, so its positions hold here), is signed for this database;
// anything else is returned as is. It must only be given cursors strata
// stored itself, in system tables applications cannot write.
func upgradeCursor(mac []byte, s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 10 {
		return s
	}
	switch {
	case b[0] == 1:
	case b[0] == cursorVersion && len(b) >= 10+cursorTagLen:
		b = b[:len(b)-cursorTagLen]
		if encodeCursor(mac, binary.BigEndian.Uint64(b[1:9]), cursorAfter(b)) == s {
			return s // this database's own
		}
	default:
		return s
	}
	if b[9] > 1 || (b[9] == 0) != (len(b) == 10) {
		return s
	}
	return encodeCursor(mac, binary.BigEndian.Uint64(b[1:9]), cursorAfter(b))
}

// cursorAfter returns the position of a cursor's content b (without its
// tag): nil for "from the start".
func cursorAfter(b []byte) []byte {
	if b[9] == 1 {
		return b[10:]
	}
	return nil
}
