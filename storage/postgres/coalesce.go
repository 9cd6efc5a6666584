package postgres

import (
	"bytes"
	"slices"
	"strings"
)

// Bulk forms of the buffered writes: one statement for many keys of one
// table (and index), the keys as arrays.
const (
	sqlPutMany = `INSERT INTO strata_documents (tbl, id, body)
		SELECT $1, u.id, u.body FROM unnest($2::bytea[], $3::bytea[]) AS u(id, body)
		ON CONFLICT (tbl, id) DO UPDATE SET body = excluded.body`
	sqlDeleteMany   = `DELETE FROM strata_documents WHERE tbl = $1 AND id = ANY($2::bytea[])`
	sqlPutIndexMany = `INSERT INTO strata_index (tbl, idx, key, id)
		SELECT $1, $2, u.key, u.id FROM unnest($3::bytea[], $4::bytea[]) AS u(key, id)
		ON CONFLICT (tbl, idx, key) DO UPDATE SET id = excluded.id`
	sqlDeleteIndexMany = `DELETE FROM strata_index WHERE tbl = $1 AND idx = $2 AND key = ANY($3::bytea[])`
)

// coalesce rewrites the buffered writes into fewer statements. Puts,
// inserts and deletes of documents and of index entries set the state of
// one key each, so within a run of them only the last write of each key
// matters and writes of different keys commute: such a run becomes, per
// table (and index), one statement deleting the keys whose last write
// deletes, one inserting the keys whose first write in the run was an
// insert (the server held nothing for them before the run) and one
// upserting the rest, each key once, in key order (so that concurrent
// transactions lock rows in the same order). Other writes (drops) keep
// their place and end a run.
func coalesce(pending []op) []op {
	out := make([]op, 0, len(pending))
	for i := 0; i < len(pending); {
		j := i
		for j < len(pending) && isKeyWrite(pending[j].sql) {
			j++
		}
		if j-i >= 2 {
			out = appendRun(out, pending[i:j])
		} else {
			out = append(out, pending[i:j]...)
		}
		if j < len(pending) {
			out = append(out, pending[j])
			j++
		}
		i = j
	}
	return out
}

func isKeyWrite(q string) bool {
	switch q {
	case sqlPut, sqlDelete, sqlPutIndex, sqlDeleteIndex, sqlInsert, sqlInsertIndex:
		return true
	}
	return false
}

// keyState is the last write of one key: value nil deletes it. fresh:
// the key's first write in the run was an insert.
type keyState struct {
	table, index string
	key, value   []byte
	isIndex      bool
	fresh        bool
}

// insert reports whether the key is written with a plain INSERT: the
// server held nothing for it before the run, and it ends up stored.
func (s keyState) insert() bool { return s.fresh && s.value != nil }

// linearRun is the longest run whose keys appendRun matches by
// comparing them with each other rather than through a map.
const linearRun = 16

func appendRun(out []op, run []op) []op {
	states := make([]keyState, 0, len(run))
	var last map[string]int // by group and key, for long runs
	if len(run) > linearRun {
		last = make(map[string]int, len(run))
	}
	for _, o := range run {
		s := stateOf(o)
		at := -1
		if last == nil {
			for i := range states {
				if compareGroups(states[i], s) == 0 && bytes.Equal(states[i].key, s.key) {
					at = i
					break
				}
			}
		} else {
			k := s.group() + "\x00" + string(s.key)
			if i, ok := last[k]; ok {
				at = i
			} else {
				last[k] = len(states)
			}
		}
		if at >= 0 {
			s.fresh = states[at].fresh
			states[at] = s
			continue
		}
		states = append(states, s)
	}
	slices.SortFunc(states, func(a, b keyState) int {
		if c := compareGroups(a, b); c != 0 {
			return c
		}
		if c := compareBool(a.value == nil, b.value == nil); c != 0 {
			return c
		}
		if c := compareBool(a.insert(), b.insert()); c != 0 {
			return c
		}
		return bytes.Compare(a.key, b.key)
	})
	for lo := 0; lo < len(states); {
		hi := lo + 1
		for hi < len(states) && compareGroups(states[hi], states[lo]) == 0 &&
			(states[hi].value == nil) == (states[lo].value == nil) && states[hi].insert() == states[lo].insert() {
			hi++
		}
		out = append(out, statement(states[lo:hi]))
		lo = hi
	}
	return out
}

// stateOf is the state a key write o leaves its key in.
func stateOf(o op) keyState {
	switch o.sql {
	case sqlPut:
		return keyState{table: o.args[0].(string), key: o.args[1].([]byte), value: o.args[2].([]byte)}
	case sqlDelete:
		return keyState{table: o.args[0].(string), key: o.args[1].([]byte)}
	case sqlPutIndex:
		return keyState{isIndex: true, table: o.args[0].(string), index: o.args[1].(string), key: o.args[2].([]byte), value: o.args[3].([]byte)}
	case sqlDeleteIndex:
		return keyState{isIndex: true, table: o.args[0].(string), index: o.args[1].(string), key: o.args[2].([]byte)}
	case sqlInsert:
		return keyState{table: o.args[0].(string), key: o.args[1].([]byte), value: o.args[2].([]byte), fresh: true}
	default: // sqlInsertIndex
		return keyState{isIndex: true, table: o.args[0].(string), index: o.args[1].(string), key: o.args[2].([]byte), value: o.args[3].([]byte), fresh: true}
	}
}

// compareGroups orders keys' groups as their names (group) do, without
// building them: documents before index entries, then by table, then by
// index (names hold no NUL).
func compareGroups(a, b keyState) int {
	if c := compareBool(a.isIndex, b.isIndex); c != 0 {
		return c
	}
	if c := strings.Compare(a.table, b.table); c != 0 {
		return c
	}
	return strings.Compare(a.index, b.index)
}

// group names what a key belongs to: a table's documents or one index.
func (s keyState) group() string {
	if s.isIndex {
		return "i\x00" + s.table + "\x00" + s.index
	}
	return "d\x00" + s.table
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// statement writes keys (one group, all puts, all inserts or all
// deletes): the single form for one key, the bulk form for more.
func statement(keys []keyState) op {
	s := keys[0]
	del, ins := s.value == nil, s.insert()
	if len(keys) == 1 {
		switch {
		case !s.isIndex && del:
			return opOf(sqlDelete, []any{s.table, s.key})
		case !s.isIndex && ins:
			return opOf(sqlInsert, []any{s.table, s.key, s.value})
		case !s.isIndex:
			return opOf(sqlPut, []any{s.table, s.key, s.value})
		case del:
			return opOf(sqlDeleteIndex, []any{s.table, s.index, s.key})
		case ins:
			return opOf(sqlInsertIndex, []any{s.table, s.index, s.key, s.value})
		default:
			return opOf(sqlPutIndex, []any{s.table, s.index, s.key, s.value})
		}
	}
	ks := make([][]byte, len(keys))
	var vs [][]byte
	if !del {
		vs = make([][]byte, len(keys))
	}
	for i, k := range keys {
		ks[i] = k.key
		if !del {
			vs[i] = k.value
		}
	}
	switch {
	case !s.isIndex && del:
		return opOf(sqlDeleteMany, []any{s.table, ks})
	case !s.isIndex && ins:
		return opOf(sqlInsertMany, []any{s.table, ks, vs})
	case !s.isIndex:
		return opOf(sqlPutMany, []any{s.table, ks, vs})
	case del:
		return opOf(sqlDeleteIndexMany, []any{s.table, s.index, ks})
	case ins:
		return opOf(sqlInsertIndexMany, []any{s.table, s.index, ks, vs})
	default:
		return opOf(sqlPutIndexMany, []any{s.table, s.index, ks, vs})
	}
}
