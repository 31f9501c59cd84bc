package main

import (
	"strings"
	"testing"
)

func TestEvalCommands(t *testing.T) {
	vars := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_LOG_LEVEL": "error"}
	code, out, errs := invoke(t, vars, "", "eval", "search", "../../../shared/eval/search_dev.tsv")
	if code != 0 {
		t.Skipf("shared eval set not beside the repo: %s", errs)
	}
	if !strings.Contains(out, "ours") || !strings.Contains(out, "cjk baseline") || !strings.Contains(out, "recall@3") {
		t.Errorf("eval search output: %s", out)
	}
	code, out, errs = invoke(t, vars, "", "eval", "chat", "../../assistant/testdata/golden.yaml")
	if code != 0 || !strings.Contains(out, "routing accuracy") || !strings.Contains(out, "numbers not in source: 0") {
		t.Errorf("eval chat: %d %s %s", code, out, errs)
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
