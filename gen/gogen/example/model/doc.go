// This package is the output of strata gen go for gen/gogen/testdata's
// schema, kept in the repository as the example of generated code and as
// the golden file of gogen's test (TestGolden); go generate rewrites it.

//go:generate go run github.com/strata-db/strata/cmd/strata gen go --schema ../../testdata/schema.json --package model --out model.go

package model
