package batch

import "time"

// sizer holds the size of the next batch and adapts it.
type sizer struct {
	size   int
	target time.Duration // < 0: fixed
	max    int
	fixed  int // the configured size, to return to after conflicts when fixed
}

func newSizer(cfg Config) *sizer {
	s := &sizer{size: cfg.Size, target: cfg.Target, max: cfg.Max}
	if s.size <= 0 {
		s.size = 100
	}
	if s.target == 0 {
		s.target = DefaultTarget
	}
	if s.max <= 0 {
		s.max = 1000
	}
	s.fixed = s.size
	return s
}

// halve halves the size, down to one.
func (s *sizer) halve() { s.size = max(1, s.size/2) }

// adapt scales the size towards the target batch duration after a batch
// of n items that took took. A batch that ended early for writers says
// nothing about the size: it is kept. A batch that had to be retried
// after conflicts halves it. A fixed size halved by conflicts doubles
// back to the configured size with each batch that commits without them.
func (s *sizer) adapt(took time.Duration, n int, yielded, conflicted bool) {
	if s.target < 0 {
		if !conflicted && s.size < s.fixed {
			s.size = min(s.size*2, s.fixed)
		}
		return
	}
	if n == 0 || yielded {
		return
	}
	if conflicted {
		s.halve()
		return
	}
	per := took / time.Duration(n)
	if per <= 0 {
		per = time.Microsecond
	}
	want := int(s.target / per)
	// Move at most a factor of two per batch, so one slow batch does not
	// collapse the size.
	s.size = min(max(want, s.size/2, 1), s.size*2, s.max)
}
