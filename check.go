package strata

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// ErrCorrupt is wrapped by errors that report stored data strata cannot
// trust: a record that does not decode, a record whose _id is not its
// key, an index that disagrees with the documents. DB.Check lists every
// such problem; DB.RepairIndexes rebuilds the indexes.
var ErrCorrupt = errors.New("corrupt data")

// ProblemKind names one kind of problem DB.Check finds.
type ProblemKind string

// The problems DB.Check reports.
const (
	// ProblemEngine is a finding of the storage engine's own check
	// (SQLite's integrity_check, PostgreSQL's amcheck).
	ProblemEngine ProblemKind = "engine"
	// ProblemUndecodable is a document record that does not decode.
	ProblemUndecodable ProblemKind = "undecodable_record"
	// ProblemBadID is a record stored under a key that is not a valid id
	// of its table.
	ProblemBadID ProblemKind = "bad_id"
	// ProblemIDMismatch is a record whose _id field is missing or differs
	// from the id it is stored under.
	ProblemIDMismatch ProblemKind = "id_mismatch"
	// ProblemMissingDocument is an index entry pointing at no document.
	ProblemMissingDocument ProblemKind = "missing_document"
	// ProblemWrongKey is an index entry whose key is not the key its
	// document's current values produce.
	ProblemWrongKey ProblemKind = "wrong_key"
	// ProblemMissingEntry is a document without its entry in an index.
	ProblemMissingEntry ProblemKind = "missing_entry"
	// ProblemUnknownIndex is an index holding entries that the active
	// schema does not declare.
	ProblemUnknownIndex ProblemKind = "unknown_index"
	// ProblemBadTable is a table name in storage that is not a valid
	// table name; its records are not checked further.
	ProblemBadTable ProblemKind = "bad_table"
	// ProblemCount is an index with more correct entries than the table
	// scan found documents: the document table itself lost rows.
	ProblemCount ProblemKind = "count_mismatch"
)

// Problem is one thing DB.Check found wrong.
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Table  string      `json:"table,omitempty"`
	Index  string      `json:"index,omitempty"`
	ID     string      `json:"id,omitempty"`  // the document (row key) concerned
	Key    string      `json:"key,omitempty"` // the index entry's key, in hex
	Detail string      `json:"detail"`
}

// String returns the problem on one line: where, then what.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Table != "" && p.Index != "":
		b.WriteString(p.Table + "." + p.Index)
	case p.Table != "":
		b.WriteString(p.Table)
	default:
		b.WriteString("storage")
	}
	if p.ID != "" {
		b.WriteString(": document " + p.ID)
	}
	if p.Key != "" {
		b.WriteString(": entry " + p.Key)
	}
	b.WriteString(": " + p.Detail)
	return b.String()
}

// TableCheck is what DB.Check read of one table.
type TableCheck struct {
	Table     string           `json:"table"`
	Documents int64            `json:"documents"`
	Indexes   map[string]int64 `json:"indexes"` // index name -> entries read
}

// CheckReport is the result of DB.Check.
type CheckReport struct {
	// Engine is what the storage engine's own check ran ("PRAGMA
	// integrity_check"), or "" if it ran nothing; EngineNote says why.
	Engine     string       `json:"engine"`
	EngineNote string       `json:"engineNote,omitempty"`
	Tables     []TableCheck `json:"tables"`
	// Problems lists what was found, at most CheckOptions.MaxProblems;
	// Omitted counts the problems found beyond that.
	Problems []Problem `json:"problems"`
	Omitted  int64     `json:"omitted,omitempty"`
}

// OK reports whether the check found nothing wrong.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 && r.Omitted == 0 }

// Err returns nil if the check found nothing wrong, else an error
// wrapping ErrCorrupt that names every problem listed.
func (r *CheckReport) Err() error {
	if r.OK() {
		return nil
	}
	lines := make([]string, 0, len(r.Problems)+1)
	for _, p := range r.Problems {
		lines = append(lines, p.String())
	}
	if r.Omitted > 0 {
		lines = append(lines, fmt.Sprintf("and %d more", r.Omitted))
	}
	return fmt.Errorf("strata: check: %w: %d problem(s): %s", ErrCorrupt, len(r.Problems)+int(r.Omitted), strings.Join(lines, "; "))
}

// CheckProgress reports how far a check or a repair is in one table.
type CheckProgress struct {
	Table string
	Step  string // "documents", or the index being read or rebuilt
	Done  int64  // records and entries read (or written) in the table so far
	Total int64  // about how many it will read: the table's documents times (1 + its indexes)
}

// CheckOptions tunes DB.CheckWith and DB.RepairIndexes.
type CheckOptions struct {
	// Progress, if set, is called after every page read.
	Progress func(CheckProgress)
	// MaxProblems caps CheckReport.Problems (default 1000); the rest are
	// counted in Omitted.
	MaxProblems int
	// SkipEngine skips the storage engine's own check.
	SkipEngine bool
}

// checkPage is the number of records or entries a check reads at a time.
const checkPage = 512

// Check verifies the database and returns every problem found: it is
// CheckWith with default options.
func (db *DB) Check(ctx context.Context) (*CheckReport, error) {
	return db.CheckWith(ctx, CheckOptions{})
}

// CheckWith verifies the database in one read-only transaction, like
// Query: one consistent snapshot, which does not block writers and sees
// none of their work committed after it started. It checks:
//
//   - the storage engine's own check of its structures, where the backend
//     has one (storage.IntegrityChecker: SQLite's PRAGMA integrity_check;
//     on PostgreSQL amcheck's bt_index_check when the extension is
//     installed, otherwise nothing, noted in the report);
//   - every document record of every table, read in id order from the
//     records themselves, decodes, is stored under a valid id of its
//     table, and holds that id as its _id;
//   - every entry of every index (by_creation_time and each index the
//     active schema declares) points at a document whose current values
//     produce exactly the entry's key, and every document has its entry
//     in each index (an index still being built may lack entries);
//   - no index holds entries the schema does not declare.
//
// The index entries of a damaged record (one that does not decode or does
// not hold its id as _id) are neither checked nor expected: the record's
// problem is reported once. The cost is one read of every record and of
// every index entry, each entry joined with its document, plus the
// engine's check (SQLite: about one more read of the file); memory is flat
// in the table sizes (only the ids of damaged records are kept). When
// an index lacks entries it reads the table once more to name the
// documents concerned. Problems are in the report; the error is for a
// check that could not finish (a file too damaged to read, a canceled
// context), and then the report, if not nil, holds what was found before
// it, such as the engine's findings.
func (db *DB) CheckWith(ctx context.Context, opts CheckOptions) (*CheckReport, error) {
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 1000
	}
	var rep *CheckReport
	err := db.Query(ctx, func(tx *Tx) error {
		rep = &CheckReport{Tables: []TableCheck{}, Problems: []Problem{}} // afresh if the read is retried
		if err := tx.loadSchema(); err != nil {
			return err
		}
		c := &checker{tx: tx, rep: rep, opts: opts}
		if !opts.SkipEngine {
			if err := c.engine(); err != nil {
				return err
			}
		}
		tables, err := c.tables()
		if err != nil {
			return err
		}
		for _, t := range tables {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := c.table(t); err != nil {
				return fmt.Errorf("table %q: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("strata: check: %w", err)
	}
	return rep, nil
}

// checker is one run of CheckWith.
type checker struct {
	tx   *Tx
	rep  *CheckReport
	opts CheckOptions
	prog CheckProgress
	// damaged holds the documents of the table being checked whose
	// record is damaged (it does not decode, or its _id is not its key):
	// their index entries are not checked (whatever they say follows
	// from the damage already reported) and not counted.
	damaged map[ID]bool
}

func (c *checker) add(p Problem) {
	if len(c.rep.Problems) >= c.opts.MaxProblems {
		c.rep.Omitted++
		return
	}
	c.rep.Problems = append(c.rep.Problems, p)
}

func (c *checker) progress(step string, n int) {
	c.prog.Step = step
	c.prog.Done += int64(n)
	if c.opts.Progress != nil {
		c.opts.Progress(c.prog)
	}
}

func (c *checker) engine() error {
	ic, ok := c.tx.st.(storage.IntegrityChecker)
	if !ok {
		c.rep.EngineNote = "the storage backend has no check of its own"
		return nil
	}
	what, note, problems, err := ic.CheckIntegrity(c.opts.MaxProblems)
	if err != nil {
		return fmt.Errorf("engine check: %w", err)
	}
	c.rep.Engine, c.rep.EngineNote = what, note
	for _, p := range problems {
		c.add(Problem{Kind: ProblemEngine, Detail: what + ": " + p})
	}
	return nil
}

// tables returns the tables to check: those holding documents and those
// the active schema declares (whose indexes may hold entries of
// documents that are gone), sorted.
func (c *checker) tables() ([]string, error) {
	seen := map[string]bool{}
	out, err := c.tx.st.Tables()
	if err != nil {
		return nil, err
	}
	for _, t := range out {
		seen[t] = true
	}
	if s := c.tx.schema; s != nil {
		for name := range s.Tables {
			if !seen[name] {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkedIndex is an index a check verifies, and whether it may lack
// entries (its online build is not finished).
type checkedIndex struct {
	ix      schema.Index
	partial bool
}

// indexesOf returns by_creation_time and the active schema's indexes of
// table, each marked partial when its build has not finished in this
// snapshot.
func (c *checker) indexesOf(table string) ([]checkedIndex, error) {
	out := []checkedIndex{{ix: creationTimeIndex}}
	for _, ix := range c.tx.indexes(table)[1:] {
		ci := checkedIndex{ix: ix}
		if st := c.tx.state; st != nil {
			if bid, staged := st.builds[indexKeyName(table, ix.Name)]; staged {
				d, err := c.tx.get(indexBuildsTable, bid)
				if err != nil {
					return nil, err
				}
				ci.partial = d == nil || d.StringOr("state", "") != BuildReady
			}
		}
		out = append(out, ci)
	}
	return out, nil
}

func (c *checker) table(table string) error {
	en, ok := c.tx.st.(storage.Enumerator)
	if !ok {
		return errors.New("the storage backend cannot scan documents (no storage.Enumerator)")
	}
	if !value.ValidTableName(table) {
		c.add(Problem{Kind: ProblemBadTable, Table: table, Detail: "records stored under a table name that is not valid"})
		return nil
	}
	indexes, err := c.indexesOf(table)
	if err != nil {
		return err
	}
	tc := TableCheck{Table: table, Indexes: map[string]int64{}}
	// The total is for progress only: the built-in index's count.
	c.prog = CheckProgress{Table: table}
	c.damaged = map[ID]bool{}
	n, err := c.tx.Table(table).Count()
	if err != nil {
		return err
	}
	c.prog.Total = n * int64(1+len(indexes))
	// Documents, from the records themselves.
	err = eachRecord(en, table, func(ids []ID, bodies [][]byte) error {
		for i, id := range ids {
			tc.Documents++
			if !c.record(table, id, bodies[i]) {
				c.damaged[id] = true
			}
		}
		c.progress("documents", len(ids))
		return nil
	})
	if err != nil {
		return err
	}
	// Every entry of every index, joined with its document.
	for _, ci := range indexes {
		valid, n, err := c.entries(table, ci.ix)
		if err != nil {
			return err
		}
		tc.Indexes[ci.ix.Name] = n
		sound := tc.Documents - int64(len(c.damaged))
		switch {
		case valid > sound:
			c.add(Problem{Kind: ProblemCount, Table: table, Index: ci.ix.Name, Detail: fmt.Sprintf("%d correct entries but the table scan found %d sound documents: documents are missing from the table", valid, sound)})
		case valid < sound && !ci.partial:
			if err := c.missing(en, table, ci.ix); err != nil {
				return err
			}
		}
	}
	// Indexes holding entries the schema does not declare.
	names, err := en.Indexes(table)
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, checked := tc.Indexes[name]; !checked {
			c.add(Problem{Kind: ProblemUnknownIndex, Table: table, Index: name, Detail: "entries of an index the active schema does not declare"})
		}
	}
	c.rep.Tables = append(c.rep.Tables, tc)
	return nil
}

// record checks one document record and reports whether it is sound:
// it decodes and holds its key as _id.
func (c *checker) record(table string, id ID, body []byte) bool {
	if _, err := value.ParseIDFor(string(id), table); err != nil {
		c.add(Problem{Kind: ProblemBadID, Table: table, ID: string(id), Detail: fmt.Sprintf("stored under a key that is not an id of the table: %v", err)})
	}
	_, kind, why := decodeRecord(c.tx.state, table, id, body)
	if why != "" {
		c.add(Problem{Kind: kind, Table: table, ID: string(id), Detail: why})
		return false
	}
	return true
}

// decodeRecord decodes the record of document id, or says what is wrong
// with it: it does not decode, or does not hold id as its _id.
func decodeRecord(st *schemaState, table string, id ID, body []byte) (Doc, ProblemKind, string) {
	m, err := st.decodeRecord(table, body)
	if err != nil {
		return nil, ProblemUndecodable, fmt.Sprintf("record does not decode: %v", err)
	}
	switch got, ok := m[FieldID].(ID); {
	case !ok:
		return nil, ProblemIDMismatch, fmt.Sprintf("record has no %s", FieldID)
	case got != id:
		return nil, ProblemIDMismatch, fmt.Sprintf("record holds %s %q, not its key", FieldID, got)
	}
	return Doc(m), "", ""
}

// entries checks every entry of ix in key order and returns how many are
// correct (point at a document that produces exactly their key) and how
// many it read.
func (c *checker) entries(table string, ix schema.Index) (valid, n int64, err error) {
	var start []byte
	for {
		ents, err := c.tx.st.Scan(storage.ScanRequest{Table: table, Index: ix.Name, Range: storage.Range{Start: start}, Limit: checkPage})
		if err != nil {
			return valid, n, err
		}
		for _, e := range ents {
			n++
			key := hex.EncodeToString(e.Key)
			if e.Body == nil {
				c.add(Problem{Kind: ProblemMissingDocument, Table: table, Index: ix.Name, ID: string(e.ID), Key: key, Detail: "entry points at a document that does not exist"})
				continue
			}
			d, _, why := decodeRecord(c.tx.state, table, ID(e.ID), e.Body)
			if why != "" || c.damaged[ID(e.ID)] {
				continue // reported by the document scan
			}
			want, err := storedIndexKey(ix, d)
			if err != nil {
				c.add(Problem{Kind: ProblemWrongKey, Table: table, Index: ix.Name, ID: string(e.ID), Key: key, Detail: fmt.Sprintf("the document has no key in the index: %v", err)})
				continue
			}
			if !bytes.Equal(want, e.Key) {
				c.add(Problem{Kind: ProblemWrongKey, Table: table, Index: ix.Name, ID: string(e.ID), Key: key, Detail: fmt.Sprintf("the document's values produce key %x", want)})
				continue
			}
			valid++
		}
		c.progress(ix.Name, len(ents))
		if len(ents) < checkPage {
			return valid, n, nil
		}
		start = append(bytes.Clone(ents[len(ents)-1].Key), 0)
	}
}

// missing names the documents of table without their entry in ix: it
// reads the table again and looks each document's key up.
func (c *checker) missing(en storage.Enumerator, table string, ix schema.Index) error {
	return eachRecord(en, table, func(ids []ID, bodies [][]byte) error {
		for i, id := range ids {
			d, _, why := decodeRecord(c.tx.state, table, id, bodies[i])
			if why != "" || c.damaged[id] {
				continue // reported already
			}
			want, err := storedIndexKey(ix, d)
			if err != nil {
				c.add(Problem{Kind: ProblemMissingEntry, Table: table, Index: ix.Name, ID: string(id), Detail: fmt.Sprintf("the document has no key in the index: %v", err)})
				continue
			}
			ents, err := c.tx.st.Scan(storage.ScanRequest{Table: table, Index: ix.Name, Range: storage.Range{Start: want, End: append(bytes.Clone(want), 0)}, Limit: 1, KeysOnly: true})
			if err != nil {
				return err
			}
			if len(ents) == 0 || string(ents[0].ID) != string(id) {
				c.add(Problem{Kind: ProblemMissingEntry, Table: table, Index: ix.Name, ID: string(id), Detail: fmt.Sprintf("the document has no entry (its key would be %x)", want)})
			}
		}
		return nil
	})
}

// eachRecord calls fn with every record of table, a page at a time, in
// id order, read from the records themselves.
func eachRecord(en storage.Enumerator, table string, fn func(ids []ID, bodies [][]byte) error) error {
	var r storage.Range
	for {
		ents, err := en.ScanDocuments(table, r, checkPage)
		if err != nil {
			return err
		}
		ids := make([]ID, len(ents))
		bodies := make([][]byte, len(ents))
		for i, e := range ents {
			ids[i], bodies[i] = ID(e.ID), e.Body
		}
		if len(ents) > 0 {
			if err := fn(ids, bodies); err != nil {
				return err
			}
		}
		if len(ents) < checkPage {
			return nil
		}
		r.Start = append(bytes.Clone(ents[len(ents)-1].ID), 0)
	}
}
