package migrate

// SetHooks installs test hooks on m: before is called just before a
// declarative step pushes the schema that switches the write transforms
// ("expand" for start, "contract" for complete), after once the pass's
// high-water mark is recorded.
func SetHooks(m *Migrator, before, after func(phase string)) {
	m.hooks = hooks{beforeSwitch: before, afterMark: after}
}

// SetTrackHook installs a test hook on m called when Start, having found
// no tracking document, is about to record one.
func SetTrackHook(m *Migrator, f func()) {
	m.hooks.beforeTrack = func(string) { f() }
}

// Sys is the package's privileged surface, for tests that set a tracking
// document's state directly.
var Sys = sys
