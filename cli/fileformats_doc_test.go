package cli_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/value"
)

// docBlock is one fenced block of a Markdown file: its info string
// ("json file=schema.json") and its text.
type docBlock struct {
	info, text string
	line       int
}

func docBlocks(t testing.TB, path string) []docBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docBlock
	var cur *docBlock
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &docBlock{info: strings.TrimPrefix(line, "```"), line: n}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", path, cur.line)
	}
	return out
}

// TestFileFormatsDoc runs docs/file-formats.md as a walk-through against
// a fresh database: every example file is written, parses as what it is
// (schema, migration file, JSON Lines of documents) and is used by a
// command; every strata command shown runs and succeeds, in order; every
// line of a "json value" block parses in the JSON value form.
func TestFileFormatsDoc(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := filepath.Join("..", "docs", "file-formats.md")
	files := map[string]int{} // written file -> uses
	commands := 0
	for _, b := range docBlocks(t, path) {
		where := path + ":" + strconv.Itoa(b.line)
		fields := strings.Fields(b.info)
		if len(fields) == 0 {
			continue // a shape, not an example
		}
		lang, name := fields[0], ""
		for _, f := range fields[1:] {
			if v, ok := strings.CutPrefix(f, "file="); ok {
				name = v
			}
		}
		switch {
		case name != "":
			checkExampleFile(t, where, name, b.text)
			e.file(name, b.text)
			files[name] = 0
		case lang == "json" && len(fields) > 1 && fields[1] == "value":
			for _, line := range strings.Split(strings.TrimSpace(b.text), "\n") {
				if _, err := value.ParseJSON([]byte(line)); err != nil {
					t.Errorf("%s: value %s: %v", where, line, err)
				}
			}
		case lang == "sh":
			for _, line := range strings.Split(strings.TrimSpace(b.text), "\n") {
				args := strings.Fields(line)
				if len(args) == 0 || args[0] != "strata" {
					t.Fatalf("%s: not a strata command: %q", where, line)
				}
				args = args[1:]
				for i, a := range args {
					if _, ok := files[a]; ok {
						files[a]++
						args[i] = filepath.Join(e.dir, a)
					}
				}
				commands++
				if out, errOut, err := e.run(args...); err != nil {
					t.Fatalf("%s: %s: %v\n%s%s", where, line, err, out, errOut)
				}
			}
		}
	}
	if commands < 10 || len(files) < 9 {
		t.Errorf("ran %d commands with %d files: the doc lost its walk-through", commands, len(files))
	}
	for name, uses := range files {
		if uses == 0 {
			t.Errorf("%s: example file %s is used by no command", path, name)
		}
	}
}

// checkExampleFile parses an example file as what its name says it is.
func checkExampleFile(t *testing.T, where, name, text string) {
	t.Helper()
	switch {
	case strings.HasSuffix(name, ".jsonl"):
		for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
			if _, err := value.ParseJSONDoc([]byte(line)); err != nil {
				t.Errorf("%s: %s line %d: %v", where, name, i+1, err)
			}
		}
	case strings.Contains(text, `"operations"`):
		f, err := op.ParseFile([]byte(text))
		if err != nil {
			t.Errorf("%s: %s: %v", where, name, err)
		} else if f.Name+".json" != name {
			t.Errorf("%s: %s names the migration %s", where, name, f.Name)
		}
	default:
		if _, err := schema.Parse([]byte(text)); err != nil {
			t.Errorf("%s: %s: %v", where, name, err)
		}
	}
}
