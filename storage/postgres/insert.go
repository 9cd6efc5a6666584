package postgres

import "github.com/strata-db/strata/storage"

// Plain inserts of records and index entries the root package knows to
// be new (storage.Inserter). An upsert (sqlPut) first probes the unique
// index for the key, inserts the row speculatively and then writes a
// confirmation record to the WAL; a plain INSERT inserts and lets the
// unique index refuse a duplicate, which aborts the transaction (a
// unique violation, or a serialization failure when a concurrent
// transaction inserted the key), so a wrong caller commits nothing.
const (
	sqlInsert      = `INSERT INTO strata_documents (tbl, id, body) VALUES ($1, $2, $3)`
	sqlInsertIndex = `INSERT INTO strata_index (tbl, idx, key, id) VALUES ($1, $2, $3, $4)`

	sqlInsertMany = `INSERT INTO strata_documents (tbl, id, body)
		SELECT $1, u.id, u.body FROM unnest($2::bytea[], $3::bytea[]) AS u(id, body)`
	sqlInsertIndexMany = `INSERT INTO strata_index (tbl, idx, key, id)
		SELECT $1, $2, u.key, u.id FROM unnest($3::bytea[], $4::bytea[]) AS u(key, id)`
)

var _ storage.Inserter = (*tx)(nil)

// Insert stores the record of a document that does not exist in the
// transaction's view, with a plain INSERT.
func (t *tx) Insert(table string, id, body []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.write("insert", sqlInsert, table, nz(id), nz(body)); err != nil {
		return err
	}
	t.noteDoc(table, id, nz(body))
	return nil
}

// InsertIndex adds an index entry whose key does not exist in the
// transaction's view, with a plain INSERT.
func (t *tx) InsertIndex(table, index string, key, id []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write("insert index entry", sqlInsertIndex, table, index, nz(key), nz(id))
}
