package postgres

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCoalesceKeepsLastWritePerKey replays random runs of buffered writes
// and their coalesced form on two in-memory models of the tables, filled
// alike at random first: the final states agree, every key is written
// once, and drops keep their place. Inserts are drawn only for keys the
// writes so far leave absent (storage.Inserter's contract), and a
// coalesced insert of a key the model holds fails the test, as the unique
// index would fail the transaction.
func TestCoalesceKeepsLastWritePerKey(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	tables := []string{"a", "b"}
	indexes := []string{"x", "y"}
	inserts := 0
	for round := range 1000 {
		var pending []op
		want, got := model{}, model{}
		for range rng.IntN(6) {
			tbl, key := tables[rng.IntN(2)], fmt.Sprint(rng.IntN(5))
			want.set("d"+tbl, key, []byte("old"))
			got.set("d"+tbl, key, []byte("old"))
			ix := indexes[rng.IntN(2)]
			want.set("i"+tbl+ix, key, []byte("old"))
			got.set("i"+tbl+ix, key, []byte("old"))
		}
		for range rng.IntN(40) {
			tbl := tables[rng.IntN(2)]
			key := []byte{byte('0' + rng.IntN(5))}
			val := []byte(fmt.Sprint(rng.IntN(1000)))
			ix := indexes[rng.IntN(2)]
			var o op
			switch rng.IntN(11) {
			case 0, 1:
				o = opOf(sqlPut, []any{tbl, key, val})
			case 2, 3:
				o = opOf(sqlDelete, []any{tbl, key})
			case 4, 5:
				o = opOf(sqlPutIndex, []any{tbl, ix, key, val})
			case 6, 7:
				o = opOf(sqlDeleteIndex, []any{tbl, ix, key})
			case 8:
				o = opOf(sqlDropDocs, []any{tbl})
			case 9:
				if _, ok := want["d"+tbl][string(key)]; ok {
					continue
				}
				o = opOf(sqlInsert, []any{tbl, key, val})
			case 10:
				if _, ok := want["i"+tbl+ix][string(key)]; ok {
					continue
				}
				o = opOf(sqlInsertIndex, []any{tbl, ix, key, val})
			}
			want.apply(t, o)
			pending = append(pending, o)
		}
		out := coalesce(pending)
		for _, o := range out {
			switch o.sql {
			case sqlInsert, sqlInsertIndex, sqlInsertMany, sqlInsertIndexMany:
				inserts++
			}
		}
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
	if inserts < 100 {
		t.Errorf("only %d coalesced inserts: the rounds test too little", inserts)
	}
}

// model is the content of the two tables: group -> key -> value.
type model map[string]map[string]string

func (m model) set(group, key string, val []byte) {
	m.setChecked(nil, group, key, val, false)
}

// setChecked sets key; with insert set, t fails if key is present.
func (m model) setChecked(t *testing.T, group, key string, val []byte, insert bool) {
	if _, ok := m[group][key]; ok && insert {
		t.Fatalf("insert of %s %q, which exists", group, key)
	}
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
	case sqlInsert:
		m.setChecked(t, "d"+a[0].(string), string(a[1].([]byte)), a[2].([]byte), true)
	case sqlInsertIndex:
		m.setChecked(t, "i"+a[0].(string)+a[1].(string), string(a[2].([]byte)), a[3].([]byte), true)
	case sqlInsertMany:
		for i, k := range a[1].([][]byte) {
			m.setChecked(t, "d"+a[0].(string), string(k), a[2].([][]byte)[i], true)
		}
	case sqlInsertIndexMany:
		for i, k := range a[2].([][]byte) {
			m.setChecked(t, "i"+a[0].(string)+a[1].(string), string(k), a[3].([][]byte)[i], true)
		}
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

// BenchmarkCoalesceTransfer coalesces a transfer's writes: two account
// puts, a new ledger document and its index entry.
func BenchmarkCoalesceTransfer(b *testing.B) {
	id := func(s string) []byte { return []byte(s + "0123456789012345678901234567890123456") }
	body := make([]byte, 150)
	b.ReportAllocs()
	for b.Loop() {
		pending := []op{
			opOf(sqlPut, []any{"accounts", id("a"), body}),
			opOf(sqlPut, []any{"accounts", id("b"), body}),
			opOf(sqlInsertIndex, []any{"ledger", "by_creation_time", id("k"), id("l")}),
			opOf(sqlInsert, []any{"ledger", id("l"), body}),
		}
		if out := coalesce(pending); len(out) != 3 {
			b.Fatal(len(out))
		}
	}
}
