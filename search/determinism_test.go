package search

import (
	"context"
	"fmt"
	"testing"
)

// The same query over the same guides finds the same guides in the same order in every
// process: candidates tied on their title score are not chosen by the order the index happened
// to number the guides in (a map's).
func TestSameResultsEveryBuild(t *testing.T) {
	t.Parallel()
	queries := []string{
		"领着因病干不了活的那个津贴，后来又找到活干、重新交上社保了，津贴从啥时候停？",
		"我在外省交了几年社保，转到陕西来，整个转下来最长要多长时间？",
		"工伤完全不能自理，护理费每月具体能拿多少钱？",
	}
	guides := seedGuides(t)
	var first []string
	for i := 0; i < 8; i++ {
		s := openSeeded(t, nil, guides)
		for j, q := range queries {
			res, err := s.Search(context.Background(), Request{Query: q, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(resultCodes(res.Results))
			if i == 0 {
				first = append(first, got)
			} else if got != first[j] {
				t.Fatalf("build %d, %s: %s, first build %s", i, q, got, first[j])
			}
		}
	}
}

func resultCodes(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}

// GuideTerms pairs each term people say with the guides' word for it.
func TestGuideTerms(t *testing.T) {
	t.Parallel()
	s := openEmpty(t, nil)
	got := fmt.Sprint(s.GuideTerms("媳妇生娃的津贴领多久"))
	if got != "[[媳妇 配偶] [生娃 生育]]" {
		t.Errorf("GuideTerms: %s", got)
	}
}
