package search

import (
	"slices"
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
	text   string
	weak   bool
	common bool // in so many guides that it only scores (see markCommon)
	alts   []alt
}

// alt is one way a concept can match: every word (a phrase is split into words) with a weight.
// Only the word itself is looked for in the long body field; subwords and synonyms are looked
// for in the short fields, which keeps the number of term searchers (and the latency) down.
type alt struct {
	words  []string
	weight float64
	kind   altKind
}

type altKind uint8

const (
	altSelf altKind = iota
	altSynonym
	altSubword
)

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
	// Terms the segmenter split differently (能带|回来 holds 带回来) still count.
	for _, t := range syn.termsIn(a.stripped) {
		if !seen[t] {
			seen[t] = true
			a.concepts = append(a.concepts, expandWord(lx, syn, t))
		}
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
			// A lone character (做, 开, 里) says little and is in most guides: it scores, but
			// makes no candidates, unless it is a synonym term (交 → 缴费).
			base = charWeight
			c.weak = !syn.has(w)
		}
	}
	have := map[string]bool{}
	add := func(words []string, weight float64, kind altKind) {
		k := strings.Join(words, " ")
		if len(words) == 0 || have[k] {
			return
		}
		have[k] = true
		c.alts = append(c.alts, alt{words: words, weight: weight, kind: kind})
	}
	add([]string{w}, base, altSelf)
	if utf8.RuneCountInString(w) >= 3 {
		for _, sw := range lx.subwords(w) {
			if utf8.RuneCountInString(sw) >= 2 && !lx.particles[sw] {
				add([]string{sw}, base*subwordWeight, altSubword)
			}
		}
	}
	for _, e := range syn.expand(w)[1:] {
		var ws []string
		for _, x := range lx.words(lx.normalize(e.text)) {
			if !lx.particles[x] {
				ws = append(ws, x)
			}
		}
		add(ws, base*e.weight, altSynonym)
	}
	return c
}

// fieldBoost is a field, its boost, and the widest kind of alternative looked for in it.
type fieldBoost struct {
	field   string
	boost   float64
	maxKind altKind
}

// Field boosts: name and aliases ≫ summary and FAQ questions > the rest of the guide.
var (
	titleFields = []fieldBoost{{fieldName, 10, altSubword}, {fieldAliases, 8, altSubword}}
	briefFields = []fieldBoost{{fieldSummary, 3, altSynonym}, {fieldFAQ, 2.5, altSynonym}}
	bodyFields  = []fieldBoost{{fieldBody, 1, altSelf}}
	shortFields = append(slices.Clone(titleFields), briefFields...)
	allFields   = append(slices.Clone(shortFields), bodyFields...)
)

// tier says which guides a query makes candidates. Every tier scores with every field: what
// does not make candidates adds to the score.
type tier uint8

const (
	// tierTitle: a strong concept in the name or an alias. The usual case, and the cheap one: a
	// guide that is about the question says so in its name or aliases.
	tierTitle tier = iota
	// tierShort: a strong concept in a short field (adds summary and FAQ questions); used when
	// the title tier finds too little.
	tierShort
	// tierWide: anything anywhere, body included; used when the short tier finds nothing.
	tierWide
)

// buildQuery turns an analysis into a bleve query, programmatically: user text is never parsed
// as query-string syntax. Candidates are the guides that match a strong concept in the tier's
// fields; the other fields, the weak concepts (办理, 多少) and the common ones (社保 in most
// guides) only add to their scores. Keeping the candidate set small is what keeps latency low on
// a large corpus: bleve's cost grows with every guide it has to score.
func buildQuery(a *analysis, r *Request, t tier) query.Query {
	must, rest, side := titleFields, append(slices.Clone(briefFields), bodyFields...), shortFields
	switch t {
	case tierShort:
		must, rest, side = shortFields, bodyFields, shortFields
	case tierWide:
		must, rest, side = allFields, nil, allFields
	}
	var strong, should []query.Query
	for _, c := range a.concepts {
		if c.weak || (c.common && t != tierWide) {
			should = append(should, conceptQuery(c, side))
			continue
		}
		strong = append(strong, conceptQuery(c, must))
		if len(rest) > 0 {
			should = append(should, conceptQuery(c, rest))
		}
	}
	if a.pinyin != "" && len(a.pinyin) >= 2 {
		tq := bleve.NewTermQuery(a.pinyin)
		tq.SetField(fieldPinyin)
		tq.SetBoost(12)
		strong = append(strong, tq)
		if len(a.pinyin) >= 4 {
			p := bleve.NewPrefixQuery(a.pinyin)
			p.SetField(fieldPinyin)
			p.SetBoost(6)
			strong = append(strong, p)
		}
	}
	if len(strong) == 0 {
		// Only weak or common words: they make the candidates.
		strong, should = should, nil
	}
	var main query.Query
	switch {
	case len(strong) == 0:
		main = bleve.NewMatchNoneQuery()
	case len(should) == 0:
		main = bleve.NewDisjunctionQuery(strong...)
	default:
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewDisjunctionQuery(strong...))
		b.AddShould(should...)
		main = b
	}
	filters := filterQueries(r)
	if len(filters) == 0 {
		return main
	}
	return bleve.NewConjunctionQuery(append([]query.Query{main}, filters...)...)
}

// conceptQuery matches one concept in the given fields, or nil when no alternative applies.
func conceptQuery(c concept, fields []fieldBoost) query.Query {
	qs := make([]query.Query, 0, len(c.alts))
	for _, a := range c.alts {
		if len(a.words) == 1 {
			if q := wordQuery(a.words[0], a.weight, a.kind, fields); q != nil {
				qs = append(qs, q)
			}
			continue
		}
		parts := make([]query.Query, 0, len(a.words))
		for _, w := range a.words {
			if q := wordQuery(w, a.weight, a.kind, fields); q != nil {
				parts = append(parts, q)
			}
		}
		if len(parts) == len(a.words) {
			qs = append(qs, bleve.NewConjunctionQuery(parts...))
		}
	}
	switch len(qs) {
	case 0:
		return bleve.NewMatchNoneQuery()
	case 1:
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

func wordQuery(w string, weight float64, kind altKind, fields []fieldBoost) query.Query {
	qs := make([]query.Query, 0, len(fields))
	for _, f := range fields {
		if kind > f.maxKind {
			continue
		}
		t := bleve.NewTermQuery(w)
		t.SetField(f.field)
		t.SetBoost(f.boost * weight)
		qs = append(qs, t)
	}
	switch len(qs) {
	case 0:
		return nil
	case 1:
		return qs[0]
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
