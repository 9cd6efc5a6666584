package gogen

import (
	"fmt"
	"strings"

	"github.com/strata-db/strata/schema"
)

// indexArg is one field of an index as the generated code sees it.
type indexArg struct {
	path  string // the field's path in the document
	param string // the Go parameter name
	typ   string // the Go type of a value of the field
}

// indexArgs resolves the fields of ix to typed parameters.
func (g *gen) indexArgs(t *schema.Table, ix schema.Index) ([]indexArg, error) {
	args := make([]indexArg, 0, len(ix.Fields))
	for _, path := range ix.Fields {
		val, ok := lookup(t.Fields, path)
		if !ok {
			return nil, fmt.Errorf("gogen: table %s index %s: field %s not in the validator", t.Name, ix.Name, path)
		}
		typ, err := g.scalarParam(val)
		if err != nil {
			return nil, fmt.Errorf("gogen: table %s index %s field %s: %w", t.Name, ix.Name, path, err)
		}
		args = append(args, indexArg{path, lowerName(strings.ReplaceAll(path, ".", "_")), typ})
	}
	return args, nil
}

// rangeBuilder is one range builder of an index: equality on the first
// len(eq) fields, then bounds on the field bound.
type rangeBuilder struct {
	method, typ string
	eq          []indexArg
	bound       indexArg
}

// rangeBuilders names the range builders of an index whose equality method
// is method: one per field, the last named method+"Range" (equality on every
// field but the last), the others method+Field+"Range".
func rangeBuilders(plural, method string, args []indexArg) []rangeBuilder {
	out := make([]rangeBuilder, 0, len(args))
	for k, a := range args {
		name := method + "Range"
		if k < len(args)-1 {
			name = method + goName(strings.ReplaceAll(a.path, ".", "_")) + "Range"
		}
		out = append(out, rangeBuilder{method: name, typ: plural + name, eq: args[:k], bound: a})
	}
	return out
}

// rangeMethod writes the table's method that starts the range builder b.
func (g *gen) rangeMethod(t *schema.Table, ix schema.Index, tableType string, b rangeBuilder) {
	var params, eqs, names []string
	for _, a := range b.eq {
		params = append(params, a.param+" "+a.typ)
		eqs = append(eqs, fmt.Sprintf("strata.Eq(%q, %s)", a.path, a.param))
		names = append(names, a.path)
	}
	g.printf("// %s queries the index %s in index order", b.method, ix.Name)
	if len(names) > 0 {
		g.printf(": documents whose\n// %s equal the arguments", strings.Join(names, ", "))
	}
	g.printf(", narrowed by bounds on\n// %s (%s.Gt, Gte, Lt, Lte, Between).\n", b.bound.path, b.typ)
	init := "tx: t.tx"
	if len(eqs) > 0 {
		init += ", eq: []strata.RangeExpr{" + strings.Join(eqs, ", ") + "}"
	}
	g.printf("func (t %s) %s(%s) %s {\n\treturn %s{%s}.build()\n}\n\n",
		tableType, b.method, strings.Join(params, ", "), b.typ, b.typ, init)
}

// rangeType writes the type of the range builder b: a typed query (it
// embeds queryType) with methods that bound the field b.bound.
func (g *gen) rangeType(t *schema.Table, ix schema.Index, queryType string, b rangeBuilder) {
	q := fmt.Sprintf
	fixed := ""
	if len(b.eq) > 0 {
		paths := make([]string, len(b.eq))
		for i, a := range b.eq {
			paths[i] = a.path
		}
		fixed = " with " + strings.Join(paths, ", ") + " fixed"
	}
	g.printf("%s", q(`// %[1]s queries the index %[3]s of the %[4]q table%[5]s,
// narrowed by bounds on %[6]s. It embeds %[2]s, so it runs like one. A new
// lower bound (Gt, Gte) replaces the previous one, as does a new upper bound
// (Lt, Lte).
type %[1]s struct {
	%[2]s
	tx     *strata.Tx
	eq     []strata.RangeExpr
	lo, hi *strata.RangeExpr
}

func (r %[1]s) build() %[1]s {
	r.%[2]s = %[2]s{indexRange(r.tx, %[4]q, %[3]q, r.eq, r.lo, r.hi)}
	return r
}

// Gt keeps the documents whose %[6]s is greater than x.
func (r %[1]s) Gt(x %[7]s) %[1]s {
	lo := strata.Gt(%[6]q, x)
	r.lo = &lo
	return r.build()
}

// Gte keeps the documents whose %[6]s is at least x.
func (r %[1]s) Gte(x %[7]s) %[1]s {
	lo := strata.Gte(%[6]q, x)
	r.lo = &lo
	return r.build()
}

// Lt keeps the documents whose %[6]s is less than x.
func (r %[1]s) Lt(x %[7]s) %[1]s {
	hi := strata.Lt(%[6]q, x)
	r.hi = &hi
	return r.build()
}

// Lte keeps the documents whose %[6]s is at most x.
func (r %[1]s) Lte(x %[7]s) %[1]s {
	hi := strata.Lte(%[6]q, x)
	r.hi = &hi
	return r.build()
}

// Between keeps the documents whose %[6]s is at least lo and at most hi.
func (r %[1]s) Between(lo, hi %[7]s) %[1]s { return r.Gte(lo).Lte(hi) }

`, b.typ, queryType, ix.Name, t.Name, fixed, b.bound.path, b.bound.typ))
}

// indexRangeFunc is written once, after the tables, when any has an index.
const indexRangeFunc = `// indexRange is the query on index of table with the equalities eq and
// the bounds lo and hi (nil: none).
func indexRange(tx *strata.Tx, table, index string, eq []strata.RangeExpr, lo, hi *strata.RangeExpr) *strata.Query {
	r := make([]strata.RangeExpr, 0, len(eq)+2)
	r = append(r, eq...)
	if lo != nil {
		r = append(r, *lo)
	}
	if hi != nil {
		r = append(r, *hi)
	}
	return tx.Table(table).WithIndex(index, r...)
}
`

func rangeMethodNames(bs []rangeBuilder) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.method
	}
	return out
}
