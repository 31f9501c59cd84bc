package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalCommands runs both evaluations on the sets built into the binary (so they work from any
// directory), and with a file that overrides them.
func TestEvalCommands(t *testing.T) {
	vars := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_LOG_LEVEL": "error"}
	code, out, errs := invoke(t, vars, "", "eval", "search")
	if code != 0 {
		t.Fatalf("eval search: %d %s", code, errs)
	}
	for _, want := range []string{"== extra", "== heldout", "== probe", "cjk baseline", "recall@3"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval search output lacks %q: %s", want, out)
		}
	}
	tsv := filepath.Join(t.TempDir(), "mine.tsv")
	os.WriteFile(tsv, []byte("社保卡丢了怎么办\t挂失\n"), 0o600)
	code, out, errs = invoke(t, vars, "", "eval", "search", tsv)
	if code != 0 || !strings.Contains(out, "== "+tsv) || !strings.Contains(out, "queries=1 ") {
		t.Errorf("eval search FILE: %d %s %s", code, out, errs)
	}
	code, out, errs = invoke(t, vars, "", "eval", "chat")
	if code != 0 || !strings.Contains(out, "== golden") || !strings.Contains(out, "routing accuracy") || !strings.Contains(out, "numbers not in source: 0") {
		t.Errorf("eval chat: %d %s %s", code, out, errs)
	}
	code, out, errs = invoke(t, vars, "", "eval", "chat", "../../assistant/testdata/golden_holdout.yaml")
	if code != 0 || !strings.Contains(out, "golden_holdout.yaml") || !strings.Contains(out, "routing accuracy") {
		t.Errorf("eval chat FILE: %d %s %s", code, out, errs)
	}
	if code, _, errs := invoke(t, vars, "", "eval", "search", "nope"); code != 2 || !strings.Contains(errs, "extra, heldout, probe") {
		t.Errorf("eval search nope: exit %d %s", code, errs)
	}
	if code, _, _ := invoke(t, vars, "", "eval", "bogus"); code != 2 {
		t.Errorf("eval bogus: exit %d", code)
	}
}

// eval chat reports each factual set, also with the adversarial fake model, whose invented
// figures never reach an answer.
func TestEvalChatFactual(t *testing.T) {
	vars := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_LOG_LEVEL": "error"}
	code, out, errs := invoke(t, vars, "", "eval", "chat", "--factual", "../../assistant/testdata/chat_factual_dev.yaml",
		"--fake-model", "adversarial", "../../assistant/testdata/golden.yaml")
	if code != 0 {
		t.Fatalf("eval chat: %d %s", code, errs)
	}
	for _, want := range []string{"mode: model", "factual set ../../assistant/testdata/chat_factual_dev.yaml", "figure accuracy",
		"can't-answer", "right guide cited", "routing", "sentences with a figure not in what they cite: 0 of"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := invoke(t, vars, "", "eval", "chat", "--fake-model", "bogus"); code != 2 {
		t.Errorf("bogus fake model: exit %d", code)
	}
}
