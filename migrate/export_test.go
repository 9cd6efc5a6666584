package migrate

// SetHooks installs test hooks on m: before is called just before a
// declarative step pushes the schema that switches the write transforms
// ("expand" for start, "contract" for complete), after once the pass's
// high-water mark is recorded.
func SetHooks(m *Migrator, before, after func(phase string)) {
	m.hooks = hooks{beforeSwitch: before, afterMark: after}
}
