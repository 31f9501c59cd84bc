package assistant

import (
	"embed"
	"path"
)

// goldenSets are the assistant's golden sets, shipped in the binary so that `shebao eval chat`
// runs from any directory.
//
//go:embed testdata/golden.yaml testdata/golden_holdout.yaml
var goldenSets embed.FS

// GoldenSets returns the names of the built-in golden sets: golden (the main set) and holdout
// (written apart from the tuning).
func GoldenSets() []string { return []string{"golden", "holdout"} }

// BuiltinGolden returns the built-in golden set name as YAML, and whether it exists.
func BuiltinGolden(name string) ([]byte, bool) {
	file := map[string]string{"golden": "golden.yaml", "holdout": "golden_holdout.yaml"}[name]
	if file == "" {
		return nil, false
	}
	b, err := goldenSets.ReadFile(path.Join("testdata", file))
	return b, err == nil
}
