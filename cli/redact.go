package cli

import (
	"io"
	"os"
	"strings"

	"github.com/strata-db/strata/storage"
)

// argSecrets returns the passwords held by the command-line arguments
// (database URLs given to --db, --from, --to, --backend postgres, in any
// form: userinfo, password query parameter, key=value string, a URL that
// does not parse) and the admin key of a remote --db (--admin-key,
// STRATA_ADMIN_KEY), so that no output of the invocation repeats them.
func argSecrets(args []string) []string {
	var out []string
	// The admin key of a remote --db, given as a flag or in the
	// environment.
	if k := os.Getenv("STRATA_ADMIN_KEY"); k != "" {
		out = append(out, k)
	}
	for i, a := range args {
		if k, ok := strings.CutPrefix(a, "--admin-key="); ok && k != "" {
			out = append(out, k)
		} else if a == "--admin-key" && i+1 < len(args) && args[i+1] != "" {
			out = append(out, args[i+1])
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--") {
			if _, v, ok := strings.Cut(a, "="); ok {
				a = v
			}
		}
		out = append(out, storage.Secrets(a)...)
	}
	return out
}

// redactWriter writes to w with every secret replaced by "xxxxx". The
// commands write whole lines or whole values in one call, so a secret is
// never split across two writes.
type redactWriter struct {
	w       io.Writer
	secrets []string
}

func (r *redactWriter) Write(p []byte) (int, error) {
	s := storage.RedactText(string(p), r.secrets)
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactedError is an error whose message had the invocation's secrets
// removed; errors.Is and errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redactError(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	msg := storage.RedactText(err.Error(), secrets)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
