package migrate

import (
	"fmt"
	"sync/atomic"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/value"
)

// decodeChunk is how many records a decoder claims at a time.
const decodeChunk = 4

// A decodeJob decodes a sub-page of records, for each the document the
// transaction keeps as the old one (pristine) and the copy the migration
// function gets. A helper goroutine starts on it as soon as it is made;
// the batch, when it needs the documents, decodes what the helper has not
// claimed yet and waits only for the chunk the helper is on. A goroutine
// can take a long while to be scheduled on a busy machine (on the order
// of 100 µs here), and waiting for it used to cost more than decoding.
type decodeJob struct {
	ids      []strata.ID
	records  [][]byte
	decode   func([]byte) (map[string]any, error) // a record to its logical document
	copy     bool                                 // make copies (otherwise copies holds nil)
	pristine []strata.Doc
	copies   []strata.Doc
	errs     []error // per record: each index is written by the goroutine that claimed it

	next     atomic.Int64  // the first record not yet claimed
	finished atomic.Int64  // records decoded (or failed)
	done     chan struct{} // closed by whoever finishes the last record
}

// startDecode returns the job of decoding records; with helper, already
// under way on a helper goroutine (otherwise wait decodes them all). It
// touches no transaction state.
func startDecode(ids []strata.ID, records [][]byte, helper, copies bool, decode func([]byte) (map[string]any, error)) *decodeJob {
	n := len(records)
	j := &decodeJob{
		ids: ids, records: records, decode: decode, copy: copies,
		pristine: make([]strata.Doc, n), copies: make([]strata.Doc, n), errs: make([]error, n),
		done: make(chan struct{}),
	}
	if n == 0 {
		close(j.done)
		return j
	}
	if helper {
		go j.work()
	}
	return j
}

// work claims and decodes chunks until none is left.
func (j *decodeJob) work() {
	n := int64(len(j.records))
	for {
		lo := j.next.Add(decodeChunk) - decodeChunk
		if lo >= n {
			return
		}
		hi := min(lo+decodeChunk, n)
		for i := lo; i < hi; i++ {
			m, err := j.decode(j.records[i])
			if err != nil {
				j.errs[i] = fmt.Errorf("corrupt record %s: %w", j.ids[i], err)
				continue
			}
			j.pristine[i] = m
			if j.copy {
				j.copies[i] = value.Clone(m).(map[string]any)
			}
		}
		if j.finished.Add(hi-lo) == n {
			close(j.done)
		}
	}
}

// abandon stops the helper at its next chunk: nobody will wait for the
// documents (the batch ended before it needed them).
func (j *decodeJob) abandon() { j.next.Store(int64(len(j.records))) }

// wait joins the decoding, waits until every record is decoded and
// returns the documents, or the first record's error.
func (j *decodeJob) wait() (pristine, copies []strata.Doc, err error) {
	j.work()
	<-j.done
	for _, err := range j.errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return j.pristine, j.copies, nil
}
