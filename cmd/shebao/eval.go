package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"shebao/assistant"
	"shebao/internal/db"
	"shebao/internal/fakemodel"
	"shebao/search"
)

const evalSynopsis = "eval search [SET|FILE.tsv] | eval chat [--factual SETS] [--fake-model quoting|adversarial] [SET|FILE.yaml] | eval parse [FILE.tsv]  [--config FILE]"

func runEval(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 && args[0] == "parse" {
		return runEvalParse(env, args[1:]) // needs no store
	}
	if len(args) == 0 || (args[0] != "search" && args[0] != "chat") {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprintf(env.stdout, "Usage: shebao %s\n\n%s", evalSynopsis, evalSetsHelp())
			return nil
		}
		return usageError{"use: shebao " + evalSynopsis}
	}
	what := args[0]
	fs := newFlags(env, "eval "+what, evalSynopsis+"\n\n"+strings.TrimRight(evalSetsHelp(), "\n"))
	cfgPath := configFlag(fs)
	factual := fs.String("factual", strings.Join(assistant.FactualSets(), ","),
		"comma-separated factual sets, built-in names or files (figures, can't-answer, citations, routing per set); empty = none")
	fake := fs.String("fake-model", "", "answer with a built-in fake OpenAI-compatible model on 127.0.0.1: quoting (quotes the best passage) or adversarial (invents figures and citations around it)")
	cfg, err := parseConfig(env, fs, cfgPath, args[1:])
	if err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{"eval " + what + " takes at most one set or file"}
	}
	// Resolve the sets before touching the store, so that a wrong name fails at once.
	var sets []evalSet
	if what == "search" {
		sets, err = searchSets(fs.Arg(0))
	} else {
		sets, err = chatSets(fs.Arg(0))
	}
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
		for _, s := range sets {
			rep, err := search.Evaluate(ctx, idx, guides, bytes.NewReader(s.data))
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			fmt.Fprintf(env.stdout, "== %s\n%s", s.name, rep.String())
		}
	case "chat":
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
		for _, s := range sets {
			if err := s.report(env.stdout, tmp, func(path string) (fmt.Stringer, error) { return assistant.Evaluate(ctx, svc, path) }); err != nil {
				return err
			}
		}
		for _, name := range strings.Split(*factual, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			set, err := factualSet(name)
			if err != nil {
				return err
			}
			if err := set.report(env.stdout, tmp, func(path string) (fmt.Stringer, error) { return assistant.EvaluateFactual(ctx, svc, path) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// evalSet is one evaluation set: built into the binary (data) or a file given on the command
// line (path and data).
type evalSet struct {
	name string
	path string
	data []byte
}

// report runs the set through eval and prints the report under the set's name; a built-in set is
// first written to a file in tmp, as the evaluators read files.
func (s evalSet) report(w io.Writer, tmp string, eval func(path string) (fmt.Stringer, error)) error {
	path := s.path
	if path == "" {
		path = filepath.Join(tmp, s.name+".yaml")
		if err := os.WriteFile(path, s.data, 0o600); err != nil {
			return err
		}
	}
	rep, err := eval(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== %s\n%s", s.name, rep.String())
	return nil
}

func evalSetsHelp() string {
	return fmt.Sprintf("Built-in sets (run from any directory; a FILE path overrides them):\n"+
		"  search: %s (all of them when no SET is given)\n"+
		"  chat:   %s (golden when no SET is given)\n"+
		"  chat --factual: %s (all of them by default)\n",
		strings.Join(search.EvalSets(), ", "), strings.Join(assistant.GoldenSets(), ", "), strings.Join(assistant.FactualSets(), ", "))
}

// fileSet reads arg as a file when one exists at that path.
func fileSet(arg string) (evalSet, bool, error) {
	data, err := os.ReadFile(arg)
	if errors.Is(err, fs.ErrNotExist) {
		return evalSet{}, false, nil
	}
	if err != nil {
		return evalSet{}, false, err
	}
	return evalSet{name: arg, path: arg, data: data}, true, nil
}

func searchSets(arg string) ([]evalSet, error) {
	names := search.EvalSets()
	if arg != "" {
		if s, ok, err := fileSet(arg); ok || err != nil {
			return []evalSet{s}, err
		}
		names = []string{arg}
	}
	var out []evalSet
	for _, n := range names {
		data, ok := search.EvalSet(n)
		if !ok {
			return nil, usageError{fmt.Sprintf("no file %q and no built-in search set of that name (built-in: %s)", arg, strings.Join(search.EvalSets(), ", "))}
		}
		out = append(out, evalSet{name: n, data: data})
	}
	return out, nil
}

func chatSets(arg string) ([]evalSet, error) {
	if arg == "" {
		arg = "golden"
	} else if s, ok, err := fileSet(arg); ok || err != nil {
		return []evalSet{s}, err
	}
	data, ok := assistant.BuiltinGolden(arg)
	if !ok {
		return nil, usageError{fmt.Sprintf("no file %q and no built-in golden set of that name (built-in: %s)", arg, strings.Join(assistant.GoldenSets(), ", "))}
	}
	return []evalSet{{name: arg, data: data}}, nil
}

func factualSet(arg string) (evalSet, error) {
	if s, ok, err := fileSet(arg); ok || err != nil {
		return s, err
	}
	data, ok := assistant.BuiltinFactual(arg)
	if !ok {
		return evalSet{}, usageError{fmt.Sprintf("no file %q and no built-in factual set of that name (built-in: %s)", arg, strings.Join(assistant.FactualSets(), ", "))}
	}
	return evalSet{name: arg, data: data}, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
