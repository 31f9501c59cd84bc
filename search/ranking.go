package search

import (
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2/search"
)

// ranking is every number that decides which guides a query finds and in what order, in one
// place: the field boosts, the weights of a concept's alternatives, the tiers that pick the
// candidates, how many candidates bleve rescores, and the pruning that keeps a large corpus fast.
// The query builder (query.go), the candidate picker (titles.go), the synonym table and the
// document-frequency tuning (df.go) all read rank; none keeps a number of its own.
//
// Change a number here only with the quality figures (`go test ./search -run Evaluate -v`, and
// `shebao eval search` on the dev and held-out sets) and the latency benchmark
// (BenchmarkSearch10kNoCache) before and after.
type ranking struct {
	// Field boosts: name and aliases ≫ summary and FAQ questions > the rest of the guide. A guide
	// that is about the question says so in its name or aliases; the summary and the FAQ questions
	// say it in the users' own words; the body only mentions it.
	name, aliases, summary, faq, body float64
	// pinyin: the typed pinyin is a name's or an alias's full pinyin or initials (shebaoka, sbk);
	// pinyinPrefix: it begins one (four letters or more).
	pinyin, pinyinPrefix float64

	// Weights of a concept's alternatives, the word itself weighing 1.
	subword     float64 // 保障卡 inside 社会保障卡
	weak        float64 // 办理, 申请, 多少: what the user wants to do, not which guide
	char        float64 // a lone character that is not a particle
	synonymStep float64 // what a match through one synonym step keeps (退休金 → 养老金)

	// Tiers (see tier). minTitleMatches: with fewer guides matching in names and aliases, the
	// search widens to the summaries and FAQ questions.
	minTitleMatches int
	// rerankDepth is how many of the candidates picked in Go bleve scores (more when the page
	// reaches further): bleve's cost grows with each, and the Go score already puts the guides
	// that are about the question first. The facets count every match (see
	// titleIndex.candidates).
	rerankDepth int
	// facetWindow is how many results the wide tier (bleve alone, no candidates) scores, and its
	// facets count.
	facetWindow int

	// commonShare is the share of guides above which a concept is "common": it still adds to the
	// score but no longer makes a guide a candidate by itself (when the query has a rarer
	// concept). 社保, 缴费, 医保 are in most guides; requiring one of the query's rarer words keeps
	// the candidate set, and so the latency on a large corpus, small, and changes little in the
	// ranking, since a guide without any of the rarer words ranked low anyway.
	commonShare float64
	// candidateBudget is how many guides a query may make candidates in the title tier,
	// estimated from document frequencies. Past it, the concepts found in the most names and
	// aliases only add to the score: bleve's cost grows with every candidate it scores (about a
	// microsecond per candidate and clause), and a guide that shares only the query's most common
	// words with it would not rank anyway. Only large corpora reach it.
	candidateBudget uint64
	// denseShare and denseMinGuides: on a corpus of at least denseMinGuides guides, a word held
	// by more than denseShare of the guides in a field is not looked up in that field when it
	// would only add to the score (a should clause). bleve advances a term's postings one by one
	// to each candidate, so such words (交, 年, 社保 in the body) were most of a query's cost, for
	// a score their low idf makes small (CommonTermsQuery in Lucene makes the same trade).
	// Concepts that select candidates are never pruned. Small corpora keep every clause.
	denseShare     float64
	denseMinGuides int

	// claim multiplies the score of a guide that grants something (lexicon.grants: 失业保险金申领,
	// 生育津贴支付) when the query asks how to get something (asksToClaim: 退休金怎么领, 去哪领,
	// 能领吗), in the candidates picked in Go and in bleve's scores: the guide by which the thing
	// is claimed goes before those that only mention it (养老金领取资格认证, 转移接续, 查询), whose
	// names often hold the thing itself and so score higher on words alone. 4 rather than 3: at 3
	// 退休金能领多少 put 办理退休 first by under 1 %; the seed sets do not move from 1 to 5, and the
	// 10k corpus gains (BENCHMARKS-search.md).
	claim float64

	// filter is the boost of the filter clauses (category, audience, region): they select, they
	// do not rank.
	filter float64
}

// rank is the ranking every search uses.
var rank = ranking{
	name: 10, aliases: 8, summary: 3, faq: 2.5, body: 1,
	pinyin: 12, pinyinPrefix: 6,

	subword: 0.45, weak: 0.3, char: 0.4, synonymStep: 0.8,

	minTitleMatches: 3, rerankDepth: 20, facetWindow: 50,

	commonShare: 0.4, candidateBudget: 1500, denseShare: 0.25, denseMinGuides: 2000,

	claim: 4,

	filter: 1e-6,
}

// fieldBoost is a field, its boost, and the widest kind of alternative looked for in it.
type fieldBoost struct {
	field   string
	boost   float64
	maxKind altKind
	bit     uint8 // the field's bit in analysis.dense
}

// The fields a query looks in, by group, with rank's boosts. Subwords (保障卡 in 社会保障卡) are
// looked for in the names and aliases only, synonyms in every short field, and only the word
// itself in the long body, which keeps the number of term searchers (and the latency) down.
var (
	titleFields = []fieldBoost{{fieldName, rank.name, altSubword, 1 << 0}, {fieldAliases, rank.aliases, altSubword, 1 << 1}}
	briefFields = []fieldBoost{{fieldSummary, rank.summary, altSynonym, 1 << 2}, {fieldFAQ, rank.faq, altSynonym, 1 << 3}}
	bodyFields  = []fieldBoost{{fieldBody, rank.body, altSelf, 1 << 4}}
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
	// the title tier finds fewer than rank.minTitleMatches guides.
	tierShort
	// tierWide: anything anywhere, body included; used when the short tier finds nothing.
	tierWide
)

// candidateBoosts are the field boosts of candidate selection in Go (titleIndex.candidates), the
// same as the bleve query's, by tier; 0: the field does not make candidates in that tier.
var candidateBoosts = [2][5]float32{
	tierTitle: {inName: float32(rank.name), inAlias: float32(rank.aliases), inPinyin: float32(rank.pinyin)},
	tierShort: {inName: float32(rank.name), inAlias: float32(rank.aliases), inSummary: float32(rank.summary),
		inFAQ: float32(rank.faq), inPinyin: float32(rank.pinyin)},
}

// preferGrants applies rk.claim to the hits of the guides that grant something and puts the hits
// back in order of score (stable: bleve's order among equals).
func (rk *ranking) preferGrants(hits search.DocumentMatchCollection, entries map[string]*guideEntry) {
	changed := false
	for _, h := range hits {
		if e := entries[h.ID]; e != nil && e.grants {
			h.Score *= rk.claim
			changed = true
		}
	}
	if changed {
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	}
}
