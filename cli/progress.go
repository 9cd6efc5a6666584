package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// defaultProgressEvery is how often long work (import, export, copy,
// check) reports its progress on stderr when stderr is not a terminal;
// --progress-every changes it, 0 turns progress off.
const defaultProgressEvery = 2 * time.Second

// barDelay is how long work runs before a terminal shows a progress bar:
// quick commands print none.
const barDelay = time.Second

// progress reports how far one step of long work is, on stderr: a bar
// when stderr is a terminal (after barDelay), else a line at most every
// --progress-every. It is used from one goroutine.
type progress struct {
	w       io.Writer
	label   string // "import users"
	unit    string // "documents"
	total   int64  // -1: unknown
	done    int64
	every   time.Duration
	tty     bool
	start   time.Time
	last    time.Time
	bar     *progressbar.ProgressBar
	printed bool
	// detail, if set, adds to each line what the unit does not say
	// (an import counts bytes of its file and documents).
	detail func() string
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress starts reporting the step label, counting unit, out of
// total (-1 when unknown).
func (a *app) newProgress(label, unit string, total int64) *progress {
	now := time.Now()
	return &progress{w: a.stderr, label: label, unit: unit, total: total,
		every: a.progressEvery, tty: isTerminal(a.stderr), start: now, last: now}
}

// Add counts n more units done.
func (p *progress) Add(n int64) { p.Set(p.done + n) }

// Set records that done units are done.
func (p *progress) Set(done int64) {
	p.done = done
	if p.every <= 0 {
		return
	}
	now := time.Now()
	if p.tty {
		if p.bar == nil {
			// Made at once, so that its rate counts from the start, but
			// drawn only after barDelay.
			opts := []progressbar.Option{progressbar.OptionSetWriter(&delayedWriter{w: p.w, from: p.start.Add(barDelay)}),
				progressbar.OptionSetDescription(p.label), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(p.total > 0), progressbar.OptionThrottle(100 * time.Millisecond)}
			if p.unit == "bytes" {
				opts = append(opts, progressbar.OptionShowBytes(true))
			} else {
				opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(p.unit))
			}
			p.bar = progressbar.NewOptions64(p.total, opts...)
		}
		p.bar.Set64(min(done, max(p.total, done)))
		return
	}
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	p.printed = true
	p.line(now)
}

// line prints the non-terminal progress line.
func (p *progress) line(now time.Time) {
	rate := ""
	if s := now.Sub(p.start).Seconds(); s > 0 {
		rate = fmt.Sprintf(", %.0f/s", float64(p.done)/s)
	}
	if p.detail != nil {
		rate += ", " + p.detail()
	}
	if p.total > 0 {
		fmt.Fprintf(p.w, "strata: %s: %d of %d %s (%d%%)%s\n", p.label, p.done, p.total, p.unit, p.done*100/p.total, rate)
		return
	}
	fmt.Fprintf(p.w, "strata: %s: %d %s%s\n", p.label, p.done, p.unit, rate)
}

// delayedWriter drops what is written to it before from.
type delayedWriter struct {
	w    io.Writer
	from time.Time
}

func (d *delayedWriter) Write(b []byte) (int, error) {
	if time.Now().Before(d.from) {
		return len(b), nil
	}
	return d.w.Write(b)
}

// Finish ends the report: a bar is completed and its line ended; a step
// that printed progress lines prints its final count.
func (p *progress) Finish() {
	if p.bar != nil {
		if time.Now().After(p.start.Add(barDelay)) {
			p.bar.Finish()
			fmt.Fprintln(p.w)
		}
		p.bar = nil
		return
	}
	if p.printed {
		p.line(time.Now())
		p.printed = false
	}
}
