// Package value is strata's value model: the Go representation of document
// values, their total order, a binary document codec, an order-preserving
// index-key encoding, the lossless JSON form and document ids.
//
// # Values
//
// A value is one of these Go values, and nothing else:
//
//	nil             null
//	bool            boolean
//	int64           int64
//	float64         number (float64)
//	string, ID      string (an ID is a string that names a document)
//	[]byte          bytes
//	[]any           array
//	map[string]any  object (keys non-empty, not starting with "$")
//	Undef           undefined: a missing field, never stored in a document
//
// Other Go types (int, float32, structs, ...) are not values: Check,
// Compare and the codec refuse them, and int64(1) and float64(1) stay
// different values. Convert is the one place where Go values with an
// obvious strata meaning (every integer kind, float32, named types, slices,
// maps with string keys, pointers, structs) become values; its doc comment
// is the table of conversions. Check validates a value and names the path
// of the first problem; Clone deep-copies one.
//
// # Order
//
// Compare is a total order over all values, Convex's: by kind first
// (undefined < null < int64 < float64 < boolean < string < bytes < array <
// object), then within the kind. Floats follow IEEE 754 totalOrder, as
// Convex does: negative NaNs < -Inf < ... < -0 < +0 < ... < +Inf <
// positive NaNs, NaNs ordered by their bits and equal only to the same
// bits. Equal is Compare(a, b) == 0.
//
// # Codec
//
// EncodeDoc and DecodeDoc (and Encode/Decode for single values) convert
// documents to and from a compact, versioned, lossless binary form used for
// stored records. Decoding validates everything and never panics or
// over-allocates on hostile input.
//
// # Index keys
//
// AppendKey writes a value so that byte-wise comparison of the encodings
// (memcmp, as SQLite BLOBs and PostgreSQL bytea compare) agrees with
// Compare, and no encoding is a prefix of another, so concatenated keys
// sort as tuples. DecodeKey reads one back; PrefixEnd gives the end of a
// prefix range.
//
// # JSON form
//
// MarshalJSON and ParseJSON convert values to and from the lossless JSON
// form used for import and export: int64 as {"$integer": "123"}, bytes as
// {"$bytes": "base64"}, non-finite floats and -0 as {"$float": "NaN"}, and
// plain JSON numbers as float64.
//
// # Ids
//
// NewID makes a document id: url-safe base32 text of the creation time,
// random bytes, the table name and a checksum, so ids sort by creation time
// and ParseID / ParseIDFor detect corrupted ids and ids of another table.
//
// # Build tag strata_purego
//
// The decoders (DecodeDoc, Decode, ParseJSON) box strings and numbers into
// shared slabs, building the interfaces with package unsafe: fewer
// allocations, and less decode time for documents made mostly of numbers or
// short strings. Built with -tags strata_purego, they box each value the
// ordinary way instead, without package unsafe; values and errors are the
// same either way.
package value
