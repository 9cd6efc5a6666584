package op_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/schema/op"
)

// TestReverseMapKeys: a reverse_map whose keys the new type refuses is
// refused when the file is parsed (a JSON object's keys are strings, so
// for a number type its entries would never match and new-shape writers
// would leave the old field unset); pairs of the new type are accepted.
func TestReverseMapKeys(t *testing.T) {
	for _, tc := range []struct {
		reverse, want string
	}{
		{`{"3":"low"}`, `reverse_map key 3 does not match the type`},
		{`[["3","low"]]`, `reverse_map key 3 does not match the type`},
		{`[[3,"low"]]`, ``},
	} {
		text := `{"name":"c","operations":[{"change_type":{"table":"items","from":"prio","to":"n","type":"number","map":{"low":3},"reverse_map":` + tc.reverse + `,"default":0}}]}`
		_, err := op.ParseFile([]byte(text))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("reverse_map %s: %v", tc.reverse, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("reverse_map %s: error %v, want one containing %q", tc.reverse, err, tc.want)
		}
	}
}
