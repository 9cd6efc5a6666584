package value

// ID is a document id: an opaque, url-safe string that encodes the table of
// its document. An ID sorts and compares as its string form.
type ID string
