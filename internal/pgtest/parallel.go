package pgtest

import (
	"flag"
	"runtime"
	"strconv"
)

// ParallelPerCPU is how many parallel tests per CPU (GOMAXPROCS) Main
// runs at once when -parallel is not given.
const ParallelPerCPU = 2

// raiseParallel sets -test.parallel to ParallelPerCPU × GOMAXPROCS when
// the command line did not set it.
func raiseParallel() {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			given = true
		}
	})
	if !given {
		_ = flag.Set("test.parallel", strconv.Itoa(ParallelPerCPU*runtime.GOMAXPROCS(0)))
	}
}
