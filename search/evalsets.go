package search

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// evalSets are the search quality sets written in this repository, shipped in the binary so that
// `shebao eval search` runs from any directory. (The dev set used for tuning lives outside the
// repository, in the shared workspace, and is passed as a file.)
//
//go:embed testdata/search_extra.tsv testdata/search_heldout.tsv testdata/search_probe.tsv
var evalSets embed.FS

// EvalSets returns the names of the built-in evaluation sets (extra, heldout, probe).
func EvalSets() []string {
	ents, _ := fs.ReadDir(evalSets, "testdata")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(e.Name(), "search_"), ".tsv"))
	}
	sort.Strings(names)
	return names
}

// EvalSet returns the built-in evaluation set name (query<TAB>kw1|kw2 lines), and whether it exists.
func EvalSet(name string) ([]byte, bool) {
	b, err := evalSets.ReadFile(path.Join("testdata", "search_"+name+".tsv"))
	return b, err == nil
}
