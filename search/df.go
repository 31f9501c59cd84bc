package search

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2"
)

// docFreqs caches how many guides hold a term in each field; cleared on every index change.
type docFreqs struct {
	mu sync.Mutex
	m  map[string]termFreq
}

// termFreq is a term's document frequency in each field of allFields (title fields first, then
// the other short fields, then the body).
type termFreq [5]uint64

func (d *docFreqs) clear() {
	d.mu.Lock()
	d.m = nil
	d.mu.Unlock()
}

// freq returns the largest number of guides holding w in one short field.
func (d *docFreqs) freq(ctx context.Context, idx bleve.Index, w string) uint64 {
	tf := d.lookup(ctx, idx, w)
	return slices.Max(tf[:len(shortFields)])
}

// titleFreq returns the number of guides holding w in the name plus those holding it in an alias.
func (d *docFreqs) titleFreq(ctx context.Context, idx bleve.Index, w string) uint64 {
	tf := d.lookup(ctx, idx, w)
	var n uint64
	for _, c := range tf[:len(titleFields)] {
		n += c
	}
	return n
}

func (d *docFreqs) lookup(ctx context.Context, idx bleve.Index, w string) termFreq {
	d.mu.Lock()
	tf, ok := d.m[w]
	d.mu.Unlock()
	if ok {
		return tf
	}
	ai, err := idx.Advanced()
	if err != nil {
		return tf
	}
	r, err := ai.Reader()
	if err != nil {
		return tf
	}
	defer r.Close()
	for i, f := range allFields {
		tfr, err := r.TermFieldReader(ctx, []byte(w), f.field, false, false, false)
		if err != nil {
			continue
		}
		tf[i] = tfr.Count()
		tfr.Close()
	}
	d.mu.Lock()
	if d.m == nil {
		d.m = map[string]termFreq{}
	}
	if len(d.m) < 100000 {
		d.m[w] = tf
	}
	d.mu.Unlock()
	return tf
}

// tuneConcepts adapts a query's concepts to the index: the words inside a word are dropped when
// guides have the word itself (they only widen the candidate set: a guide with 养老金 also has
// 养老), and the query's ubiquitous concepts are marked common, unless every strong concept is.
// Called with s.mu read-locked.
func (s *Service) tuneConcepts(ctx context.Context, a *analysis) {
	for i := range a.concepts {
		c := &a.concepts[i]
		if len(c.alts) > 1 && s.dfs.freq(ctx, s.idx, c.text) >= 2 {
			kept := c.alts[:0:0]
			for _, al := range c.alts {
				if al.kind != altSubword {
					kept = append(kept, al)
				}
			}
			c.alts = kept
		}
	}
	if s.identifierOnly(ctx, a) {
		return
	}
	total := len(s.entries)
	if total >= rank.denseMinGuides {
		s.markDense(ctx, a, uint64(float64(total)*rank.denseShare))
	}
	if total < 20 {
		return
	}
	limit := uint64(float64(total) * rank.commonShare)
	rare := 0
	common := make([]bool, len(a.concepts))
	for i, c := range a.concepts {
		if c.weak {
			continue
		}
		var n uint64
		for _, al := range c.alts {
			if al.kind == altSubword {
				continue
			}
			for _, w := range al.words {
				n = max(n, s.dfs.freq(ctx, s.idx, w))
			}
		}
		common[i] = n > limit
		if !common[i] {
			rare++
		}
	}
	if rare == 0 {
		return
	}
	for i := range a.concepts {
		a.concepts[i].common = common[i]
	}
	s.budgetCandidates(ctx, a)
}

// budgetCandidates keeps the estimated title-tier candidate set within rank.candidateBudget: the
// strong concepts found in the fewest names and aliases make candidates, the others only score.
func (s *Service) budgetCandidates(ctx context.Context, a *analysis) {
	type est struct {
		i int
		n uint64
	}
	var ests []est
	var sum uint64
	for i, c := range a.concepts {
		if c.weak || c.common {
			continue
		}
		var n uint64
		for _, al := range c.alts {
			for _, w := range al.words {
				n += s.dfs.titleFreq(ctx, s.idx, w)
			}
		}
		ests = append(ests, est{i, n})
		sum += n
	}
	if sum <= rank.candidateBudget || len(ests) < 2 {
		return
	}
	sort.Slice(ests, func(x, y int) bool { return ests[x].n < ests[y].n })
	// Concepts in no name or alias cost nothing here; at least one that is in some must stay.
	var total uint64
	found := false
	for _, e := range ests {
		if e.n > 0 && found && total+e.n > rank.candidateBudget {
			a.concepts[e.i].common = true
			continue
		}
		total += e.n
		found = found || e.n > 0
	}
}

// markDense records, for every word of the query, the fields in which more than limit guides
// hold it (see ranking.denseShare).
func (s *Service) markDense(ctx context.Context, a *analysis, limit uint64) {
	for _, c := range a.concepts {
		for _, al := range c.alts {
			for _, w := range al.words {
				if _, ok := a.dense[w]; ok {
					continue
				}
				tf := s.dfs.lookup(ctx, s.idx, w)
				var mask uint8
				for i, n := range tf {
					if n > limit {
						mask |= 1 << i
					}
				}
				if a.dense == nil {
					a.dense = map[string]uint8{}
				}
				a.dense[w] = mask
			}
		}
	}
}

// identifierOnly: a word of letters and digits (a form or document number, a code) that guides
// hold is what the query is about. The guides that hold it are the candidates; the query's other
// words only rank them. It reports whether the query has such a word.
func (s *Service) identifierOnly(ctx context.Context, a *analysis) bool {
	found := -1
	for i, c := range a.concepts {
		if mixedAlnum(c.text) != c.text {
			continue
		}
		tf := s.dfs.lookup(ctx, s.idx, c.text)
		for _, n := range tf {
			if n > 0 {
				found = i
				break
			}
		}
	}
	if found < 0 {
		return false
	}
	for i := range a.concepts {
		a.concepts[i].common = i != found && !a.concepts[i].weak
	}
	return true
}
