package storage

// Metadata is an optional interface of a Tx: small named integers that
// the layer above keeps in the store itself, outside every table, read
// and written in the transaction like its records (so a record and the
// number that says how to read it change together). strata records the
// format of its index keys there. Both built-in backends implement it.
// Names are the caller's own: a backend keeps them apart from the
// metadata of its own layout.
type Metadata interface {
	// Metadata returns the value of name, or ok false if it was never set.
	Metadata(name string) (v int64, ok bool, err error)
	// SetMetadata sets name to v. It fails with ErrReadOnly in a
	// read-only transaction.
	SetMetadata(name string, v int64) error
}
