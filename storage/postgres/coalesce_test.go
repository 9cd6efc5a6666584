package postgres

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCoalesceKeepsLastWritePerKey replays random runs of buffered writes
// and their coalesced form on two in-memory models of the tables: the
// final states agree, every key is written once, and drops keep their
// place.
func TestCoalesceKeepsLastWritePerKey(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	tables := []string{"a", "b"}
	indexes := []string{"x", "y"}
	for round := range 500 {
		var pending []op
		for range rng.IntN(40) {
			tbl := tables[rng.IntN(2)]
			key := []byte{byte('0' + rng.IntN(5))}
			val := []byte(fmt.Sprint(rng.IntN(1000)))
			switch rng.IntN(9) {
			case 0, 1:
				pending = append(pending, opOf(sqlPut, []any{tbl, key, val}))
			case 2, 3:
				pending = append(pending, opOf(sqlDelete, []any{tbl, key}))
			case 4, 5:
				pending = append(pending, opOf(sqlPutIndex, []any{tbl, indexes[rng.IntN(2)], key, val}))
			case 6, 7:
				pending = append(pending, opOf(sqlDeleteIndex, []any{tbl, indexes[rng.IntN(2)], key}))
			case 8:
				pending = append(pending, opOf(sqlDropDocs, []any{tbl}))
			}
		}
		want, got := model{}, model{}
		for _, o := range pending {
			want.apply(t, o)
		}
		out := coalesce(pending)
		for _, o := range out {
			got.apply(t, o)
		}
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("round %d: coalesced writes leave %v, the writes %v\nwrites %v\ncoalesced %v", round, got, want, pending, out)
		}
		if len(out) > len(pending) {
			t.Fatalf("round %d: %d statements from %d writes", round, len(out), len(pending))
		}
	}
}

// model is the content of the two tables: group -> key -> value.
type model map[string]map[string]string

func (m model) set(group, key string, val []byte) {
	if m[group] == nil {
		m[group] = map[string]string{}
	}
	if val == nil {
		delete(m[group], key)
		return
	}
	m[group][key] = string(val)
}

func (m model) apply(t *testing.T, o op) {
	a := o.args
	switch o.sql {
	case sqlPut:
		m.set("d"+a[0].(string), string(a[1].([]byte)), a[2].([]byte))
	case sqlDelete:
		m.set("d"+a[0].(string), string(a[1].([]byte)), nil)
	case sqlPutIndex:
		m.set("i"+a[0].(string)+a[1].(string), string(a[2].([]byte)), a[3].([]byte))
	case sqlDeleteIndex:
		m.set("i"+a[0].(string)+a[1].(string), string(a[2].([]byte)), nil)
	case sqlPutMany:
		for i, k := range a[1].([][]byte) {
			m.set("d"+a[0].(string), string(k), a[2].([][]byte)[i])
		}
	case sqlDeleteMany:
		for _, k := range a[1].([][]byte) {
			m.set("d"+a[0].(string), string(k), nil)
		}
	case sqlPutIndexMany:
		for i, k := range a[2].([][]byte) {
			m.set("i"+a[0].(string)+a[1].(string), string(k), a[3].([][]byte)[i])
		}
	case sqlDeleteIndexMany:
		for _, k := range a[2].([][]byte) {
			m.set("i"+a[0].(string)+a[1].(string), string(k), nil)
		}
	case sqlDropDocs:
		delete(m, "d"+a[0].(string))
	default:
		t.Fatalf("unexpected statement %q", o.sql)
	}
}
