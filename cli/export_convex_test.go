package cli_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-db/strata"
)

// TestExportConvexFormat: export --format convex writes Convex's JSON
// encoding; import reads it back to the same values, NaN bits included,
// and a strata-form export of the copy equals the original's.
func TestExportConvexFormat(t *testing.T) {
	dir := t.TempDir()
	src, dst := "sqlite:"+filepath.Join(dir, "a.db"), "sqlite:"+filepath.Join(dir, "b.db")
	db, err := strata.Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Mutation(context.Background(), func(tx *strata.Tx) error {
		_, err := tx.Insert("vals", strata.Doc{
			"i": int64(-1), "nan": math.Float64frombits(0xFFF8000000000123), "z": math.Copysign(0, -1),
			"b": []byte{1, 2, 3}, "f": 1.5,
		})
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := runCLI(src, &out, &errOut, "export", "--format", "convex", "vals"); err != nil {
		t.Fatalf("export: %v %s", err, errOut.String())
	}
	line := out.String()
	for _, want := range []string{`"i":{"$integer":"//////////8="}`, `"nan":{"$float":"IwEAAAAA+P8="}`, `"z":{"$float":"AAAAAAAAAIA="}`, `"b":{"$bytes":"AQID"}`, `"f":1.5`} {
		if !strings.Contains(line, want) {
			t.Errorf("convex export lacks %s:\n%s", want, line)
		}
	}
	file := filepath.Join(dir, "vals.jsonl")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runCLI(dst, &out, &errOut, "import", "vals", file); err != nil {
		t.Fatalf("import: %v %s", err, errOut.String())
	}
	if a, b := exportOf(t, src), exportOf(t, dst); a != b {
		t.Fatalf("strata exports differ:\n%s\n%s", a, b)
	}
	if err := runCLI(src, &out, &errOut, "export", "--format", "bson"); err == nil {
		t.Fatal("export --format bson succeeded")
	}
}
