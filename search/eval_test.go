package search

import (
	"context"
	"os"
	"testing"
)

// The dev set lives in shared/ beside the repository (CI clones it there too).
var devSets = []string{"../../shared/eval/search_dev.tsv", "/work/shared/eval/search_dev.tsv"}

// devSet is the first of devSets that exists (the first, missing, when none does).
var devSet = func() string {
	for _, p := range devSets {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return devSets[0]
}()

// evaluateFile scores one query file on the seed corpus and fails below the targets
// (recall@3 ≥ 0.95, MRR ≥ 0.85) or when ours does not beat the cjk baseline; -v prints the table.
func evaluateFile(t *testing.T, path string) {
	t.Helper()
	guides := seedGuides(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := openSeeded(t, nil, guides)
	rep, err := Evaluate(context.Background(), s, guides, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	if rep.Ours.Recall3 < 0.95 || rep.Ours.MRR < 0.85 {
		t.Errorf("%s: recall@3 %.3f MRR %.3f, want ≥ 0.95 and ≥ 0.85", path, rep.Ours.Recall3, rep.Ours.MRR)
	}
	if rep.Ours.Recall3 < rep.Baseline.Recall3 {
		t.Errorf("%s: recall@3 %.3f below the cjk baseline's %.3f", path, rep.Ours.Recall3, rep.Baseline.Recall3)
	}
}

// TestEvaluateDev scores the shared dev set.
func TestEvaluateDev(t *testing.T) {
	if _, err := os.Stat(devSet); err != nil {
		t.Skip("shared/eval/search_dev.tsv is not beside the repository")
	}
	evaluateFile(t, devSet)
}

// TestEvaluateExtra scores testdata/search_extra.tsv: queries written apart from the tuning, to
// see whether the dev-set figures generalise.
func TestEvaluateExtra(t *testing.T) { evaluateFile(t, "testdata/search_extra.tsv") }

// TestEvaluateProbe scores testdata/search_probe.tsv: everyday questions, pinyin and typos written
// after tuning.
func TestEvaluateProbe(t *testing.T) { evaluateFile(t, "testdata/search_probe.tsv") }

// TestEvaluateHeldout scores testdata/search_heldout.tsv: 40 queries (speech, voice filler,
// pinyin, typos) written apart from the tuning in session 2 (see its header).
func TestEvaluateHeldout(t *testing.T) { evaluateFile(t, "testdata/search_heldout.tsv") }

// TestEvaluateGSEBaseline scores the project's second baseline in-process, as searcheval -gse
// does (bleve over text segmented by gse's full embedded dictionary, title boosted). It loads
// the full dictionary (about 1 s, 200 MB), so it runs only with SEARCH_GSE_BASELINE=1.
func TestEvaluateGSEBaseline(t *testing.T) {
	if os.Getenv("SEARCH_GSE_BASELINE") == "" {
		t.Skip("set SEARCH_GSE_BASELINE=1")
	}
	guides := seedGuides(t)
	idx, seg, err := gseBaseline(guides)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{devSet, "testdata/search_extra.tsv"} {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		qs, err := ReadEvalQueries(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sc, misses := scoreQueries("gse", qs, func(q string) ([]string, error) { return gseTitles(idx, seg, q) })
		t.Logf("%s: gse-baseline recall@1=%.3f recall@3=%.3f MRR=%.3f", file, sc.Recall1, sc.Recall3, sc.MRR)
		for _, m := range misses {
			t.Logf("miss(gse): %s -> %v", m.Query, m.Top)
		}
	}
}
