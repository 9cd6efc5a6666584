package storage

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// redactMask replaces every password Redact finds.
const redactMask = "xxxxx"

// passwordParam matches a password given as a key=value pair, in a URL
// query (password=...&) or a libpq connection string (password=... or
// password='...'), sslpassword included, whatever the letter case.
var passwordParam = regexp.MustCompile(`(?i)((?:^|[?&\s;])(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s;]*)`)

// Redact returns raw, a database URL or connection string as a user
// wrote it, with every password it holds replaced by "xxxxx": the
// password of the userinfo (postgres://user:PASSWORD@host), a password or
// sslpassword query parameter, and a libpq key=value password. It also
// masks the userinfo password of a URL that does not parse, so it is safe
// to put any string a user gave as a URL into a message. Strings without a
// password are returned unchanged.
func Redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Opaque == "" {
		changed := false
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), redactMask)
				changed = true
			}
		}
		if u.RawQuery != "" {
			q, qerr := url.ParseQuery(u.RawQuery)
			if qerr == nil {
				for k := range q {
					if lk := strings.ToLower(k); lk == "password" || lk == "sslpassword" {
						q[k] = []string{redactMask}
						changed = true
					}
				}
				if changed {
					u.RawQuery = q.Encode()
				}
			}
		}
		if changed {
			raw = u.String()
		}
	} else {
		raw = redactUserinfo(raw)
	}
	return passwordParam.ReplaceAllString(raw, "${1}"+redactMask)
}

// redactUserinfo masks the password of "scheme://user:password@rest"
// without parsing the rest, for a URL that url.Parse refuses. The
// userinfo ends at the last '@' before the path: a password may itself
// hold '@' or '/' when the user did not escape it, so the last '@' in the
// whole string is taken when no '/' follows it.
func redactUserinfo(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return raw
	}
	return raw[:i+3] + rest[:colon+1] + redactMask + rest[at:]
}

// Secrets returns the passwords raw holds (as Redact finds them), as
// written and decoded, for callers that must scrub messages produced by
// code that saw raw, such as a driver's error text. Passwords shorter
// than minSecret are left out: replacing every occurrence of one or two
// letters would garble every message, and Redact still masks them where
// a URL is shown.
func Secrets(raw string) []string {
	var out []string
	add := func(s string) {
		if len(s) < minSecret || s == redactMask {
			return
		}
		out = append(out, s)
		if d, err := url.PathUnescape(s); err == nil && d != s && len(d) >= minSecret {
			out = append(out, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s && len(d) >= minSecret {
			out = append(out, d)
		}
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, has := u.User.Password(); has {
			add(p)
			add(strings.TrimPrefix(url.UserPassword("", p).String(), ":"))
		}
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		// The userinfo as written: up to the last '@' of the authority,
		// or of the whole string when it does not parse.
		rest := raw[i+3:]
		if _, err := url.Parse(raw); err == nil {
			if j := strings.IndexAny(rest, "/?#"); j >= 0 {
				rest = rest[:j]
			}
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				add(rest[colon+1 : at])
			}
		}
	}
	for _, m := range passwordParam.FindAllStringSubmatch(raw, -1) {
		v := m[2]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		add(v)
	}
	return out
}

// minSecret is the shortest password Secrets returns.
const minSecret = 4

// keyValueStart matches the beginning of a libpq key=value connection
// string ("host=db password=... dbname=app").
var keyValueStart = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=`)

// keyValueKeyword matches a libpq connection keyword given a value.
var keyValueKeyword = regexp.MustCompile(`(?i)(?:^|\s)(?:host|hostaddr|port|dbname|user|password|sslmode|service|passfile|connect_timeout|application_name|options|target_session_attrs)\s*=`)

// IsKeyValueConnString reports whether s looks like a libpq key=value
// connection string ("host=db user=app password=... dbname=app"), which
// strata does not accept: such a string must be written as a postgres://
// URL, and must never be taken for a file name.
func IsKeyValueConnString(s string) bool {
	return keyValueStart.MatchString(s) && keyValueKeyword.MatchString(s)
}

// RedactError returns err with every password of raw (see Secrets)
// replaced by "xxxxx" in its message; errors.Is and errors.As still see
// err. It returns err itself when raw holds no password or err is nil.
func RedactError(err error, raw string) error {
	if err == nil {
		return nil
	}
	secrets := Secrets(raw)
	if len(secrets) == 0 {
		return err
	}
	msg := RedactText(err.Error(), secrets)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// RedactText replaces every occurrence of each secret in s by "xxxxx",
// longest secrets first.
func RedactText(s string, secrets []string) string {
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, sec := range sorted {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redactMask)
		}
	}
	return s
}

// redactedError is an error whose message had passwords removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
