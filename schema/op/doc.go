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
//
// change_type computes the new field with a map of old to new values
// ("map": [["low", 1], ["high", 3]]) or with a named conversion
// ("convert": "to_number", "to_int64" or "to_string"), with an optional
// "default" for values neither covers. Without a default the map or the
// conversion must cover every value the old field's type allows, or the
// migration is refused before anything changes. "reverse_map" or
// "reverse_convert" keeps the old field in step for writers that set only
// the new one.
package op
