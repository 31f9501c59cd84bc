package config

import (
	"os"
	"strings"
	"testing"
)

// The sample config and the README's table are generated from the struct tags; these tests fail
// when they drift. Regenerate with: SHEBAO_UPDATE_DOCS=1 go test ./config/
func TestSampleConfigFileIsCurrent(t *testing.T) {
	checkGenerated(t, "../shebao.sample.yaml", SampleYAML(), "", "")
}

func TestReadmeConfigTableIsCurrent(t *testing.T) {
	checkGenerated(t, "../README.md", MarkdownTable(), "<!-- config-table:begin -->\n", "<!-- config-table:end -->")
}

func checkGenerated(t *testing.T, path, want, begin, end string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s := string(data)
	cur, pre, post := s, "", ""
	if begin != "" {
		i, j := strings.Index(s, begin), strings.Index(s, end)
		if i < 0 || j < i {
			t.Fatalf("%s lacks the %q … %q markers", path, begin, end)
		}
		pre, cur, post = s[:i+len(begin)], s[i+len(begin):j], s[j:]
	}
	if cur == want {
		return
	}
	if os.Getenv("SHEBAO_UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(pre+want+post), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with the config struct; run SHEBAO_UPDATE_DOCS=1 go test ./config/", path)
}
