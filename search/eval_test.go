package search

import (
	"context"
	"os"
	"testing"
)

const devSet = "/work/shared/eval/search_dev.tsv"

// TestEvaluateDev scores the dev set on the seed corpus; -v prints the table and the misses.
func TestEvaluateDev(t *testing.T) {
	guides := seedGuides(t)
	f, err := os.Open(devSet)
	if err != nil {
		t.Skipf("dev set not available: %v", err)
	}
	defer f.Close()
	s := openSeeded(t, nil, guides)
	rep, err := Evaluate(context.Background(), s, guides, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
}

// TestEvaluateExtra scores testdata/search_extra.tsv: queries written apart from the tuning, to
// see whether the dev-set figures generalise.
func TestEvaluateExtra(t *testing.T) {
	guides := seedGuides(t)
	f, err := os.Open("testdata/search_extra.tsv")
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
}

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
