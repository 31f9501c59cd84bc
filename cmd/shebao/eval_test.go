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
