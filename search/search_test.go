package search

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"shebao/internal/apperr"
)

// TestSearchSeed checks answers on the seed corpus for the examples: the expected guide
// must be first, and a correction must be reported.
func TestSearchSeed(t *testing.T) {
	t.Parallel()
	s := openSeeded(t, nil, seedGuides(t))
	tests := []struct {
		q         string
		first     string // substring of the first result's title
		corrected string // expected corrected_query ("" = none)
	}{
		{"社保卡挂矢了", "社会保障卡挂失", "社保卡挂失了"},
		{"shebaoka guashi", "社会保障卡挂失", "社保卡挂失"},
		{"sbk", "社会保障卡", "社保卡"},
		{"社保ka挂失", "社会保障卡挂失", "社保卡挂失"},
		{"退休了每年都要做那个认证吗", "资格认证", ""},
		{"我想问一下退修手续怎么办", "办理退休", "我想问一下退休手续怎么办"},
		{"老婆生孩子能领多少钱", "生育", ""},
		{"shebaoka diule", "挂失", "社保卡丢了"},
		{"失业金", "失业保险金申领", ""},
		{"異地就醫備案", "异地就医备案", ""},
		{"ＹＩＤＩ　ＪＩＵＹＩ", "异地就医", "异地就医"},
	}
	for _, tt := range tests {
		resp, err := s.Search(context.Background(), Request{Query: tt.q})
		if err != nil {
			t.Errorf("%s: %v", tt.q, err)
			continue
		}
		if len(resp.Results) == 0 {
			t.Errorf("%s: no results", tt.q)
			continue
		}
		if got := resp.Results[0].Title; !strings.Contains(got, tt.first) {
			var titles []string
			for _, r := range resp.Results[:min(3, len(resp.Results))] {
				titles = append(titles, r.Title)
			}
			t.Errorf("%s: first result %q, want one containing %q (top 3: %v)", tt.q, got, tt.first, titles)
		}
		if resp.CorrectedQuery != tt.corrected {
			t.Errorf("%s: corrected_query %q, want %q", tt.q, resp.CorrectedQuery, tt.corrected)
		}
	}
}

func TestResponseJSON(t *testing.T) {
	t.Parallel()
	s := openSeeded(t, nil, seedGuides(t))
	resp, err := s.Search(context.Background(), Request{Query: "社保", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(resp)
	var m map[string]any
	json.Unmarshal(raw, &m)
	for _, k := range []string{"query", "query_id", "corrected_query", "total", "results", "facets", "next_cursor"} {
		if _, ok := m[k]; !ok {
			t.Errorf("response JSON lacks %q: %s", k, raw)
		}
	}
	t.Logf("%s", raw)
	if len(resp.Results) != 2 || resp.NextCursor == "" {
		t.Fatalf("want 2 results and a next cursor, got %d, %q", len(resp.Results), resp.NextCursor)
	}
	if !strings.Contains(resp.Results[0].Snippet, "<em>") {
		t.Errorf("snippet without highlight: %q", resp.Results[0].Snippet)
	}
	next, err := s.Search(context.Background(), Request{Query: "社保", Limit: 2, Cursor: resp.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Results) == 0 || next.Results[0].Code == resp.Results[0].Code || next.Results[0].Code == resp.Results[1].Code {
		t.Errorf("second page repeats the first: %+v", next.Results)
	}
	if _, err := s.Search(context.Background(), Request{Query: "养老金", Cursor: resp.NextCursor}); !apperr.Is(err, apperr.InvalidCursor) {
		t.Errorf("cursor of another query: got %v, want invalid_cursor", err)
	}
}

// The facets count every guide the search matched, not only the page or the guides bleve
// scored, so that they agree with total and with what a filter on them returns.
func TestFacetsCountEveryMatch(t *testing.T) {
	t.Parallel()
	s := openSeeded(t, nil, seedGuides(t))
	ctx := context.Background()
	resp, err := s.Search(ctx, Request{Query: "社保", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Total <= rank.rerankDepth {
		t.Fatalf("query matches %d guides; the test needs more than %d", resp.Total, rank.rerankDepth)
	}
	sum, pension := 0, 0
	for _, f := range resp.Facets.Category {
		sum += f.Count
		if f.Value == "pension" {
			pension = f.Count
		}
	}
	if sum != resp.Total {
		t.Errorf("category facets sum to %d, total is %d: %+v", sum, resp.Total, resp.Facets.Category)
	}
	filtered, err := s.Search(ctx, Request{Query: "社保", Limit: 2, Category: "pension"})
	if err != nil {
		t.Fatal(err)
	}
	if filtered.Total != pension || len(filtered.Facets.Category) != 1 || filtered.Facets.Category[0].Count != pension {
		t.Errorf("pension facet %d, filtered total %d, facets %+v", pension, filtered.Total, filtered.Facets.Category)
	}
}

// A marker only one guide's summary holds finds that guide, even though its letters and digits
// also read as pinyin initials of words in other guides' names (the console's browser test
// publishes such a marker).
func TestUniqueMarkerInSummary(t *testing.T) {
	t.Parallel()
	gs := seedGuides(t)
	const mark = "端到端测试修改mwus6zdc"
	for i := range gs {
		if gs[i].Code == "SX-YL-001" {
			gs[i].Summary = mark + gs[i].Summary
		}
	}
	s := openSeeded(t, nil, gs)
	resp, err := s.Search(context.Background(), Request{Query: mark})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) == 0 || resp.Results[0].Code != "SX-YL-001" {
		var codes []string
		for _, r := range resp.Results {
			codes = append(codes, r.Code)
		}
		t.Errorf("search for the marker: %v, want SX-YL-001 first", codes)
	}
}

// A typo and its correct spelling share a cached page, but only the typo reports a correction.
func TestCorrectionIsPerRequest(t *testing.T) {
	t.Parallel()
	s := openSeeded(t, nil, seedGuides(t))
	ctx := context.Background()
	typo, err := s.Search(ctx, Request{Query: "社保卡挂矢了"})
	if err != nil || typo.CorrectedQuery != "社保卡挂失了" {
		t.Fatalf("typo: %+v %v", typo, err)
	}
	for i := 0; i < 2; i++ { // analysed, then from the raw-text cache
		right, err := s.Search(ctx, Request{Query: "社保卡挂失了"})
		if err != nil || right.CorrectedQuery != "" {
			t.Errorf("correct spelling reports corrected_query %q (%v)", right.CorrectedQuery, err)
		}
		var body map[string]any
		raw, _ := right.MarshalJSON()
		if json.Unmarshal(raw, &body) != nil || body["corrected_query"] != "" {
			t.Errorf("encoded: %s", raw)
		}
	}
}

// A word only in guides' bodies is found by bleve alone (the wide tier), whose facets count
// its results.
func TestWideTierFacets(t *testing.T) {
	t.Parallel()
	gs := seedGuides(t)
	var want string
	for i := range gs {
		if gs[i].Code == "SX-SY-001" {
			gs[i].Conditions = append(gs[i].Conditions, "须提交蓝鲸鸟证明")
			want = string(gs[i].Category)
		}
	}
	s := openSeeded(t, nil, gs)
	resp, err := s.Search(context.Background(), Request{Query: "蓝鲸鸟"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 1 || resp.Results[0].Code != "SX-SY-001" {
		t.Fatalf("results %+v", resp.Results)
	}
	if len(resp.Facets.Category) != 1 || resp.Facets.Category[0] != (FacetValue{want, 1}) || len(resp.Facets.Audience) == 0 {
		t.Errorf("facets %+v", resp.Facets)
	}
}

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
			got := strings.Join(resultCodes(res.Results), ",")
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
	var pairs []string
	for _, p := range s.GuideTerms("媳妇生娃的津贴领多久") {
		pairs = append(pairs, p[0]+">"+p[1])
	}
	if got := strings.Join(pairs, " "); got != "媳妇>配偶 生娃>生育" {
		t.Errorf("GuideTerms: %s", got)
	}
}
