package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// analysis is a query after the pipeline: normalise → correct → strip filler → segment →
// expand synonyms. Each step is a small function on the lexicon, the vocabulary or the synonym
// table; analyze only strings them together.
type analysis struct {
	normalized string
	corrected  string // normalized with corrections applied, "" when nothing was corrected
	stripped   string
	concepts   []concept
	pinyin     string // typed pinyin with the Han characters' pinyin, when the query has letters
	key        string // canonical form: cache key and best-bet key
}

// concept is one thing the user asked about, with the words that may stand for it.
type concept struct {
	text string
	weak bool
	alts []alt
}

// alt is one way a concept can match: every word (a phrase is split into words) with a weight.
type alt struct {
	words  []string
	weight float64
}

// Weights of the alternatives of a concept.
const (
	subwordWeight = 0.45 // 保障卡 inside 社会保障卡
	weakWeight    = 0.3  // 办理, 申请, 多少: what the user wants to do, not which guide
	charWeight    = 0.4  // a lone character that is not a particle
)

// analyze runs the pipeline on sanitised text. v must be read-locked by the caller.
func analyze(lx *lexicon, v *vocabulary, syn *synonymTable, text string) *analysis {
	a := &analysis{normalized: lx.normalize(text)}
	fixed, fixes := v.correct(a.normalized)
	if len(fixes) > 0 {
		a.corrected = fixed
	}
	if strings.ContainsFunc(a.normalized, func(r rune) bool { return r >= 'a' && r <= 'z' }) {
		full, _ := lx.pinyinKeys(a.normalized)
		a.pinyin = full
	}
	a.stripped = lx.stripFrames(fixed)
	words := mergeSynonymTerms(lx.words(a.stripped), syn)
	seen := map[string]bool{}
	var key strings.Builder
	for _, w := range words {
		if w == "" || w == " " || lx.particles[w] || seen[w] {
			continue
		}
		seen[w] = true
		key.WriteString(w)
		a.concepts = append(a.concepts, expandWord(lx, syn, w))
	}
	a.key = key.String()
	if a.key == "" {
		a.key = strings.ReplaceAll(a.normalized, " ", "")
	}
	return a
}

// mergeSynonymTerms joins consecutive words that together are a synonym term (生/孩子 → 生孩子
// when the segmenter split it), longest first, so that editors' terms work whatever the
// segmentation.
func mergeSynonymTerms(words []string, syn *synonymTable) []string {
	if len(words) < 2 {
		return words
	}
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); {
		n := 1
		for l := min(4, len(words)-i); l >= 2; l-- {
			joined := strings.Join(words[i:i+l], "")
			if utf8.RuneCountInString(joined) <= syn.maxRune && syn.has(joined) {
				n = l
				break
			}
		}
		out = append(out, strings.Join(words[i:i+n], ""))
		i += n
	}
	return out
}

// expandWord builds the concept for one word: the word, the dictionary words inside it and its
// synonyms.
func expandWord(lx *lexicon, syn *synonymTable, w string) concept {
	c := concept{text: w, weak: lx.weak[w]}
	base := 1.0
	if c.weak {
		base = weakWeight
	} else if utf8.RuneCountInString(w) == 1 {
		if r, _ := utf8.DecodeRuneInString(w); unicode.Is(unicode.Han, r) {
			base = charWeight
		}
	}
	have := map[string]bool{}
	add := func(words []string, weight float64) {
		k := strings.Join(words, " ")
		if len(words) == 0 || have[k] {
			return
		}
		have[k] = true
		c.alts = append(c.alts, alt{words: words, weight: weight})
	}
	add([]string{w}, base)
	if utf8.RuneCountInString(w) >= 3 {
		for _, sw := range lx.subwords(w) {
			if utf8.RuneCountInString(sw) >= 2 && !lx.particles[sw] {
				add([]string{sw}, base*subwordWeight)
			}
		}
	}
	for _, e := range syn.expand(w)[1:] {
		var ws []string
		for _, x := range lx.words(lx.normalize(e)) {
			if !lx.particles[x] {
				ws = append(ws, x)
			}
		}
		add(ws, base*e.weight)
	}
	return c
}

// Field boosts: name and aliases ≫ summary and FAQ questions > the rest of the guide.
var fieldBoosts = []struct {
	field string
	boost float64
}{
	{fieldName, 10},
	{fieldAliases, 8},
	{fieldSummary, 3},
	{fieldFAQ, 2.5},
	{fieldBody, 1},
}

// buildQuery turns an analysis into a bleve query, programmatically: user text is never parsed
// as query-string syntax.
func buildQuery(a *analysis, r *Request) query.Query {
	var strong, weak []query.Query
	for _, c := range a.concepts {
		q := conceptQuery(c)
		if c.weak {
			weak = append(weak, q)
		} else {
			strong = append(strong, q)
		}
	}
	if a.pinyin != "" && len(a.pinyin) >= 2 {
		t := bleve.NewTermQuery(a.pinyin)
		t.SetField(fieldPinyin)
		t.SetBoost(12)
		strong = append(strong, t)
		if len(a.pinyin) >= 4 {
			p := bleve.NewPrefixQuery(a.pinyin)
			p.SetField(fieldPinyin)
			p.SetBoost(6)
			strong = append(strong, p)
		}
	}
	if len(strong) == 0 {
		strong, weak = weak, nil
	}
	var main query.Query
	if len(strong) == 0 {
		main = bleve.NewMatchNoneQuery()
	} else {
		main = bleve.NewDisjunctionQuery(strong...)
	}
	if len(weak) > 0 {
		b := bleve.NewBooleanQuery()
		b.AddMust(main)
		b.AddShould(weak...)
		main = b
	}
	filters := filterQueries(r)
	if len(filters) == 0 {
		return main
	}
	return bleve.NewConjunctionQuery(append([]query.Query{main}, filters...)...)
}

func conceptQuery(c concept) query.Query {
	qs := make([]query.Query, 0, len(c.alts))
	for _, a := range c.alts {
		if len(a.words) == 1 {
			qs = append(qs, wordQuery(a.words[0], a.weight))
			continue
		}
		parts := make([]query.Query, len(a.words))
		for i, w := range a.words {
			parts[i] = wordQuery(w, a.weight)
		}
		qs = append(qs, bleve.NewConjunctionQuery(parts...))
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

func wordQuery(w string, weight float64) query.Query {
	qs := make([]query.Query, len(fieldBoosts))
	for i, f := range fieldBoosts {
		t := bleve.NewTermQuery(w)
		t.SetField(f.field)
		t.SetBoost(f.boost * weight)
		qs[i] = t
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// filterBoost keeps filters from moving scores: they select, they do not rank.
const filterBoost = 1e-6

func filterQueries(r *Request) []query.Query {
	var fs []query.Query
	term := func(field, v string) *query.TermQuery {
		t := bleve.NewTermQuery(v)
		t.SetField(field)
		t.SetBoost(filterBoost)
		return t
	}
	if r.Category != "" {
		fs = append(fs, term(fieldCategory, r.Category))
	}
	if r.Audience != "" {
		fs = append(fs, term(fieldAudience, r.Audience))
	}
	if r.Region != "" {
		// A province-wide guide applies in every city.
		d := bleve.NewDisjunctionQuery(term(fieldRegion, r.Region), term(fieldScope, scopeProvince))
		d.SetBoost(filterBoost)
		fs = append(fs, d)
	}
	return fs
}
