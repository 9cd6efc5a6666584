// Package op defines strata's declarative migration operations —
// add_field, remove_field, rename_field, change_type, add_index,
// drop_index — one file each, behind the Operation interface, and the
// migration file format that lists them.
//
// An operation is pure: it describes how the schema widens (Expand) and
// tightens (Contract), and how one document is brought to the new shape
// (Transform), cleaned up (Cleanup) and reverted (Revert). Package migrate
// runs those steps over a database; package strata applies Transform to
// every write while a migration is active, in every process, because the
// operations are stored with the schema.
//
//	f, err := op.ParseFile([]byte(`{"name": "003_rename_user_name",
//	  "operations": [{"rename_field": {"table": "users", "from": "userName", "to": "displayName"}}]}`))
package op
