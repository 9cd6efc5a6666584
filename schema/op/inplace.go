package op

import "github.com/strata-db/strata/value"

// An InPlacer is an Operation that can apply Transform and Finalize to a
// document with no old version (a read-time step, a backfill visit)
// without copying it: TransformInPlace(doc) leaves doc equal to what
// Transform(nil, doc) returns, FinalizeInPlace(doc) to what
// Finalize(nil, doc) returns. The caller owns doc. Every operation of
// this package is one.
type InPlacer interface {
	TransformInPlace(doc Doc) error
	FinalizeInPlace(doc Doc) error
}

func (op AddField) TransformInPlace(doc Doc) error {
	if _, ok := doc[op.Field]; ok {
		return nil
	}
	x := op.Default
	if op.Derive != nil {
		var err error
		if x, err = op.Derive(doc); err != nil {
			return err
		}
	}
	doc[op.Field] = value.Clone(x)
	return nil
}

func (op AddField) FinalizeInPlace(doc Doc) error { return op.TransformInPlace(doc) }

func (op RenameField) TransformInPlace(doc Doc) error {
	from, hasFrom := doc[op.From]
	to, hasTo := doc[op.To]
	switch {
	case hasFrom && !hasTo:
		doc[op.To] = from
	case hasTo && !hasFrom:
		doc[op.From] = to
	case hasFrom && hasTo && !value.Equal(from, to):
		doc[op.From] = to // no old document: the new field wins
	}
	return nil
}

func (op RenameField) FinalizeInPlace(doc Doc) error {
	op.TransformInPlace(doc)
	delete(doc, op.From)
	return nil
}

func (op RemoveField) TransformInPlace(Doc) error { return nil }

func (op RemoveField) FinalizeInPlace(doc Doc) error {
	delete(doc, op.Field)
	return nil
}

func (op ChangeType) TransformInPlace(doc Doc) error {
	from, hasFrom := doc[op.From]
	to, hasTo := doc[op.To]
	switch {
	case hasFrom && !hasTo:
		y, err := op.convert(from)
		if err != nil {
			return err
		}
		doc[op.To] = y
	case hasTo && !hasFrom && (len(op.ReverseMap) > 0 || op.ReverseConvert != ""):
		var x any
		var ok bool
		if op.ReverseConvert != "" {
			x, ok = conversions[op.ReverseConvert](to)
		} else {
			x, ok = lookupPair(op.ReverseMap, to)
		}
		if ok {
			doc[op.From] = value.Clone(x)
		}
	}
	return nil
}

func (op ChangeType) FinalizeInPlace(doc Doc) error {
	if err := op.TransformInPlace(doc); err != nil {
		return err
	}
	delete(doc, op.From)
	return nil
}

func (op RequireField) TransformInPlace(doc Doc) error {
	if x, ok := doc[op.Field]; ok && x != value.Undef {
		return nil
	}
	x, err := op.fill(doc)
	if err != nil {
		return err
	}
	doc[op.Field] = x
	return nil
}

func (op RequireField) FinalizeInPlace(doc Doc) error { return op.TransformInPlace(doc) }

func (op AddIndex) TransformInPlace(Doc) error  { return nil }
func (op AddIndex) FinalizeInPlace(Doc) error   { return nil }
func (op DropIndex) TransformInPlace(Doc) error { return nil }
func (op DropIndex) FinalizeInPlace(Doc) error  { return nil }

var (
	_ InPlacer = AddField{}
	_ InPlacer = RenameField{}
	_ InPlacer = RemoveField{}
	_ InPlacer = ChangeType{}
	_ InPlacer = RequireField{}
	_ InPlacer = AddIndex{}
	_ InPlacer = DropIndex{}
)
