// Package schema is strata's schema model: the tables an application
// declares, each with the validator of its documents and its indexes, and
// the canonical JSON form that schema files, the CLI and the _schemas
// table use.
//
// Define tables in Go and check them with New:
//
//	s, err := schema.New(
//		schema.Define("users", v.Object{
//			"name":      v.String(),
//			"email":     v.String(),
//			"avatarUrl": v.Optional(v.String()),
//		}).Index("by_email", "email"),
//		schema.Define("posts", v.Object{
//			"authorId": v.ID("users"),
//			"status":   v.Union(v.Literal("draft"), v.Literal("published")),
//		}).Index("by_author_and_status", "authorId", "status"),
//	)
//
// or read a schema file with Parse:
//
//	{"tables": {"users": {
//		"fields": {"name": "string", "email": "string", "avatarUrl": {"optional": "string"}},
//		"indexes": {"by_email": ["email"]}}}}
//
// Both run Check, which reports every problem at once (bad names, reserved
// fields, indexes over fields that do not exist, ids of unknown tables,
// misused validators), each as an *Error naming its path:
//
//	schema: tables.users.indexes.by_email: field "emial" not in the document validator
//
// MarshalJSON writes the canonical form (sorted keys, no whitespace), so
// two schemas are equal exactly when their bytes are; MarshalIndent writes
// it for people.
//
// ValidateDocument checks a document's user fields on every write; the
// system fields _id and _creationTime are implicit and never declared.
// Lookup reads a dotted field path from a document, as indexes do.
package schema
