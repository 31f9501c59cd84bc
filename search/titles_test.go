package search

import (
	"fmt"
	"reflect"
	"testing"
)

func TestTitleIndexCompaction(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	v := newVocabulary(lx)
	var es []*guideEntry
	for i := range 200 {
		name := "社会保障卡挂失"
		if i%2 == 1 {
			name = "失业保险金申领"
		}
		e := &guideEntry{code: fmt.Sprintf("G%03d", i), name: name, summary: "说明", category: "card"}
		v.addGuide(e)
		es = append(es, e)
	}
	for _, e := range es[:150] { // far past the compaction threshold
		v.removeGuide(e)
	}
	if v.titles.dead > 64 {
		t.Fatalf("not compacted: %d dead of %d", v.titles.dead, len(v.titles.ents))
	}
	a := analyze(lx, v, newSynonymTable(nil), "挂失")
	codes, n, _ := v.titles.candidates(a, &Request{}, 100, tierTitle, nil)
	var want []string
	for _, e := range es[150:] {
		if e.name == "社会保障卡挂失" {
			want = append(want, e.code)
		}
	}
	if n != len(want) || !reflect.DeepEqual(codes, want) {
		t.Errorf("candidates = %v (%d), want %v", codes, n, want)
	}
	// Filters apply.
	if _, n, _ := v.titles.candidates(a, &Request{Category: "pension"}, 100, tierTitle, nil); n != 0 {
		t.Errorf("category filter ignored: %d", n)
	}
}
