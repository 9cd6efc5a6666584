package storagetest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/storage"
	"pgregory.net/rapid"
)

// model is the in-memory reference: what a backend must return.
type model struct {
	docs map[string]map[string]string // table -> id -> body
	idx  map[[2]string]map[string]string
}

func newModel() *model {
	return &model{docs: map[string]map[string]string{}, idx: map[[2]string]map[string]string{}}
}

func (m *model) clone() *model {
	c := newModel()
	for t, d := range m.docs {
		c.docs[t] = maps.Clone(d)
	}
	for k, d := range m.idx {
		c.idx[k] = maps.Clone(d)
	}
	return c
}

func (m *model) put(table, id, body string) {
	if m.docs[table] == nil {
		m.docs[table] = map[string]string{}
	}
	m.docs[table][id] = body
}

func (m *model) del(table, id string) {
	delete(m.docs[table], id)
	if len(m.docs[table]) == 0 {
		delete(m.docs, table)
	}
}

func (m *model) putIndex(table, index, key, id string) {
	k := [2]string{table, index}
	if m.idx[k] == nil {
		m.idx[k] = map[string]string{}
	}
	m.idx[k][key] = id
}

func (m *model) dropTable(table string) {
	delete(m.docs, table)
	for k := range m.idx {
		if k[0] == table {
			delete(m.idx, k)
		}
	}
}

func (m *model) scan(req storage.ScanRequest) []storage.Entry {
	entries := m.idx[[2]string{req.Table, req.Index}]
	var keys []string
	for k := range entries {
		if req.Range.Start != nil && k < string(req.Range.Start) {
			continue
		}
		if req.Range.End != nil && k >= string(req.Range.End) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys) // string order is bytewise unsigned order
	if req.Reverse {
		slices.Reverse(keys)
	}
	if req.Limit > 0 && len(keys) > req.Limit {
		keys = keys[:req.Limit]
	}
	out := make([]storage.Entry, len(keys))
	for i, k := range keys {
		id := entries[k]
		out[i] = storage.Entry{Key: []byte(k), ID: []byte(id)}
		if body, ok := m.docs[req.Table][id]; ok && !req.KeysOnly {
			out[i].Body = append([]byte{}, body...)
		}
	}
	return out
}

func (m *model) tables(prefix string) []string {
	var out []string
	for t := range m.docs {
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Generators. Small alphabets make collisions, shared prefixes and
// boundary hits likely; 0x00 and 0xff probe unsigned byte order.
var (
	genByte  = rapid.SampledFrom([]byte{0x00, 0x01, 0x41, 0x7f, 0x80, 0xfe, 0xff})
	genKey   = rapid.SliceOfN(genByte, 0, 3)
	genID    = rapid.SampledFrom([]string{"", "\x00", "a", "b", "\xff", "a\x00", "zz"})
	genBody  = rapid.SliceOfN(genByte, 0, 4)
	genIndex = rapid.SampledFrom([]string{"i", "j"})
)

func sameEntries(a, b []storage.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].ID, b[i].ID) ||
			!bytes.Equal(a[i].Body, b[i].Body) || (a[i].Body == nil) != (b[i].Body == nil) {
			return false
		}
	}
	return true
}

func fmtEntries(es []storage.Entry) string {
	var sb strings.Builder
	for _, e := range es {
		body := "<missing>"
		if e.Body != nil {
			body = fmt.Sprintf("%x", e.Body)
		}
		fmt.Fprintf(&sb, "[%x -> %x: %s] ", e.Key, e.ID, body)
	}
	return sb.String()
}

// checkRead draws a read (Get, Scan or Tables), runs it on tx and
// compares it with m. It returns false if the backend ended tx with a
// conflict (storage.ErrConflict), which the contract allows at any time:
// the caller then treats tx as rolled back.
func checkRead(t *rapid.T, tx storage.Tx, m *model, tables []string, prefix, who string) bool {
	table := rapid.SampledFrom(tables).Draw(t, "table")
	switch rapid.IntRange(0, 5).Draw(t, "read") {
	case 0, 1:
		id := genID.Draw(t, "id")
		got, err := tx.Get(table, []byte(id))
		if errors.Is(err, storage.ErrConflict) {
			return false
		}
		want, ok := m.docs[table][id]
		switch {
		case !ok && !errors.Is(err, storage.ErrNotFound):
			t.Fatalf("%s Get(%s, %x) = %x, %v; want ErrNotFound", who, table, id, got, err)
		case ok && (err != nil || !bytes.Equal(got, []byte(want)) || got == nil):
			t.Fatalf("%s Get(%s, %x) = %x, %v; want %x", who, table, id, got, err, want)
		}
	case 2, 3, 4:
		req := storage.ScanRequest{
			Table:    table,
			Index:    genIndex.Draw(t, "index"),
			Reverse:  rapid.Bool().Draw(t, "reverse"),
			Limit:    rapid.SampledFrom([]int{0, 0, 1, 2, 5}).Draw(t, "limit"),
			KeysOnly: rapid.IntRange(0, 4).Draw(t, "keysOnly") == 0,
		}
		if rapid.Bool().Draw(t, "hasStart") {
			req.Range.Start = genKey.Draw(t, "start")
		}
		if rapid.Bool().Draw(t, "hasEnd") {
			req.Range.End = genKey.Draw(t, "end")
		}
		got, err := tx.Scan(req)
		if errors.Is(err, storage.ErrConflict) {
			return false
		}
		if err != nil {
			t.Fatalf("%s Scan(%+v): %v", who, req, err)
		}
		if want := m.scan(req); !sameEntries(got, want) {
			t.Fatalf("%s Scan(%s.%s [%x, %x) reverse=%v limit=%d keysOnly=%v):\n got  %s\n want %s",
				who, req.Table, req.Index, req.Range.Start, req.Range.End, req.Reverse, req.Limit, req.KeysOnly,
				fmtEntries(got), fmtEntries(want))
		}
	case 5:
		all, err := tx.Tables()
		if errors.Is(err, storage.ErrConflict) {
			return false
		}
		if err != nil {
			t.Fatalf("%s Tables: %v", who, err)
		}
		var got []string
		for _, n := range all {
			if strings.HasPrefix(n, prefix) {
				got = append(got, n)
			}
		}
		if want := m.tables(prefix); !slices.Equal(got, want) {
			t.Fatalf("%s Tables = %q, want %q", who, got, want)
		}
	}
	return true
}

// applyWrite draws a write, runs it on tx and applies it to m. It
// returns false if the backend ended tx with a conflict.
func applyWrite(t *rapid.T, tx storage.Tx, m *model, tables []string) bool {
	table := rapid.SampledFrom(tables).Draw(t, "table")
	var err error
	switch op := rapid.IntRange(0, 19).Draw(t, "write"); {
	case op < 7:
		id, body := genID.Draw(t, "id"), genBody.Draw(t, "body")
		err = tx.Put(table, []byte(id), body)
		m.put(table, id, string(body))
	case op < 10:
		id := genID.Draw(t, "id")
		err = tx.Delete(table, []byte(id))
		m.del(table, id)
	case op < 16:
		index, key, id := genIndex.Draw(t, "index"), genKey.Draw(t, "key"), genID.Draw(t, "id")
		err = tx.PutIndex(table, index, key, []byte(id))
		m.putIndex(table, index, string(key), id)
	case op < 18:
		index, key := genIndex.Draw(t, "index"), genKey.Draw(t, "key")
		err = tx.DeleteIndex(table, index, key)
		delete(m.idx[[2]string{table, index}], string(key))
	case op < 19:
		index := genIndex.Draw(t, "index")
		err = tx.DropIndex(table, index)
		delete(m.idx, [2]string{table, index})
	default:
		err = tx.DropTable(table)
		m.dropTable(table)
	}
	if errors.Is(err, storage.ErrConflict) {
		return false
	}
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return true
}

// testModel runs random sequences of transactions (some rolled back, some
// read-only, with a long-lived reader holding an older snapshot) and
// compares every read with the in-memory model. rapid runs modelChecks
// checks per round unless -rapid.checks says otherwise (go test
// ./storage/postgres -run TestConformance/Model -rapid.checks=1000);
// testModel runs four rounds (one with -short) as parallel subtests, each
// on a backend of its own, since the checks mostly wait for commits. Each
// check of a round uses its own table names, so the checks of a round
// share its backend.
func testModel(t *testing.T, open func(t testing.TB) storage.Backend) {
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	defaultChecks(t, modelChecks)
	for round := range rounds {
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			t.Parallel()
			testModelRound(t, open(t))
		})
	}
}

// testModelRound is one round of testModel on b.
func testModelRound(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	iteration := 0
	var st modelStats
	rapid.Check(t, func(t *rapid.T) { modelCheck(ctx, t, b, &iteration, &st) })
	// A backend may end any serializable transaction with a conflict (on
	// a shared PostgreSQL server even a lone one, when the server's
	// predicate lock table is under pressure), so the histories treat
	// one as a rollback; but most transactions must commit.
	if st.conflicts > st.commits/10 {
		t.Errorf("%d transactions ended with a conflict, %d committed: a history without concurrent writers should rarely conflict", st.conflicts, st.commits)
	}
	t.Logf("%d commits, %d conflicts", st.commits, st.conflicts)
}

// modelStats counts how the histories' transactions ended.
type modelStats struct{ commits, conflicts int }

// modelCheck is one random history on fresh tables.
func modelCheck(ctx context.Context, t *rapid.T, b storage.Backend, iteration *int, st *modelStats) {
	*iteration++
	prefix := fmt.Sprintf("m%d_", *iteration)
	tables := []string{prefix + "a", prefix + "b"}
	committed := newModel()

	var open []storage.Tx
	defer func() {
		for _, tx := range open {
			_ = tx.Rollback()
		}
	}()
	var reader storage.Tx // long-lived read transaction
	var readerModel *model

	nTx := rapid.IntRange(1, 40).Draw(t, "transactions")
	for range nTx {
		if reader == nil && rapid.IntRange(0, 5).Draw(t, "openReader") == 0 {
			r, err := b.Begin(ctx, false)
			if err != nil {
				t.Fatalf("Begin reader: %v", err)
			}
			reader, readerModel = r, committed.clone()
			open = append(open, r)
			// Its snapshot is taken no later than its first read: read
			// now (a Get, which always reaches the store, of an id no
			// history writes), before later transactions commit.
			_, err = r.Get(tables[0], []byte("snapshot"))
			switch {
			case errors.Is(err, storage.ErrConflict):
				st.conflicts++
				_ = reader.Rollback()
				reader = nil
			case !errors.Is(err, storage.ErrNotFound):
				t.Fatalf("reader's first Get: %v; want ErrNotFound", err)
			}
		}
		writable := rapid.IntRange(0, 3).Draw(t, "writable") != 0
		tx, err := b.Begin(ctx, writable)
		if err != nil {
			t.Fatalf("Begin(writable=%v): %v", writable, err)
		}
		open = append(open, tx)
		pending := committed.clone()
		nOps := rapid.IntRange(0, 12).Draw(t, "ops")
		aborted := false
		for range nOps {
			ok := true
			if writable && rapid.IntRange(0, 2).Draw(t, "isWrite") != 0 {
				ok = applyWrite(t, tx, pending, tables)
			} else {
				ok = checkRead(t, tx, pending, tables, prefix, "tx")
			}
			if reader != nil && rapid.IntRange(0, 4).Draw(t, "readerRead") == 0 {
				if !checkRead(t, reader, readerModel, tables, prefix, "older snapshot") {
					st.conflicts++
					_ = reader.Rollback()
					reader = nil
				}
			}
			if !ok {
				aborted = true
				break
			}
		}
		if aborted {
			st.conflicts++
			_ = tx.Rollback()
			continue
		}
		if !writable {
			if err := tx.Put(tables[0], []byte("x"), nil); !errors.Is(err, storage.ErrReadOnly) {
				t.Fatalf("Put in a read-only tx: %v, want ErrReadOnly", err)
			}
		}
		if rapid.IntRange(0, 3).Draw(t, "rollback") == 0 {
			if err := tx.Rollback(); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
		} else {
			err := tx.Commit()
			switch {
			case errors.Is(err, storage.ErrConflict):
				st.conflicts++ // rolled back: committed stays as it was
			case err != nil:
				t.Fatalf("Commit: %v", err)
			default:
				st.commits++
				committed = pending
			}
		}
		if reader != nil && rapid.IntRange(0, 6).Draw(t, "closeReader") == 0 {
			if err := reader.Commit(); err != nil && !errors.Is(err, storage.ErrConflict) {
				t.Fatalf("reader Commit: %v", err)
			}
			reader = nil
		}
	}
	// Final full comparison in a fresh read transaction.
	tx, err := b.Begin(ctx, false)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	open = append(open, tx)
	for _, table := range tables {
		for _, id := range []string{"", "\x00", "a", "b", "\xff", "a\x00", "zz"} {
			got, err := tx.Get(table, []byte(id))
			want, ok := committed.docs[table][id]
			if ok != (err == nil) || (ok && string(got) != want) {
				t.Fatalf("final Get(%s, %x) = %x, %v; want %x (present=%v)", table, id, got, err, want, ok)
			}
		}
		for _, index := range []string{"i", "j"} {
			req := storage.ScanRequest{Table: table, Index: index}
			got, err := tx.Scan(req)
			if err != nil {
				t.Fatalf("final Scan: %v", err)
			}
			if want := committed.scan(req); !sameEntries(got, want) {
				t.Fatalf("final Scan(%s.%s):\n got  %s\n want %s", table, index, fmtEntries(got), fmtEntries(want))
			}
		}
	}
}

// modelChecks is how many histories each round of testModel tries by
// default: 200 in all, half of rapid's default of 100 a round. Those 400
// cost 6 s of CPU (both backends, PostgreSQL's server included) on an
// idle 2-core machine and 30 s of test time within go test ./...; 200
// cost 2.6 s. A planted bug that about one history in 100 meets (a
// reverse, keys-only, bounded scan with limit 2 returning one entry) was
// found in 9 of 12 runs of 200 and in 7 of 8 runs of 400.
const modelChecks = 50

// defaultChecks sets -rapid.checks to n until t and its subtests end,
// unless the command line set it. The flag is global: a backend's test
// binary must not run other rapid tests in parallel with testModel if
// they are to see the command line's count.
func defaultChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return
	}
	set := false
	flag.Visit(func(g *flag.Flag) { set = set || g.Name == "rapid.checks" })
	if set {
		return
	}
	old := f.Value.String()
	if err := f.Value.Set(strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}
