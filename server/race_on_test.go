//go:build race

package server_test

// raceDetector reports that the tests run under the race detector, which
// slows the server several times over: bounds on how often a page updates
// are not checked then.
const raceDetector = true
