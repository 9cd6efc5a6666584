package strata

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-db/strata/storage"
)

// ErrUnknownTable is wrapped by the error of an application write to a
// table the active schema does not declare, and of a read of a table that
// the active schema does not declare and that holds no documents (a
// mistyped name). The error names the tables the schema declares.
// Without an active schema, or with one that declares no tables (the
// schema `{"tables":{}}`, which is how a schemaless database shows its
// schema, and what a migration pushes on one), every table may be written
// and read.
var ErrUnknownTable = errors.New("unknown table")

// checkDeclared refuses an application write (op) to table when a schema
// is active and does not declare it, as Convex does: with a schema, the
// schema is the list of tables. System tables ("_" prefix) are strata's
// own and are checked by checkTableName. A delete is allowed: a table
// that a push removed without DropTables keeps its documents, and
// deleting them is how an application cleans it up.
func (tx *Tx) checkDeclared(op, table string) error {
	s := tx.schema
	if s == nil || len(s.Tables) == 0 || op == "delete" || table == "" || table[0] == '_' {
		return nil
	}
	if _, ok := s.Tables[table]; ok {
		return nil
	}
	return &WriteError{Op: op, Table: table, Err: fmt.Errorf("%w: table %q is not in the active schema (it declares %s): push a schema that declares it first", ErrUnknownTable, table, declaredList(s))}
}

// checkReadTable refuses a read of table when a schema is active, does not
// declare it and the table holds no documents: a mistyped name is an
// error rather than an empty result. A table the schema stopped declaring
// (a push kept its documents) stays readable, as do system tables. The
// schema is read again first when the transaction's cached one does not
// declare the table, since another process may have pushed meanwhile.
func (tx *Tx) checkReadTable(table string) error {
	if table == "" || table[0] == '_' || tx.schema == nil || len(tx.schema.Tables) == 0 {
		return nil
	}
	if _, ok := tx.schema.Tables[table]; ok {
		return nil
	}
	if err := tx.loadSchema(); err != nil {
		return err
	}
	if tx.schema == nil || len(tx.schema.Tables) == 0 {
		return nil
	}
	if _, ok := tx.schema.Tables[table]; ok {
		return nil
	}
	ents, err := tx.st.Scan(storage.ScanRequest{Table: table, Index: indexByCreationTime, Limit: 1, KeysOnly: true})
	if err != nil {
		return &QueryError{Table: table, Err: fmt.Errorf("read table: %w", err)}
	}
	if len(ents) > 0 {
		return nil
	}
	return &QueryError{Table: table, Err: fmt.Errorf("%w: table %q is not in the active schema and holds no documents (the schema declares %s)", ErrUnknownTable, table, declaredList(tx.schema))}
}

// declaredList names the tables of s, sorted, for an error message.
func declaredList(s *Schema) string {
	if len(s.Tables) == 0 {
		return "no tables"
	}
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
