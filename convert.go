package strata

import "github.com/strata-db/strata/value"

// Values enter strata through Insert, Import, Patch, Replace, the filter
// comparisons (Field(...).Eq, ...) and the index ranges (Eq, Gt, ...). Each
// converts its Go values once, with value.Convert, whose doc comment is the
// table of conversions (also docs/go-types.md): int, uint32, float32, named
// types, []string, map[string]string, nested Doc, pointers and structs
// become values of the data model; channels, functions, complex numbers and
// time.Time are refused with an error naming their path. A document already
// made of strata's own types passes through without a copy.

// convertDoc converts a document's values to the data model.
func convertDoc(d Doc) (Doc, error) {
	y, err := value.Convert(map[string]any(d))
	if err != nil {
		return nil, err
	}
	m, _ := y.(map[string]any)
	return Doc(m), nil
}

// convertPatch converts a patch's values to the data model; Unset stays.
func convertPatch(p Patch) (Patch, error) {
	y, err := value.Convert(map[string]any(p))
	if err != nil {
		return nil, err
	}
	m, _ := y.(map[string]any)
	return Patch(m), nil
}

// comparand is a comparison value converted to the data model, or the
// error that conversion gave, reported when the query runs.
type comparand struct {
	val any
	err error
}

func newComparand(x any) comparand {
	y, err := value.Convert(x)
	if err != nil {
		return comparand{val: x, err: err}
	}
	return comparand{val: y}
}
