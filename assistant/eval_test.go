package assistant

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"shebao/content"
)

// seedCorpus is the seed corpus of content/seed, which the golden set is written against.
func seedCorpus(t testing.TB) *Corpus {
	t.Helper()
	gs, err := content.LoadSeed(content.SeedFS())
	if err != nil {
		t.Fatalf("seed corpus: %v", err)
	}
	if len(gs) == 0 {
		t.Skip("seed corpus is empty")
	}
	return NewCorpus(gs)
}

// evaluateSeed runs a golden set of testdata in no-model mode over the seed corpus with the
// in-memory retriever, and logs the report.
func evaluateSeed(t *testing.T, file string) EvalReport {
	t.Helper()
	corpus := seedCorpus(t)
	s, _ := testService(t, func(o *Options) { o.Retriever, o.Guides = corpus, corpus })
	rep, err := Evaluate(context.Background(), s, filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	return rep
}

// TestGoldenSet runs the golden set in no-model mode over the seed corpus with the in-memory
// retriever and holds the figures to their floors. The production retriever (search) is
// evaluated by calling Evaluate with it.
func TestGoldenSet(t *testing.T) {
	t.Parallel()
	rep := evaluateSeed(t, "golden.yaml")
	if rep.Turns < 40 {
		t.Errorf("golden set has %d turns, want at least 40", rep.Turns)
	}
	if rep.NumbersNotInSource != 0 {
		t.Errorf("%d figures not in source", rep.NumbersNotInSource)
	}
	if rep.RoutingAccuracy() < 0.95 {
		t.Errorf("routing accuracy %.2f below 0.95", rep.RoutingAccuracy())
	}
	if rep.CitationAccuracy() < 0.80 {
		t.Errorf("citation accuracy %.2f below 0.80", rep.CitationAccuracy())
	}
	if out := os.Getenv("SHEBAO_EVAL_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(rep.String()), 0o644)
	}
}

// Codes lists each guide of the corpus once, sorted, whatever order the guides came in.
func TestCorpusCodes(t *testing.T) {
	t.Parallel()
	c := NewCorpus([]content.Guide{{Code: "SX-YL-012"}, {Code: "SX-SBK-003"}, {Code: "SX-YB-005"}, {Code: "SX-YL-012"}})
	if got := strings.Join(c.Codes(), ","); got != "SX-SBK-003,SX-YB-005,SX-YL-012" {
		t.Errorf("codes %s", got)
	}
}

// Every golden code exists in the seed corpus, so that the set cannot silently drift from it.
func TestGoldenCodesExist(t *testing.T) {
	t.Parallel()
	corpus := seedCorpus(t)
	set, err := LoadGolden(filepath.Join("testdata", "golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var check func(cs []GoldenCase)
	check = func(cs []GoldenCase) {
		for _, c := range cs {
			if c.Code != "" {
				if _, err := corpus.Guide(context.Background(), c.Code); err != nil {
					t.Errorf("%s: code %s not in the seed corpus", c.ID, c.Code)
				}
			}
			for _, e := range c.Elements {
				if !Element(e).Valid() {
					t.Errorf("%s: unknown element %s", c.ID, e)
				}
			}
			check(c.Then)
		}
	}
	check(set.Cases)
}

// TestGoldenHoldout reports the held-out questions (not tuned on); only the number check has a
// hard floor, the accuracies are for the record.
func TestGoldenHoldout(t *testing.T) {
	t.Parallel()
	rep := evaluateSeed(t, "golden_holdout.yaml")
	if rep.NumbersNotInSource != 0 {
		t.Errorf("%d figures not in source", rep.NumbersNotInSource)
	}
	if rep.RoutingAccuracy() < 0.8 {
		t.Errorf("routing accuracy %.2f", rep.RoutingAccuracy())
	}
}

// quotingModel answers like a well-behaved model: it quotes the first passage it was given
// (the best ranked) and cites it.
func quotingModel(req map[string]any) string {
	for _, line := range strings.Split(userMessage(req), "\n") {
		if m := passageLine.FindStringSubmatch(line); m != nil && m[1] == "P1" {
			return toolArgs("根据办事指南：" + trimStop(m[2]) + "[P1]。")
		}
	}
	return toolArgs("办事指南里没有写。")
}

// passageLine reads a passage line of the prompt: [P1] 《title》label（code）text.
var passageLine = regexp.MustCompile(`^\[(P\d+)\] 《[^》]*》[^（]*（[A-Z0-9-]+）(.*)$`)

// TestGoldenSetWithModel runs the evaluation with a model configured (a fake that quotes the
// guides): routing is unchanged, and the number check holds.
func TestGoldenSetWithModel(t *testing.T) {
	t.Parallel()
	corpus := seedCorpus(t)
	f := newFakeModel(t)
	f.reply = quotingModel
	s, _ := testService(t, func(o *Options) { o.Retriever, o.Guides, o.Model = corpus, corpus, f.config() })
	rep, err := Evaluate(context.Background(), s, filepath.Join("testdata", "golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	if !rep.Model || rep.ModelAnswers == 0 {
		t.Errorf("model not used: %+v", rep)
	}
	if rep.NumbersNotInSource != 0 || rep.RoutingAccuracy() < 0.95 {
		t.Errorf("numbers %d routing %.2f", rep.NumbersNotInSource, rep.RoutingAccuracy())
	}
}

// TestBuiltinSets: every listed set is embedded, and an unknown name is not found.
func TestBuiltinSets(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		names []string
		get   func(string) ([]byte, bool)
	}{{GoldenSets(), BuiltinGolden}, {FactualSets(), BuiltinFactual}} {
		for _, name := range c.names {
			if b, ok := c.get(name); !ok || len(b) == 0 {
				t.Errorf("built-in set %s: %d bytes, %v", name, len(b), ok)
			}
		}
		if _, ok := c.get("nonexistent"); ok {
			t.Error("an unknown set name was found")
		}
	}
}
