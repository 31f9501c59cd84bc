package search

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestDebugAnalysis prints the analysis of every evaluation query (run with -v -run DebugAnalysis).
func TestDebugAnalysis(t *testing.T) {
	if os.Getenv("SEARCH_DEBUG") == "" {
		t.Skip("set SEARCH_DEBUG=1")
	}
	s := openSeeded(t, nil, seedGuides(t))
	for _, file := range []string{devSet, "testdata/search_extra.tsv"} {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			q, _, _ := strings.Cut(sc.Text(), "\t")
			if q == "" || strings.HasPrefix(q, "#") {
				continue
			}
			s.mu.RLock()
			a := analyze(s.lx, s.vocab, s.syn.Load(), sanitize(q))
			s.mu.RUnlock()
			var cs []string
			for _, c := range a.concepts {
				x := c.text
				if c.weak {
					x = "~" + x
				}
				cs = append(cs, x)
			}
			t.Logf("%s | corr=%q | %s | py=%s", q, a.corrected, strings.Join(cs, " "), a.pinyin)
		}
		f.Close()
	}
}
