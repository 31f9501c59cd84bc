package search

import (
	"container/heap"
	"slices"
	"sync"
)

// titleIndex is an in-memory postings list of the terms of every guide's short fields (name,
// aliases, summary, FAQ questions: the same terms bleve indexes there) and of the pinyin of its
// name and aliases, with guides numbered densely. It picks a query's candidates in Go, in
// microseconds, so that bleve only scores the best few dozen instead of every guide that shares a
// word with the query: on a 10k corpus bleve's scoring of thousands of candidates was most of the
// latency. Guarded like the vocabulary (Service.mu).
type titleIndex struct {
	lx   *lexicon
	post map[string][]titlePosting
	ents []*guideEntry // by ordinal; nil when removed
	dead int
	// Facet values numbered densely, so that counting them over thousands of matches is
	// array increments.
	cats, auds   []string
	catID, audID map[string]uint16
}

func (t *titleIndex) intern(ids map[string]uint16, vals *[]string, v string) uint16 {
	id, ok := ids[v]
	if !ok {
		id = uint16(len(*vals))
		ids[v] = id
		*vals = append(*vals, v)
	}
	return id
}

type titleTerm struct {
	w     string
	field uint8
}

// pinyinTerm is the postings key of a name's or alias's full pinyin or initials.
func pinyinTerm(k string) string { return "\x00py:" + k }

type titlePosting struct {
	ord   int32
	field uint8
}

// Fields of the postings.
const (
	inName uint8 = iota
	inAlias
	inSummary
	inFAQ
	inPinyin
)

func (t *titleIndex) add(e *guideEntry) {
	lx := t.lx
	e.ord = int32(len(t.ents))
	t.ents = append(t.ents, e)
	if t.catID == nil {
		t.catID, t.audID = map[string]uint16{}, map[string]uint16{}
	}
	e.catID = t.intern(t.catID, &t.cats, e.category)
	e.grants = lx.grants(e.name)
	e.audIDs = e.audIDs[:0]
	for _, a := range e.audience {
		e.audIDs = append(e.audIDs, t.intern(t.audID, &t.auds, a))
	}
	var terms []titleTerm
	seen := map[titleTerm]bool{}
	put := func(f uint8, ws ...string) {
		for _, w := range ws {
			tt := titleTerm{w, f}
			if !seen[tt] {
				seen[tt] = true
				terms = append(terms, tt)
			}
		}
	}
	put(inName, lx.indexTerms(e.name)...)
	for _, a := range e.aliases {
		put(inAlias, lx.indexTerms(a)...)
	}
	put(inSummary, lx.indexTerms(e.summary)...)
	for _, q := range e.faq {
		put(inFAQ, lx.indexTerms(q)...)
	}
	for _, x := range append([]string{e.name}, e.aliases...) {
		full, initials := lx.pinyinKeys(x)
		put(inPinyin, pinyinTerm(full), pinyinTerm(initials))
	}
	for _, tt := range terms {
		t.post[tt.w] = append(t.post[tt.w], titlePosting{ord: e.ord, field: tt.field})
	}
}

func (t *titleIndex) remove(e *guideEntry) {
	if int(e.ord) >= len(t.ents) || t.ents[e.ord] != e {
		return
	}
	t.ents[e.ord] = nil
	t.dead++
	if t.dead > 64 && t.dead > len(t.ents)/4 {
		t.compact()
	}
}

// compact drops removed guides' postings and renumbers the rest.
func (t *titleIndex) compact() {
	old := t.ents
	t.post, t.ents, t.dead = map[string][]titlePosting{}, nil, 0
	for _, e := range old {
		if e != nil {
			t.add(e)
		}
	}
	t.trim()
}

// trim gives every postings list its exact size (appending leaves up to half unused).
func (t *titleIndex) trim() {
	for w, ps := range t.post {
		if cap(ps) > len(ps) {
			t.post[w] = slices.Clone(ps)
		}
	}
}

var scoresPool = sync.Pool{New: func() any { return new([]float32) }}

// candidates returns the k best guides that match a strong concept in the tier's fields, by a
// simple score (per concept the best alternative's weight × field boost, summed), how many
// guides match at all, and the facets of those guides and the pinned ones. Guides that fail r's
// filters are left out. Only the title and short tiers.
func (t *titleIndex) candidates(a *analysis, r *Request, k int, tr tier, pinned []*guideEntry) ([]string, int, Facets) {
	boosts := candidateBoosts[tr]
	n := len(t.ents)
	sp := scoresPool.Get().(*[]float32)
	defer scoresPool.Put(sp)
	if cap(*sp) < 2*n {
		*sp = make([]float32, 2*n)
	}
	total, best := (*sp)[:n], (*sp)[n:2*n]
	clear(total)
	var touched []int32
	score := func(alts []alt) {
		clear(best)
		var hit []int32
		for _, al := range alts {
			if len(al.words) != 1 {
				continue // phrases: bleve checks them; their words are rarely alone in a title
			}
			for _, p := range t.post[al.words[0]] {
				b := boosts[p.field]
				if b == 0 || (p.field == inSummary || p.field == inFAQ) && al.kind > altSynonym {
					continue
				}
				w := float32(al.weight) * b
				if best[p.ord] == 0 {
					hit = append(hit, p.ord)
				}
				best[p.ord] = max(best[p.ord], w)
			}
		}
		for _, o := range hit {
			if total[o] == 0 {
				touched = append(touched, o)
			}
			total[o] += best[o]
		}
	}
	strong := 0
	for _, c := range a.concepts {
		if !c.weak && !c.common {
			score(c.alts)
			strong++
		}
	}
	if a.pinyin != "" {
		score([]alt{{words: []string{pinyinTerm(a.pinyin)}, weight: 1}})
		strong++
	}
	if strong == 0 {
		// Only weak or common words: they make the candidates (as in buildQuery).
		for _, c := range a.concepts {
			score(c.alts)
		}
	}
	h := &candHeap{}
	matched := 0
	fc := t.facetCount()
	for _, e := range pinned {
		if int(e.ord) < n && t.ents[e.ord] == e && total[e.ord] == 0 {
			fc.add(e) // pinned without matching: still among the results
		}
	}
	for _, o := range touched {
		e := t.ents[o]
		if e == nil || !e.matches(r) {
			continue
		}
		matched++
		fc.add(e)
		sc := total[o]
		if a.claim && e.grants {
			sc *= float32(rank.claim)
		}
		c := cand{o, sc, e.code}
		if h.Len() < k {
			heap.Push(h, c)
		} else if (*h)[0].less(c) {
			(*h)[0] = c
			heap.Fix(h, 0)
		}
	}
	codes := make([]string, 0, h.Len())
	for _, c := range *h {
		codes = append(codes, t.ents[c.ord].code)
	}
	slices.Sort(codes)
	return codes, matched, fc.facets()
}

// facetCount counts guides by category and audience, as numbered by the title index.
type facetCount struct {
	t        *titleIndex
	cat, aud []int
}

func (t *titleIndex) facetCount() *facetCount {
	return &facetCount{t: t, cat: make([]int, len(t.cats)), aud: make([]int, len(t.auds))}
}

func (f *facetCount) add(e *guideEntry) {
	f.cat[e.catID]++
	for _, id := range e.audIDs {
		f.aud[id]++
	}
}

func (f *facetCount) facets() Facets {
	return Facets{Category: countBuckets(f.t.cats, f.cat), Audience: countBuckets(f.t.auds, f.aud)}
}

type cand struct {
	ord   int32
	score float32
	code  string
}

// less reports whether c ranks below d: a lower score, or the same score and a later code. Ties
// are broken by code, not by the order the guides were indexed in (a map's), so that the same
// query finds the same candidates in every process.
func (c cand) less(d cand) bool {
	return c.score < d.score || c.score == d.score && c.code > d.code
}

// candHeap is a min-heap by rank: the root is the weakest of the best k.
type candHeap []cand

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(i, j int) bool { return h[i].less(h[j]) }
func (h candHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
