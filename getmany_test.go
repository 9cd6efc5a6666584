package strata_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/value"
)

// TestGetMany: documents come back in the order asked, nil for missing
// ones, the transaction's own writes included, on both backends; ids of
// two tables are refused.
func TestGetMany(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open func(testing.TB) *strata.DB) {
		db := open(t)
		ids := insert(t, db, "t", strata.Doc{"n": int64(0)}, strata.Doc{"n": int64(1)}, strata.Doc{"n": int64(2)})
		gone := insert(t, db, "t", strata.Doc{"n": int64(3)})[0]
		mutate(t, db, func(tx *strata.Tx) error { return tx.Delete(gone) })
		mutate(t, db, func(tx *strata.Tx) error {
			if err := tx.Patch(ids[1], strata.Patch{"n": int64(10)}); err != nil {
				return err
			}
			fresh, err := tx.Insert("t", strata.Doc{"n": int64(4)})
			if err != nil {
				return err
			}
			docs, err := tx.GetMany([]strata.ID{ids[2], gone, ids[1], fresh, ids[0], ids[1]})
			if err != nil {
				return err
			}
			want := []any{int64(2), nil, int64(10), int64(4), int64(0), int64(10)}
			for i, d := range docs {
				var got any
				if d != nil {
					got = d["n"]
				}
				if !value.Equal(got, want[i]) {
					t.Errorf("doc %d: n = %v, want %v", i, got, want[i])
				}
			}
			// Patching a prefetched document works as usual.
			return tx.Patch(ids[0], strata.Patch{"n": int64(20)})
		})
		query(t, db, func(tx *strata.Tx) error {
			d, _ := tx.Get(ids[0])
			if n, _ := d.Int("n"); n != 20 {
				t.Errorf("after patch: %v", d)
			}
			other := value.NewID("other")
			if _, err := tx.GetMany([]strata.ID{ids[0], other}); err == nil || !strings.Contains(err.Error(), "one table") {
				t.Errorf("ids of two tables: %v", err)
			}
			if _, err := tx.GetMany([]strata.ID{"bogus"}); err == nil {
				t.Errorf("bad id accepted")
			}
			return nil
		})
	})
}
