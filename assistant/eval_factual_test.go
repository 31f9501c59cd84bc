package assistant

import (
	"context"
	"os"
	"path/filepath"
	"shebao/internal/modelclient"
	"testing"

	"shebao/internal/fakemodel"
)

// factualSets are the factual sets, written from the guides by someone who had not seen the
// answer code: the dev half (tuned on), the held-out half, a fresh set by another author
// (never tuned on) and a second dev set by a third author (tuned on after its first scoring).
var factualSets = []string{
	"chat_factual_dev.yaml", "chat_factual_heldout.yaml", "chat_factual_fresh.yaml", // the first three
	"chat_factual_dev2.yaml", // the second dev set
}

// TestFactualSets runs the factual sets in no-model mode over the seed corpus and holds them to
// the goals of the issue.
func TestFactualSets(t *testing.T) {
	t.Parallel()
	corpus := seedCorpus(t)
	for _, set := range factualSets {
		t.Run(set, func(t *testing.T) {
			s, _ := testService(t, func(o *Options) { o.Retriever, o.Guides = corpus, corpus })
			rep, err := EvaluateFactual(context.Background(), s, filepath.Join("testdata", set))
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + rep.String())
			if out := os.Getenv("SHEBAO_EVAL_REPORT"); out != "" {
				_ = os.WriteFile(out+"."+set+".txt", []byte(rep.String()), 0o644)
			}
			if rep.Answerable < 50 || rep.Unanswerable < 10 {
				t.Errorf("set too small: %d answerable, %d unanswerable", rep.Answerable, rep.Unanswerable)
			}
			if rep.Unsourced != 0 {
				t.Errorf("%d sentences with figures not in what they cite", rep.Unsourced)
			}
			checkFactualFloor(t, set, rep) // the dev sets: not below the level reached
		})
	}
}

// TestFactualSetsAdversarialModel runs both factual sets with a model that invents figures and
// citations around a correct quote, in one-character chunks: no sentence of any answer has a
// figure that is not in what it cites.
func TestFactualSetsAdversarialModel(t *testing.T) {
	t.Parallel()
	corpus := seedCorpus(t)
	fm, err := fakemodel.Start(fakemodel.Adversarial, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fm.Close() })
	for _, set := range factualSets {
		t.Run(set, func(t *testing.T) {
			s, _ := testService(t, func(o *Options) {
				o.Retriever, o.Guides = corpus, corpus
				o.Model = &ModelConfig{Config: modelclient.Config{BaseURL: fm.URL, APIKey: "k", Model: "fake-adversarial"}}
			})
			rep, err := EvaluateFactual(context.Background(), s, filepath.Join("testdata", set))
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + rep.String())
			if rep.ModelAnswers == 0 {
				t.Error("the model was not used")
			}
			if rep.Unsourced != 0 || rep.Sentences == 0 {
				t.Errorf("%d of %d sentences with figures not in what they cite", rep.Unsourced, rep.Sentences)
			}
		})
	}
}
