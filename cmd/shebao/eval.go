package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"shebao/assistant"
	"shebao/internal/db"
	"shebao/internal/fakemodel"
	"shebao/search"
)

func runEval(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || (args[0] != "search" && args[0] != "chat") {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprintln(env.stdout, "Usage: shebao eval search FILE.tsv | shebao eval chat [--factual DEV.yaml,HELDOUT.yaml] [--fake-model quoting|adversarial] [GOLDEN.yaml]")
			return nil
		}
		return usageError{"use: shebao eval search FILE.tsv | shebao eval chat [--factual FILES] [--fake-model quoting|adversarial] [GOLDEN.yaml]"}
	}
	what := args[0]
	fs := newFlags(env, "eval "+what, "eval search FILE.tsv | eval chat [--factual DEV.yaml,HELDOUT.yaml] [--fake-model quoting|adversarial] [--config FILE] [GOLDEN.yaml]")
	cfgPath := configFlag(fs)
	factual := fs.String("factual", strings.Join(defaultFactualSets, ","),
		"comma-separated factual sets (figures, can't-answer, citations, routing per set); empty = none")
	fake := fs.String("fake-model", "", "answer with a built-in fake OpenAI-compatible model on 127.0.0.1: quoting (quotes the best passage) or adversarial (invents figures and citations around it)")
	cfg, err := parseConfig(env, fs, cfgPath, args[1:])
	if err != nil {
		return err
	}
	log := newLogger(cfg, discard{})
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.seed(ctx, cfg); err != nil {
		return err
	}
	guides := st.content.PublishedGuides()
	// The same pipeline, synonyms and best bets as the server, over an in-memory index of the
	// published guides.
	idx, err := search.Open(ctx, search.Options{DB: st.db, Log: log})
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := idx.Rebuild(ctx, guides); err != nil {
		return err
	}
	switch what {
	case "search":
		if fs.NArg() != 1 {
			return usageError{"eval search needs one TSV file: query<TAB>kw1|kw2"}
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		rep, err := search.Evaluate(ctx, idx, guides, f)
		if err != nil {
			return err
		}
		fmt.Fprint(env.stdout, rep.String())
	case "chat":
		golden := "assistant/testdata/golden.yaml"
		if fs.NArg() > 0 {
			golden = fs.Arg(0)
		}
		tmp, err := os.MkdirTemp("", "shebao-eval-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		sessions, err := db.OpenSQLite(ctx, filepath.Join(tmp, "eval.db"))
		if err != nil {
			return err
		}
		defer sessions.Close()
		if *fake != "" {
			behaviours := map[string]fakemodel.Behaviour{"quoting": fakemodel.Quoting, "adversarial": fakemodel.Adversarial}
			b := behaviours[*fake]
			if b == nil {
				return usageError{"--fake-model must be quoting or adversarial"}
			}
			fm, err := fakemodel.Start(b, 3)
			if err != nil {
				return err
			}
			defer fm.Close()
			cfg.ModelBaseURL, cfg.ModelName, cfg.ModelAPIKey = fm.URL, "fake-"+*fake, "fake"
		}
		svc, err := newAssistant(ctx, cfg, log, sessions, st.content, idx, nil)
		if err != nil {
			return err
		}
		defer svc.Close()
		rep, err := assistant.Evaluate(ctx, svc, golden)
		if err != nil {
			return err
		}
		fmt.Fprint(env.stdout, rep.String())
		for _, set := range strings.Split(*factual, ",") {
			if set = strings.TrimSpace(set); set == "" {
				continue
			}
			if _, err := os.Stat(set); err != nil && slices.Contains(defaultFactualSets, set) {
				continue // the default sets are looked for from the repository root only
			}
			frep, err := assistant.EvaluateFactual(ctx, svc, set)
			if err != nil {
				return err
			}
			fmt.Fprint(env.stdout, frep.String())
		}
	}
	return nil
}

// defaultFactualSets are the factual sets of the repository (dev half, held-out half).
var defaultFactualSets = []string{"assistant/testdata/chat_factual_dev.yaml", "assistant/testdata/chat_factual_heldout.yaml"}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
