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

// adopt attaches doc, the decoded form of the cached record of id, which
// the caller gives up.
func (c *recordCache) adopt(id ID, doc Doc) {
	if r, ok := c.m[id]; ok {
		r.doc = doc
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
		c.m = make(map[ID]record, 128)
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= recordCacheMax {
		return
	}
	c.m[id] = record{body: body}
}

func (c *recordCache) forget(id ID) { delete(c.m, id) }

func (c *recordCache) clear() { c.m = nil }
