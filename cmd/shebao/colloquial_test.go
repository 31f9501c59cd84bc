package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A colloquial question tells much of the person's story in words no guide writes (钢管砸了,
// 拖着不管, 干了一辈子) around the few that name the matter; with the search index's synonyms
// it is still answered from the guide that the matter is in, not refused.
func TestEvalChatColloquial(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "colloquial.yaml")
	err := os.WriteFile(set, []byte(`- id: c1
  question: "俺跟你说个事，俺屋里那口子前年在工地上干活让钢管砸了，单位那边一直拖着不管，俺们自个儿去报工伤最迟得在多长时间以内报上去？"
  guide: SX-GS-001
  figures: ["1年"]
- id: c2
  question: "俺老汉在厂里干了一辈子，前年查出来大病，干不动活了，医院开了证明，这种没到岁数的能先领病残津贴不，最少得交够多少年？"
  guide: SX-YL-014
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_LOG_LEVEL": "error"}
	code, out, errs := invoke(t, vars, "", "eval", "chat", "--factual", set)
	if code != 0 {
		t.Fatalf("eval chat: %d %s", code, errs)
	}
	for _, want := range []string{"figure accuracy:      100.0% (1/1)", "right guide cited:    100.0% (2/2)", "routing:              100.0% (2/2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
