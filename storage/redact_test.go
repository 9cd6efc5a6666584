package storage_test

import (
	"strings"
	"testing"

	"github.com/strata-db/strata/storage"
)

// TestRedact masks every form of password a database URL can hold and
// leaves URLs without one as they are.
func TestRedact(t *testing.T) {
	const pw = "S3cr3t"
	cases := []struct{ in, want string }{
		{"postgres://app:" + pw + "@db:5432/x", "postgres://app:xxxxx@db:5432/x"},
		{"postgres://app@db/x?sslmode=disable&password=" + pw, "postgres://app@db/x?password=xxxxx&sslmode=disable"},
		{"postgres://app@db/x?PassWord=" + pw, "postgres://app@db/x?PassWord=xxxxx"},
		{"postgres://app@db/x?sslpassword=" + pw, "postgres://app@db/x?sslpassword=xxxxx"},
		{"postgres://app:" + pw + "@[::1:5432/x", "postgres://app:xxxxx@[::1:5432/x"},
		{"postgres://app:" + pw + "@x@[::1:5432/x", "postgres://app:xxxxx@[::1:5432/x"},
		{"host=db password=" + pw + " dbname=x", "host=db password=xxxxx dbname=x"},
		{"host=db password='" + pw + " x' dbname=x", "host=db password=xxxxx dbname=x"},
		{"postgres://app@db/x", "postgres://app@db/x"},
		{"sqlite:/tmp/x.db?synchronous=normal", "sqlite:/tmp/x.db?synchronous=normal"},
		{"sqlite:x.db", "sqlite:x.db"},
	}
	for _, c := range cases {
		got := storage.Redact(c.in)
		if got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, pw) {
			t.Errorf("Redact(%q) shows the password", c.in)
		}
		for _, s := range storage.Secrets(c.in) {
			if !strings.Contains(s, "S3cr3t") && !strings.Contains(s, "S3cr3t x") {
				t.Errorf("Secrets(%q) holds %q", c.in, s)
			}
		}
	}
	if got := storage.Secrets("postgres://app:S3cr%2Ft@db/x"); !contains(got, "S3cr%2Ft") || !contains(got, "S3cr/t") {
		t.Errorf("Secrets of an escaped password: %q", got)
	}
	for _, s := range []string{"host=db password=x", "dbname=app", "  user = app host=x"} {
		if !storage.IsKeyValueConnString(s) {
			t.Errorf("IsKeyValueConnString(%q) = false", s)
		}
	}
	for _, s := range []string{"x.db", "/tmp/a=b.db", "sqlite:x.db", "postgres://u@h/d?host=x", "a=b"} {
		if storage.IsKeyValueConnString(s) {
			t.Errorf("IsKeyValueConnString(%q) = true", s)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
