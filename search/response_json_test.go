package search

import (
	"encoding/json"
	"testing"
)

// TestCachedEncodingMatchesPlain: a response encoded from its page's cached fragment is byte for
// byte the plain encoding of the same fields.
func TestCachedEncodingMatchesPlain(t *testing.T) {
	p := &page{corrected: "社保卡挂失", total: 2, next: "abc",
		results: []Result{{Code: "A", Title: "<标题>", Category: "card", Snippet: "社保<em>卡</em>", Score: 1.5, Pinned: true}},
		facets:  Facets{Category: []FacetValue{{"card", 2}}, Audience: []FacetValue{}}}
	p.frag = encodeFragment(p)
	r := &Response{Query: `社保卡"挂矢"`, QueryID: "0123456789abcdef", CorrectedQuery: p.corrected, Total: p.total,
		Results: p.results, Facets: p.facets, NextCursor: p.next, frag: p.frag}
	cached, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	r.frag = nil
	plain, _ := json.Marshal(r)
	if string(cached) != string(plain) {
		t.Errorf("cached %s\nplain  %s", cached, plain)
	}
}
