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
	// claim: the query asks how to get something (退休金怎么领); the guides that grant it
	// rank higher (see ranking.claim).
	claim bool
	// dense: per word, a bit per field of allFields in which the word is too common to be worth
	// looking up only for scoring (see ranking.denseShare); nil on small corpora.
	dense map[string]uint8
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
	a.claim = asksToClaim(lx, words)
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

// asksToClaim reports whether a query's words ask how to get something: a claim word (领, 申请,
// data/filler.txt) that does not say the getting is done or under way (领了失业金还能交医保吗
// asks about 医保; 在领失业金 is a state).
func asksToClaim(lx *lexicon, words []string) bool {
	for i, w := range words {
		if !lx.claim[w] {
			continue
		}
		if i+1 < len(words) && (words[i+1] == "了" || words[i+1] == "过" || words[i+1] == "着") {
			continue
		}
		if i > 0 && (words[i-1] == "在" || words[i-1] == "正在" || words[i-1] == "已经" || words[i-1] == "已") {
			continue
		}
		return true
	}
	return false
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
		base = rank.weak
	} else if utf8.RuneCountInString(w) == 1 {
		if r, _ := utf8.DecodeRuneInString(w); unicode.Is(unicode.Han, r) {
			// A lone character (做, 开, 里) says little and is in most guides: it scores, but
			// makes no candidates, unless it is a synonym term (交 → 缴费).
			base = rank.char
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
				add([]string{sw}, base*rank.subword, altSubword)
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

// buildQuery turns an analysis into a bleve query, programmatically: user text is never parsed
// as query-string syntax. Candidates are the guides that match a strong concept in the tier's
// fields; the other fields, the weak concepts (办理, 多少) and the common ones (社保 in most
// guides) only add to their scores. Keeping the candidate set small is what keeps latency low on
// a large corpus: bleve's cost grows with every guide it has to score.
//
// restrict, when not nil, is a required clause (the candidates picked in Go). It joins the
// strong concepts in the must clause rather than wrapping the whole query, so that bleve walks
// the candidates and only advances the scoring clauses to them: wrapped, every match of the
// inner query was looked for and scored between two candidates, which cost a third of the time
// on a 10k-guide corpus. The scores are the same either way (a boolean query adds its must and
// should parts).
func buildQuery(a *analysis, r *Request, t tier, restrict query.Query) query.Query {
	must, rest, side := titleFields, append(slices.Clone(briefFields), bodyFields...), shortFields
	switch t {
	case tierShort:
		must, rest, side = shortFields, bodyFields, shortFields
	case tierWide:
		must, rest, side = allFields, nil, allFields
	}
	type scoring struct {
		c      concept
		fields []fieldBoost
	}
	var strong []query.Query
	var scores []scoring
	for _, c := range a.concepts {
		if c.weak || (c.common && t != tierWide) {
			scores = append(scores, scoring{c, side})
			continue
		}
		strong = append(strong, conceptQuery(c, must, nil))
		if len(rest) > 0 {
			scores = append(scores, scoring{c, rest})
		}
	}
	if a.pinyin != "" && len(a.pinyin) >= 2 {
		tq := bleve.NewTermQuery(a.pinyin)
		tq.SetField(fieldPinyin)
		tq.SetBoost(rank.pinyin)
		strong = append(strong, tq)
		if len(a.pinyin) >= 4 {
			p := bleve.NewPrefixQuery(a.pinyin)
			p.SetField(fieldPinyin)
			p.SetBoost(rank.pinyinPrefix)
			strong = append(strong, p)
		}
	}
	var should []query.Query
	onlyScoring := len(strong) == 0
	for _, sc := range scores {
		if onlyScoring {
			// Only weak or common words: they make the candidates, so none is pruned.
			strong = append(strong, conceptQuery(sc.c, sc.fields, nil))
		} else if q := conceptQuery(sc.c, sc.fields, a.dense); q != nil {
			should = append(should, q)
		}
	}
	if len(strong) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	var required []query.Query
	if restrict != nil {
		required = append(required, restrict)
	}
	required = append(required, bleve.NewDisjunctionQuery(strong...))
	required = append(required, filterQueries(r)...)
	if len(required) == 1 && len(should) == 0 {
		return required[0]
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(required...)
	if len(should) > 0 {
		b.AddShould(should...)
	}
	return b
}

// conceptQuery matches one concept in the given fields, leaving out the fields in which dense
// marks a word (nil: none). It returns nil when nothing is left to look up, and a match-none
// query when the concept has no alternative at all.
func conceptQuery(c concept, fields []fieldBoost, dense map[string]uint8) query.Query {
	qs := make([]query.Query, 0, len(c.alts))
	pruned := false
	for _, a := range c.alts {
		if len(a.words) == 1 {
			q, p := wordQuery(a.words[0], a.weight, a.kind, fields, dense)
			pruned = pruned || p
			if q != nil {
				qs = append(qs, q)
			}
			continue
		}
		parts := make([]query.Query, 0, len(a.words))
		for _, w := range a.words {
			q, p := wordQuery(w, a.weight, a.kind, fields, dense)
			pruned = pruned || p
			if q != nil {
				parts = append(parts, q)
			}
		}
		if len(parts) == len(a.words) {
			qs = append(qs, bleve.NewConjunctionQuery(parts...))
		}
	}
	switch {
	case len(qs) == 0 && pruned:
		return nil
	case len(qs) == 0:
		return bleve.NewMatchNoneQuery()
	case len(qs) == 1:
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// wordQuery looks for w in the fields its kind applies to, except those dense marks; pruned
// reports whether dense left one out.
func wordQuery(w string, weight float64, kind altKind, fields []fieldBoost, dense map[string]uint8) (q query.Query, pruned bool) {
	qs := make([]query.Query, 0, len(fields))
	mask := dense[w]
	for _, f := range fields {
		if kind > f.maxKind {
			continue
		}
		if mask&f.bit != 0 {
			pruned = true
			continue
		}
		t := bleve.NewTermQuery(w)
		t.SetField(f.field)
		t.SetBoost(f.boost * weight)
		qs = append(qs, t)
	}
	switch len(qs) {
	case 0:
		return nil, pruned
	case 1:
		return qs[0], pruned
	}
	return bleve.NewDisjunctionQuery(qs...), pruned
}

func filterQueries(r *Request) []query.Query {
	var fs []query.Query
	term := func(field, v string) *query.TermQuery {
		t := bleve.NewTermQuery(v)
		t.SetField(field)
		t.SetBoost(rank.filter)
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
		d.SetBoost(rank.filter)
		fs = append(fs, d)
	}
	return fs
}
