package op_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

// TestChangeTypeConvert: change_type with a named conversion instead of a
// map: string → number with a default for what does not parse, totality
// checked against the old type, and the reverse kept in step.
func TestChangeTypeConvert(t *testing.T) {
	s, err := strata.NewSchema(strata.Table("items", v.Object{
		"price": v.String(), "qty": v.Int64(), "score": v.Number(), "flag": v.Boolean(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	price := op.ChangeType{TableName: "items", From: "price", To: "priceNum", Type: v.Number(), Convert: "to_number", ReverseConvert: "to_string"}
	// Not total for every string: accepted, and Partial (the documents
	// are read to know).
	if err := price.Check(s); err != nil || !price.Partial(s) {
		t.Errorf("to_number of a string without a default: %v, partial %v", err, price.Partial(s))
	}
	price.HasDefault, price.Default = true, -1.0
	if err := price.Check(s); err != nil || price.Partial(s) {
		t.Fatal(err, price.Partial(s))
	}
	if toString := (op.ChangeType{TableName: "items", From: "qty", To: "q3", Type: v.String(), Convert: "to_string"}); toString.Partial(s) {
		t.Error("to_string of an int64 is total, not partial")
	}
	cases := []struct {
		old, doc op.Doc
		field    string
		want     any
	}{
		{nil, op.Doc{"price": "12.5"}, "priceNum", 12.5},
		{nil, op.Doc{"price": "cheap"}, "priceNum", -1.0},
		{op.Doc{"price": "1", "priceNum": 1.0}, op.Doc{"price": "2", "priceNum": 1.0}, "priceNum", 2.0}, // old writer
		{op.Doc{"price": "1", "priceNum": 1.0}, op.Doc{"price": "1", "priceNum": 7.0}, "price", "7"},    // new writer
		{nil, op.Doc{"priceNum": 0.25}, "price", "0.25"},                                                // new writer's insert
	}
	for i, c := range cases {
		if got := transform(t, price, c.old, c.doc); got[c.field] != c.want {
			t.Errorf("case %d: %s = %v, want %v (%v)", i, c.field, got[c.field], c.want, got)
		}
	}
	total := []op.ChangeType{
		{TableName: "items", From: "qty", To: "qtyNum", Type: v.Number(), Convert: "to_number"},
		{TableName: "items", From: "qty", To: "qtyText", Type: v.String(), Convert: "to_string"},
		{TableName: "items", From: "flag", To: "flagText", Type: v.String(), Convert: "to_string"},
	}
	for _, o := range total {
		if err := o.Check(s); err != nil {
			t.Errorf("%s %s: %v", o.From, o.Convert, err)
		}
	}
	if got := transform(t, total[0], nil, op.Doc{"qty": int64(3)}); got["qtyNum"] != 3.0 {
		t.Errorf("to_number of an int64: %v", got)
	}
	bad := []struct {
		o    op.ChangeType
		want string
	}{
		{op.ChangeType{TableName: "items", From: "qty", To: "q2", Type: v.Int64(), Convert: "to_number"}, "type refuses"},
		{op.ChangeType{TableName: "items", From: "qty", To: "q2", Type: v.Number(), Convert: "to_float"}, "unknown conversion"},
		{op.ChangeType{TableName: "items", From: "qty", To: "q2", Type: v.Number(), Convert: "to_number", Map: []op.Pair{{int64(1), 1.0}}}, "both a map and convert"},
	}
	if p := (op.ChangeType{TableName: "items", From: "score", To: "s2", Type: v.Int64(), Convert: "to_int64"}); p.Check(s) != nil || !p.Partial(s) {
		t.Errorf("to_int64 of a number: %v, partial %v", p.Check(s), p.Partial(s))
	}
	for _, b := range bad {
		if err := b.o.Check(s); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: %v, want an error with %q", b.o, err, b.want)
		}
	}
	// Without a default, a value the conversion refuses is an error naming
	// it (a backfill fails its batch with the document's id).
	noDefault := op.ChangeType{TableName: "items", From: "price", To: "p3", Type: v.Number(), Convert: "to_number"}
	if _, err := noDefault.Transform(nil, op.Doc{"price": "n/a"}); err == nil || !strings.Contains(err.Error(), "cannot convert") {
		t.Errorf("unconvertible value: %v", err)
	}
}

func TestChangeTypeConvertFile(t *testing.T) {
	in := `{"name":"c","operations":[{"change_type":{"table":"items","from":"price","to":"priceNum","type":"number","convert":"to_number","reverse_convert":"to_string","default":0}}]}`
	f, err := op.ParseFile([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	ct := f.Operations[0].(op.ChangeType)
	if ct.Convert != "to_number" || ct.ReverseConvert != "to_string" || len(ct.Map) != 0 {
		t.Errorf("parsed %+v", ct)
	}
	b, err := op.MarshalFile(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := op.ParseFile(b)
	if err != nil {
		t.Fatalf("re-parse %s: %v", b, err)
	}
	if g.Operations[0].(op.ChangeType).Convert != "to_number" {
		t.Errorf("round trip lost convert: %s", b)
	}
	for _, bad := range []struct{ text, want string }{
		{`{"name":"c","operations":[{"change_type":{"table":"t","from":"a","to":"b","type":"number","convert":"to_float"}}]}`, "unknown conversion"},
		{`{"name":"c","operations":[{"change_type":{"table":"t","from":"a","to":"b","type":"number","convert":"to_number","map":[["x",1]]}}]}`, "both a map and convert"},
		{`{"name":"c","operations":[{"change_type":{"table":"t","from":"a","to":"b","type":"number","convert":7}}]}`, "convert"},
	} {
		if _, err := op.ParseFile([]byte(bad.text)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error with %q", bad.text, err, bad.want)
		}
	}
}
