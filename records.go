package strata

// recordCache holds the encoded records a write transaction has read or
// written, by id, so that updating a document the transaction has just
// scanned or read does not read it from storage again (a migration batch
// reads a page and then patches every document of it). The records are
// those of the transaction's own snapshot and writes, so a hit returns
// exactly what storage would. Read-only transactions keep none.
type recordCache struct {
	m map[ID]record
}

// record is a cached record and, when a migration batch adopted it
// (adoptDecoded), its decoded document, which no caller holds: updates
// read it as the old document, readers get a copy.
type record struct {
	body []byte
	doc  Doc
}

// recordCacheMax bounds the records a transaction keeps: a transaction
// that scans more than this reads the rest from storage when it updates
// them.
const recordCacheMax = 4096

func (c *recordCache) get(id ID) (record, bool) {
	r, ok := c.m[id]
	return r, ok
}

// adopt attaches doc, the decoded form of body, to the cached record of
// id if that is still body (the same bytes, not written since); the
// caller gives doc up.
func (c *recordCache) adopt(id ID, body []byte, doc Doc) {
	if r, ok := c.m[id]; ok && len(r.body) == len(body) && len(body) > 0 && &r.body[0] == &body[0] {
		r.doc = doc
		c.m[id] = r
	}
}

// release detaches the decoded document of id, once an update has taken
// it as its old document: whatever the update's code did with it, it is
// not handed out again.
func (c *recordCache) release(id ID) {
	if r, ok := c.m[id]; ok && r.doc != nil {
		r.doc = nil
		c.m[id] = r
	}
}

// put records body as the current record of id. Storage hands out byte
// slices that belong to the caller, and encoded records are never
// modified, so the cache keeps body as is.
func (c *recordCache) put(tx *Tx, id ID, body []byte) {
	if !tx.writable {
		return
	}
	if c.m == nil {
		c.m = make(map[ID]record)
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= recordCacheMax {
		return
	}
	c.m[id] = record{body: body}
}

func (c *recordCache) forget(id ID) { delete(c.m, id) }

func (c *recordCache) clear() { c.m = nil }
