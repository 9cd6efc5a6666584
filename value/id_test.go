package value

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIDRoundTrip(t *testing.T) {
	for _, table := range []string{"users", "_scheduled_functions", "A", "x9_Z", strings.Repeat("t", 64)} {
		id := NewID(table)
		for i := 0; i < len(id); i++ {
			if !strings.ContainsRune(idAlphabet, rune(id[i])) {
				t.Fatalf("id %q has character %q outside the alphabet", id, id[i])
			}
		}
		got, err := ParseID(string(id))
		if err != nil || got != id {
			t.Fatalf("ParseID(%q) = %q, %v", id, got, err)
		}
		if tb, err := id.Table(); err != nil || tb != table {
			t.Fatalf("Table() = %q, %v; want %q", tb, err, table)
		}
		if _, err := ParseIDFor(string(id), table); err != nil {
			t.Fatalf("ParseIDFor: %v", err)
		}
		ts, err := id.Time()
		if err != nil || time.Since(ts) > time.Minute || time.Since(ts) < -time.Second {
			t.Fatalf("Time() = %v, %v", ts, err)
		}
	}
}

func TestIDTimeAndLength(t *testing.T) {
	ms := int64(1718000000123)
	id := newIDAt("users", ms)
	ts, err := id.Time()
	if err != nil || ts.UnixMilli() != ms {
		t.Fatalf("Time() = %v, %v", ts, err)
	}
	// 6+8+5+2 = 21 bytes = 168 bits = 34 characters.
	if len(id) != 34 {
		t.Fatalf("len(%q) = %d, want 34", id, len(id))
	}
}

func TestIDUnique(t *testing.T) {
	const n = 100000
	seen := make(map[ID]bool, n)
	for range n {
		id := NewID("users")
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestIDOrderFollowsTime(t *testing.T) {
	tables := []string{"a", "users", "zzzzzzzzzz", "_migrations"}
	base := int64(1718000000000)
	var prev ID
	for i := range 5000 {
		// Steps of one millisecond and of larger, irregular amounts.
		ms := base + int64(i) + int64(i/100)*987654
		id := newIDAt(tables[i%len(tables)], ms)
		if prev != "" && !(prev < id) {
			t.Fatalf("id %q (ms %d) does not sort after %q", id, ms, prev)
		}
		if Compare(prev, id) >= 0 && prev != "" {
			t.Fatal("Compare disagrees with string order")
		}
		prev = id
	}
	// Real clock: ids made in later milliseconds sort later.
	a := NewID("users")
	time.Sleep(2 * time.Millisecond)
	b := NewID("users")
	if !(a < b) {
		t.Fatalf("%q made before %q sorts after it", a, b)
	}
}

func TestIDSingleCharacterCorruption(t *testing.T) {
	// Every change of one character must be rejected (the CRC-16 detects
	// every burst of up to 16 bits); the brief only requires 99%.
	total, rejected := 0, 0
	for _, table := range []string{"users", "posts", "a", strings.Repeat("Q", 64)} {
		for range 20 {
			id := string(NewID(table))
			for i := 0; i < len(id); i++ {
				for j := 0; j < len(idAlphabet); j++ {
					c := idAlphabet[j]
					if c == id[i] {
						continue
					}
					bad := id[:i] + string(c) + id[i+1:]
					total++
					if _, err := ParseID(bad); err != nil {
						rejected++
					} else if tb, _ := ID(bad).Table(); tb == table {
						t.Errorf("corruption %q of %q accepted for the same table", bad, id)
					}
				}
			}
		}
	}
	if rate := float64(rejected) / float64(total); rate < 0.99 || rejected != total {
		t.Errorf("rejected %d of %d single-character corruptions (%.4f)", rejected, total, rate)
	}
}

func TestParseIDErrors(t *testing.T) {
	good := string(newIDAt("users", 1718000000123))
	flip := func(s string, i int) string {
		c := byte('0')
		if s[i] == '0' {
			c = '1'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := []struct {
		in   string
		want string
	}{
		{"", `invalid id "": bad length 0`},
		{"abc", `invalid id "abc": bad length 3`},
		{good[:len(good)-1], "bad length 33"},
		{good + "0", "bad length 35"},
		{strings.ToUpper(good), "bad character"},
		{good[:5] + "i" + good[6:], `bad character 'i' at offset 5`},
		{good[:5] + "-" + good[6:], `bad character '-' at offset 5`},
		{good[:5] + "é" + good[7:], `bad character '\u00c3' at offset 5`},
		{flip(good, 3), "corrupted (checksum mismatch)"},
		{flip(good, len(good)-3), "corrupted (checksum mismatch)"},
		{good[:len(good)-1] + "1", "corrupted (non-zero padding bits)"},
		{strings.Repeat("z", 200), "bad length 200"},
	}
	for _, tt := range tests {
		_, err := ParseID(tt.in)
		var ie *IDError
		if !errors.As(err, &ie) {
			t.Errorf("ParseID(%q) error = %v (%T), want *IDError", tt.in, err, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "invalid id ") {
			t.Errorf("ParseID(%q) error = %q, want %q", tt.in, err, tt.want)
		}
	}
	// A valid checksum over an invalid table name is still rejected.
	raw := []byte{0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 'a', '-', 'b'}
	raw = append(raw, byte(crc16(raw)>>8), byte(crc16(raw)))
	if _, err := ParseID(encodeBase32(raw)); err == nil || !strings.Contains(err.Error(), "invalid table name") {
		t.Errorf("invalid table name accepted: %v", err)
	}
}

func TestParseIDForWrongTable(t *testing.T) {
	id := NewID("posts")
	_, err := ParseIDFor(string(id), "users")
	want := `invalid id "` + string(id) + `": belongs to table "posts", not "users"`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	var ie *IDError
	if !errors.As(err, &ie) || ie.ID != string(id) || ie.Reason != `belongs to table "posts", not "users"` {
		t.Fatalf("error = %#v", err)
	}
	if _, err := ParseIDFor("junk", "users"); err == nil {
		t.Fatal("junk accepted")
	}
}

func TestValidTableName(t *testing.T) {
	for _, s := range []string{"a", "_users", "Users_2", strings.Repeat("x", 64)} {
		if !ValidTableName(s) {
			t.Errorf("ValidTableName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a-b", "a b", "é", strings.Repeat("x", 65), "a.b"} {
		if ValidTableName(s) {
			t.Errorf("ValidTableName(%q) = true", s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewID with an invalid table did not panic")
		}
	}()
	NewID("bad table")
}

func FuzzParseID(f *testing.F) {
	f.Add(string(NewID("users")))
	f.Add(string(NewID(strings.Repeat("t", 64))))
	f.Add("abc")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			var ie *IDError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T", err)
			}
			return
		}
		table, err := id.Table()
		if err != nil || !ValidTableName(table) {
			t.Fatalf("valid id %q: Table() = %q, %v", s, table, err)
		}
		if _, err := ParseIDFor(s, table); err != nil {
			t.Fatal(err)
		}
		ts, err := id.Time()
		if err != nil {
			t.Fatal(err)
		}
		// Re-encoding the decoded bytes gives back the same text.
		re := newIDAt(table, ts.UnixMilli())
		if len(re) != len(s) || re[:9] != id[:9] {
			t.Fatalf("re-made id %q does not match %q in length and time prefix", re, s)
		}
	})
}

func BenchmarkNewID(b *testing.B) {
	for b.Loop() {
		NewID("users")
	}
}

func BenchmarkParseID(b *testing.B) {
	id := string(NewID("users"))
	for b.Loop() {
		if _, err := ParseID(id); err != nil {
			b.Fatal(err)
		}
	}
}
