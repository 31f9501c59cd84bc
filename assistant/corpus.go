package assistant

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"shebao/content"
	"shebao/internal/apperr"
)

// Corpus is an in-memory Retriever and Guides over a fixed set of guides: for tests, for the
// evaluation without a search index, and for an offline demo. Production uses the search and
// content packages through the same interfaces.
type Corpus struct {
	guides map[string]*content.Guide
	docs   []corpusDoc
}

type corpusDoc struct {
	code    string
	names   []string        // name and aliases
	grams   map[string]bool // bigrams of name and aliases
	summary map[string]bool // bigrams of the summary and FAQ questions
}

// NewCorpus indexes gs.
func NewCorpus(gs []content.Guide) *Corpus {
	c := &Corpus{guides: make(map[string]*content.Guide, len(gs))}
	for i := range gs {
		g := gs[i]
		c.guides[g.Code] = &g
		d := corpusDoc{code: g.Code, grams: map[string]bool{}, summary: map[string]bool{}}
		d.names = append([]string{g.Name}, g.Aliases...)
		for _, n := range d.names {
			for k := range bigrams(n) {
				d.grams[k] = true
			}
		}
		text := g.Summary
		for _, q := range g.FAQ {
			text += "。" + q.Q
		}
		for k := range bigrams(text) {
			d.summary[k] = true
		}
		c.docs = append(c.docs, d)
	}
	return c
}

// Guide returns the guide with the code, or an apperr.GuideNotFound error.
func (c *Corpus) Guide(_ context.Context, code string) (content.Guide, error) {
	g, ok := c.guides[code]
	if !ok {
		return content.Guide{}, apperr.New(apperr.GuideNotFound, "")
	}
	return *g, nil
}

// Codes lists the codes of the corpus, sorted.
func (c *Corpus) Codes() []string {
	out := make([]string, 0, len(c.guides))
	for k := range c.guides {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Retrieve scores every guide: a name or alias said in full counts most (longer ones more), then
// the share of the question's character bigrams found in the names, then in the summary and FAQ.
func (c *Corpus) Retrieve(_ context.Context, query string, limit int) ([]Hit, error) {
	qg := bigrams(query)
	var hits []Hit
	for _, d := range c.docs {
		score := 0.0
		for _, n := range d.names {
			if n != "" && strings.Contains(query, n) {
				score += 2 + float64(utf8.RuneCountInString(n))/2
			}
		}
		if len(qg) > 0 {
			nameHits, sumHits := 0, 0
			for k := range qg {
				if d.grams[k] {
					nameHits++
				} else if d.summary[k] {
					sumHits++
				}
			}
			score += 3*float64(nameHits)/float64(len(qg)) + float64(sumHits)/float64(len(qg))
			if nameHits == 0 && score < 2 {
				score /= 2 // only summary words: weak
			}
		}
		if score >= 0.5 {
			hits = append(hits, Hit{Code: d.code, Score: score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Code < hits[j].Code
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}
