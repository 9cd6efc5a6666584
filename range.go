package strata

import (
	"fmt"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

type rangeOp int

const (
	opEq rangeOp = iota
	opGt
	opGte
	opLt
	opLte
)

var rangeOpNames = [...]string{opEq: "Eq", opGt: "Gt", opGte: "Gte", opLt: "Lt", opLte: "Lte"}

// RangeExpr is one condition of an index range; see Query.WithIndex.
type RangeExpr struct {
	op    rangeOp
	field string
	val   any
	err   error // from converting val
}

func newRange(op rangeOp, field string, x any) RangeExpr {
	c := newComparand(x)
	return RangeExpr{op, field, c.val, c.err}
}

func (r RangeExpr) String() string {
	return fmt.Sprintf("%s(%q, %v)", rangeOpNames[r.op], r.field, r.val)
}

// Eq restricts an index range to documents whose field equals x.
func Eq(field string, x any) RangeExpr { return newRange(opEq, field, x) }

// Gt restricts an index range to documents whose field is greater than x
// in strata's total order of values.
func Gt(field string, x any) RangeExpr { return newRange(opGt, field, x) }

// Gte restricts an index range to documents whose field is at least x.
func Gte(field string, x any) RangeExpr { return newRange(opGte, field, x) }

// Lt restricts an index range to documents whose field is less than x.
func Lt(field string, x any) RangeExpr { return newRange(opLt, field, x) }

// Lte restricts an index range to documents whose field is at most x.
func Lte(field string, x any) RangeExpr { return newRange(opLte, field, x) }

// keyRange turns range expressions over ix into a key range. Equalities
// must cover a prefix of ix's fields in order; then at most one lower and
// one upper bound may follow, both on the next field.
func keyRange(ix schema.Index, exprs []RangeExpr) (storage.Range, error) {
	var prefix []byte
	i := 0
	for ; i < len(exprs) && exprs[i].op == opEq; i++ {
		e := exprs[i]
		if i >= len(ix.Fields) {
			return storage.Range{}, fmt.Errorf("range %v: index has only %d field(s) %v", e, len(ix.Fields), ix.Fields)
		}
		if e.field != ix.Fields[i] {
			return storage.Range{}, fmt.Errorf("range %v: expected a condition on field %q (index fields %v, in order)", e, ix.Fields[i], ix.Fields)
		}
		var err error
		if prefix, err = appendRangeKey(prefix, e); err != nil {
			return storage.Range{}, err
		}
	}
	r := storage.Range{}
	if len(prefix) > 0 {
		r.Start = prefix
		r.End = value.PrefixEnd(prefix)
	}
	var lower, upper *RangeExpr
	for ; i < len(exprs); i++ {
		e := exprs[i]
		switch e.op {
		case opEq:
			return storage.Range{}, fmt.Errorf("range %v: equalities must come before bounds", e)
		case opGt, opGte:
			if lower != nil {
				return storage.Range{}, fmt.Errorf("range %v: a second lower bound (already %v)", e, *lower)
			}
			lower = &exprs[i]
		case opLt, opLte:
			if upper != nil {
				return storage.Range{}, fmt.Errorf("range %v: a second upper bound (already %v)", e, *upper)
			}
			upper = &exprs[i]
		default:
			return storage.Range{}, fmt.Errorf("range: invalid condition")
		}
		if len(ix.Fields) <= countEq(exprs) {
			return storage.Range{}, fmt.Errorf("range %v: every field of the index %v already has an equality", e, ix.Fields)
		}
		if want := ix.Fields[countEq(exprs)]; e.field != want {
			return storage.Range{}, fmt.Errorf("range %v: bounds must be on field %q, the one after the equalities (index fields %v)", e, want, ix.Fields)
		}
	}
	if lower != nil {
		k, err := appendRangeKey(append([]byte(nil), prefix...), *lower)
		if err != nil {
			return storage.Range{}, err
		}
		if lower.op == opGt {
			k = value.PrefixEnd(k)
		}
		r.Start = k
	}
	if upper != nil {
		k, err := appendRangeKey(append([]byte(nil), prefix...), *upper)
		if err != nil {
			return storage.Range{}, err
		}
		if upper.op == opLte {
			k = value.PrefixEnd(k)
		}
		r.End = k
	}
	return r, nil
}

func countEq(exprs []RangeExpr) int {
	n := 0
	for n < len(exprs) && exprs[n].op == opEq {
		n++
	}
	return n
}

func appendRangeKey(dst []byte, e RangeExpr) ([]byte, error) {
	if e.err != nil {
		return nil, fmt.Errorf("range %s on %q: %w", rangeOpNames[e.op], e.field, e.err)
	}
	if err := value.Check(e.val); err != nil {
		return nil, fmt.Errorf("range %s on %q: %w", rangeOpNames[e.op], e.field, err)
	}
	if id, ok := e.val.(ID); ok {
		e.val = string(id)
	}
	return value.AppendKey(dst, e.val)
}
