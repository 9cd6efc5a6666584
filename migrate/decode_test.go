package migrate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/value"
)

// TestDecodeJob: every record decoded in order, whether the helper
// goroutine takes part or not, the copies independent of the documents
// the transaction keeps, and a corrupt record reported by its id.
func TestDecodeJob(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, decodeChunk, 3*decodeChunk + 1, 64} {
		for _, helper := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d/helper=%v", n, helper), func(t *testing.T) {
				ids := make([]strata.ID, n)
				records := make([][]byte, n)
				for i := range n {
					ids[i] = strata.ID(fmt.Sprintf("id%d", i))
					b, err := value.EncodeDoc(map[string]any{"i": int64(i), "tags": []any{"a"}})
					if err != nil {
						t.Fatal(err)
					}
					records[i] = b
				}
				pristine, copies, err := startDecode(ids, records, helper, true, value.DecodeDoc).wait()
				if err != nil {
					t.Fatal(err)
				}
				if len(pristine) != n || len(copies) != n {
					t.Fatalf("%d pristine, %d copies, want %d", len(pristine), len(copies), n)
				}
				for i := range n {
					if got, _ := pristine[i].Int("i"); got != int64(i) {
						t.Errorf("pristine[%d] = %v", i, pristine[i])
					}
					copies[i]["i"] = int64(-1)
					copies[i]["tags"].([]any)[0] = "changed"
					if got, _ := pristine[i].Int("i"); got != int64(i) || pristine[i]["tags"].([]any)[0] != "a" {
						t.Errorf("changing copy %d changed the kept document: %v", i, pristine[i])
					}
				}
			})
		}
	}
	t.Run("corrupt", func(t *testing.T) {
		good, _ := value.EncodeDoc(map[string]any{"a": "b"})
		ids := []strata.ID{"ok1", "ok2", "broken", "ok3", "ok4", "ok5"}
		records := [][]byte{good, good, good[:len(good)-1], good, good, good}
		_, _, err := startDecode(ids, records, true, true, value.DecodeDoc).wait()
		if err == nil || !strings.Contains(err.Error(), "broken") {
			t.Fatalf("wait() = %v, want an error naming the record broken", err)
		}
	})
}

// TestDecodeJobAbandon: after abandon, a helper that has not started yet
// decodes nothing.
func TestDecodeJobAbandon(t *testing.T) {
	t.Parallel()
	good, _ := value.EncodeDoc(map[string]any{"a": "b"})
	ids := []strata.ID{"a", "b", "c", "d", "e", "f", "g", "h", "i"}
	records := make([][]byte, len(ids))
	for i := range records {
		records[i] = good
	}
	j := startDecode(ids, records, false, true, value.DecodeDoc) // no helper: this test plays it
	j.abandon()
	j.work()
	for i, d := range j.pristine {
		if d != nil {
			t.Errorf("record %d decoded after abandon", i)
		}
	}
	if got := j.finished.Load(); got != 0 {
		t.Errorf("finished = %d after abandon, want 0", got)
	}
}
