package op

import "fmt"

// CheckOperations refuses a file whose operations conflict: two operations
// that change one field of a table (two renames of users.name, a rename
// onto a field that another operation adds, ...), or two that add or drop
// one index. Such a file has no single meaning — which of the two renames
// would the old field's value follow? — so the error names both
// operations and the fix (one operation per field and index, or one
// migration file after the other).
func (f *File) CheckOperations() error {
	type claim struct {
		i  int
		op Operation
	}
	fields := map[[2]string]claim{}
	indexes := map[[2]string]claim{}
	for i, o := range f.Operations {
		var names []string
		target := fields
		what := "field"
		switch x := o.(type) {
		case AddIndex:
			names, target, what = []string{x.Name}, indexes, "index"
		case DropIndex:
			names, target, what = []string{x.Name}, indexes, "index"
		default:
			names = o.Fields()
		}
		for _, name := range names {
			key := [2]string{o.Table(), name}
			if prev, dup := target[key]; dup && prev.i != i {
				return fmt.Errorf("migration file %s: operations[%d].%s (%s) and operations[%d].%s (%s) both change %s %s.%s: an operation's result would depend on the other's; change each %s in one operation, or put the second change in a later migration file",
					f.Name, prev.i, prev.op.Kind(), describe(prev.op), i, o.Kind(), describe(o), what, o.Table(), name, what)
			}
			target[key] = claim{i, o}
		}
	}
	return nil
}

// describe returns a short human form of o for error messages.
func describe(o Operation) string {
	switch x := o.(type) {
	case RenameField:
		return fmt.Sprintf("%s.%s → %s", x.TableName, x.From, x.To)
	case ChangeType:
		return fmt.Sprintf("%s.%s → %s", x.TableName, x.From, x.To)
	case AddField:
		return fmt.Sprintf("%s.%s", x.TableName, x.Field)
	case RemoveField:
		return fmt.Sprintf("%s.%s", x.TableName, x.Field)
	case RequireField:
		return fmt.Sprintf("%s.%s", x.TableName, x.Field)
	case AddIndex:
		return fmt.Sprintf("%s.%s", x.TableName, x.Name)
	case DropIndex:
		return fmt.Sprintf("%s.%s", x.TableName, x.Name)
	}
	return o.Table()
}
