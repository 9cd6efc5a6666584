package strata

import (
	"errors"
	"fmt"
	"strings"

	"github.com/strata-db/strata/value"
)

// Expr is a filter expression over a document, built with Field and the
// combinators And, Or and Not. Comparisons use strata's total order of
// values, so a missing field (undefined) is less than every value and
// values of different types never compare equal.
type Expr interface {
	eval(d Doc) bool
	check() error
	String() string
}

// FieldRef names a field (a dotted path) in a filter expression.
type FieldRef struct{ path string }

// Field refers to the field at a dotted path ("settings.theme").
func Field(path string) FieldRef { return FieldRef{path} }

type cmpOp int

const (
	cmpEq cmpOp = iota
	cmpNeq
	cmpLt
	cmpLte
	cmpGt
	cmpGte
)

var cmpNames = [...]string{cmpEq: "eq", cmpNeq: "neq", cmpLt: "lt", cmpLte: "lte", cmpGt: "gt", cmpGte: "gte"}

type cmpExpr struct {
	path string
	op   cmpOp
	val  any
	err  error // from converting val
}

func newCmp(path string, op cmpOp, x any) Expr {
	c := newComparand(x)
	return cmpExpr{path, op, c.val, c.err}
}

// Eq holds when the field equals x.
func (f FieldRef) Eq(x any) Expr { return newCmp(f.path, cmpEq, x) }

// Neq holds when the field does not equal x.
func (f FieldRef) Neq(x any) Expr { return newCmp(f.path, cmpNeq, x) }

// Lt holds when the field is less than x.
func (f FieldRef) Lt(x any) Expr { return newCmp(f.path, cmpLt, x) }

// Lte holds when the field is at most x.
func (f FieldRef) Lte(x any) Expr { return newCmp(f.path, cmpLte, x) }

// Gt holds when the field is greater than x.
func (f FieldRef) Gt(x any) Expr { return newCmp(f.path, cmpGt, x) }

// Gte holds when the field is at least x.
func (f FieldRef) Gte(x any) Expr { return newCmp(f.path, cmpGte, x) }

func (e cmpExpr) eval(d Doc) bool {
	x, ok := lookupPath(d, e.path)
	if !ok {
		x = value.Undef
	}
	c := value.Compare(x, e.val)
	switch e.op {
	case cmpEq:
		return c == 0
	case cmpNeq:
		return c != 0
	case cmpLt:
		return c < 0
	case cmpLte:
		return c <= 0
	case cmpGt:
		return c > 0
	default:
		return c >= 0
	}
}

func (e cmpExpr) check() error {
	if e.path == "" {
		return errors.New("empty field path")
	}
	for _, part := range strings.Split(e.path, ".") {
		if part == "" {
			return fmt.Errorf("field path %q has an empty part", e.path)
		}
	}
	if e.err != nil {
		return fmt.Errorf("%s %s: %w", e.path, cmpNames[e.op], e.err)
	}
	if err := value.Check(e.val); err != nil {
		return fmt.Errorf("%s %s: %w", e.path, cmpNames[e.op], err)
	}
	return nil
}

func (e cmpExpr) String() string {
	b, err := value.MarshalJSON(e.val)
	if err != nil {
		b = []byte(fmt.Sprint(e.val))
	}
	return fmt.Sprintf("%s(%s, %s)", cmpNames[e.op], e.path, b)
}

type boolExpr struct {
	and   bool
	exprs []Expr
}

// And holds when every expression holds (true for none).
func And(exprs ...Expr) Expr { return boolExpr{true, exprs} }

// Or holds when at least one expression holds (false for none).
func Or(exprs ...Expr) Expr { return boolExpr{false, exprs} }

func (e boolExpr) eval(d Doc) bool {
	for _, x := range e.exprs {
		if x.eval(d) != e.and {
			return !e.and
		}
	}
	return e.and
}

func (e boolExpr) check() error {
	for i, x := range e.exprs {
		if x == nil {
			return fmt.Errorf("%s: operand %d is nil", e.name(), i)
		}
		if err := x.check(); err != nil {
			return err
		}
	}
	return nil
}

func (e boolExpr) name() string {
	if e.and {
		return "and"
	}
	return "or"
}

func (e boolExpr) String() string {
	parts := make([]string, len(e.exprs))
	for i, x := range e.exprs {
		if x == nil {
			parts[i] = "<nil>"
			continue
		}
		parts[i] = x.String()
	}
	return e.name() + "(" + strings.Join(parts, ", ") + ")"
}

type notExpr struct{ e Expr }

// Not holds when e does not.
func Not(e Expr) Expr { return notExpr{e} }

func (e notExpr) eval(d Doc) bool { return !e.e.eval(d) }

func (e notExpr) check() error {
	if e.e == nil {
		return errors.New("not: operand is nil")
	}
	return e.e.check()
}

func (e notExpr) String() string {
	if e.e == nil {
		return "not(<nil>)"
	}
	return "not(" + e.e.String() + ")"
}
