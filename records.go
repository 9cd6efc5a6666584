package strata

// recordCache holds the encoded records a write transaction has read or
// written, by id, so that updating a document the transaction has just
// scanned or read does not read it from storage again (a migration batch
// reads a page and then patches every document of it). The records are
// those of the transaction's own snapshot and writes, so a hit returns
// exactly what storage would. Read-only transactions keep none.
type recordCache struct {
	m map[ID][]byte
}

// recordCacheMax bounds the records a transaction keeps: a transaction
// that scans more than this reads the rest from storage when it updates
// them.
const recordCacheMax = 4096

func (c *recordCache) get(id ID) ([]byte, bool) {
	b, ok := c.m[id]
	return b, ok
}

// put records body as the current record of id. Storage hands out byte
// slices that belong to the caller, and encoded records are never
// modified, so the cache keeps body as is.
func (c *recordCache) put(tx *Tx, id ID, body []byte) {
	if !tx.writable {
		return
	}
	if c.m == nil {
		c.m = make(map[ID][]byte, 128)
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= recordCacheMax {
		return
	}
	c.m[id] = body
}

func (c *recordCache) forget(id ID) { delete(c.m, id) }

func (c *recordCache) clear() { c.m = nil }
