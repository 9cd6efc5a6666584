package value

import (
	"math"
	"strings"

	"pgregory.net/rapid"
)

var negZero = math.Copysign(0, -1)

var specialFloats = []float64{
	0, negZero, 1, -1, 0.5, -0.5, math.Inf(1), math.Inf(-1), math.NaN(),
	math.Float64frombits(0xFFF8000000000001), // negative NaN with a payload
	math.Float64frombits(0x7FF0000000000001), // signalling NaN
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64,
	-math.SmallestNonzeroFloat64, 1e300, 123456789.125,
}

var specialInts = []int64{0, 1, -1, 255, 256, -256, math.MinInt64, math.MaxInt64, math.MinInt64 + 1}

var specialStrings = []string{
	"", "a", "a\x00", "a\x00b", "\x00", "\x00\x00", "\x01", "ab", "b", "ÿ", "\uffff",
	"\U0010ffff", "é", "a\x01", "$x", "\u2028<&>",
}

func toAny[T any](x T) any { return x }

func genKey() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom([]string{"a", "b", "ab", "a\x00", "_id", "é", "z", "a.b", "x y"}),
		rapid.StringN(1, 4, -1).Filter(func(s string) bool { return !strings.HasPrefix(s, "$") }),
	)
}

// genValue generates valid values (Check passes) of every kind, nested up
// to depth levels.
func genValue(depth int) *rapid.Generator[any] {
	scalar := rapid.OneOf(
		rapid.Just[any](nil),
		rapid.Map(rapid.Bool(), toAny[bool]),
		rapid.Map(rapid.Int64(), toAny[int64]),
		rapid.Map(rapid.SampledFrom(specialInts), toAny[int64]),
		rapid.Map(rapid.Float64(), toAny[float64]),
		rapid.Map(rapid.SampledFrom(specialFloats), toAny[float64]),
		rapid.Map(genNaN(), toAny[float64]),
		rapid.Map(rapid.String(), toAny[string]),
		rapid.Map(rapid.SampledFrom(specialStrings), toAny[string]),
		rapid.Map(rapid.SampledFrom(specialStrings), func(s string) any { return ID(s) }),
		rapid.Map(rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 0xFE, 0xFF, 'a'}), 0, 5), toAny[[]byte]),
		rapid.Map(rapid.SliceOf(rapid.Byte()), toAny[[]byte]),
	)
	if depth == 0 {
		return scalar
	}
	inner := genValue(depth - 1)
	return rapid.OneOf(
		scalar, scalar, scalar,
		rapid.Map(rapid.SliceOfN(inner, 0, 4), toAny[[]any]),
		rapid.Map(rapid.MapOfN(genKey(), inner, 0, 4), toAny[map[string]any]),
	)
}

// genNaN generates NaNs of either sign with any payload.
func genNaN() *rapid.Generator[float64] {
	return rapid.Custom(func(t *rapid.T) float64 {
		payload := rapid.Uint64Range(1, 1<<52-1).Draw(t, "payload")
		sign := uint64(0)
		if rapid.Bool().Draw(t, "negative") {
			sign = 1 << 63
		}
		return math.Float64frombits(sign | 0x7FF0000000000000 | payload)
	})
}

// genAny generates valid values and undefined.
func genAny() *rapid.Generator[any] {
	return rapid.OneOf(rapid.Just[any](Undef), genValue(3), genValue(3))
}

// identical reports whether a and b are the same Go value: same dynamic
// types throughout (ID is not string), floats with identical bits.
func identical(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !identical(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !identical(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}
