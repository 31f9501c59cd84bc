package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/spoken"
)

// Limits of a search request.
const (
	MaxQueryRunes = 500
	DefaultLimit  = 10
	MaxLimit      = 50
	maxOffset     = 1000
	maxFilterLen  = 40
)

// Request is one search: GET /api/v1/search?q=&limit=&cursor=&category=&audience=&region=.
type Request struct {
	Query    string `json:"q"`
	Limit    int    `json:"limit"`    // 1..50; 0 means the default (10)
	Cursor   string `json:"cursor"`   // next_cursor of the previous page
	Category string `json:"category"` // content.Category, e.g. pension
	Audience string `json:"audience"` // person or employer
	Region   string `json:"region"`   // e.g. 西安市; province-wide guides match every region
}

// Params are request parameters by name ("" when absent); url.Values is one.
type Params interface{ Get(key string) string }

// ParseRequest reads a Request from URL query parameters, so that the HTTP layer stays thin.
// A limit that is not a number in 1..50 is an invalid_parameter error.
func ParseRequest(v Params) (Request, error) {
	r := Request{Query: v.Get("q"), Cursor: v.Get("cursor"), Category: v.Get("category"),
		Audience: v.Get("audience"), Region: v.Get("region")}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || n < 1 || n > MaxLimit {
			return r, apperr.New(apperr.InvalidParameter, fmt.Sprintf("limit 应为1到%d之间的整数。", MaxLimit))
		}
		r.Limit = n
	}
	return r, r.validate()
}

func (r *Request) validate() error {
	if r.Limit < 0 || r.Limit > MaxLimit {
		return apperr.New(apperr.InvalidParameter, fmt.Sprintf("limit 应为1到%d之间的整数。", MaxLimit))
	}
	if r.Category != "" && !content.Category(r.Category).Valid() {
		return apperr.New(apperr.InvalidParameter, "category 不是已知的险种。")
	}
	if r.Audience != "" && content.Audience(r.Audience).Name() == "" {
		return apperr.New(apperr.InvalidParameter, "audience 应为 person 或 employer。")
	}
	if utf8.RuneCountInString(r.Region) > maxFilterLen || strings.ContainsFunc(r.Region, hidden) {
		return apperr.New(apperr.InvalidParameter, "region 不正确。")
	}
	return nil
}

// Response is the answer to a search, in the API's JSON shape.
type Response struct {
	Query          string   `json:"query"`
	QueryID        string   `json:"query_id"`        // for POST /api/v1/search/click
	CorrectedQuery string   `json:"corrected_query"` // what was searched instead, "" when nothing was corrected
	Total          int      `json:"total"`
	Results        []Result `json:"results"`
	Facets         Facets   `json:"facets"`
	NextCursor     string   `json:"next_cursor"` // "" on the last page

	// frag is the cached encoding of the fields after corrected_query (a page is encoded once,
	// not once per request); nil when the fields were set by hand.
	frag []byte
}

// MarshalJSON writes the response; a response built from a cached page reuses the page's
// encoding of everything after corrected_query. The query, its id and its correction belong to
// the request (a typo and its right spelling share a page).
func (r *Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if r.frag == nil {
		return json.Marshal((*plain)(r))
	}
	q, err := json.Marshal(r.Query)
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(r.CorrectedQuery)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(q)+len(c)+len(r.frag)+64)
	b = append(b, `{"query":`...)
	b = append(b, q...)
	b = append(b, `,"query_id":"`...)
	b = append(b, r.QueryID...) // hex digits: nothing to escape
	b = append(b, `","corrected_query":`...)
	b = append(b, c...)
	b = append(b, ',')
	b = append(b, r.frag[1:]...)
	return b, nil
}

// encodeFragment encodes a page's fields in the order Response declares them.
func encodeFragment(p *page) []byte {
	b, err := json.Marshal(struct {
		Total      int      `json:"total"`
		Results    []Result `json:"results"`
		Facets     Facets   `json:"facets"`
		NextCursor string   `json:"next_cursor"`
	}{p.total, p.results, p.facets, p.next})
	if err != nil {
		return nil
	}
	return b
}

// Result is one guide found.
type Result struct {
	Code     string  `json:"code"`
	Title    string  `json:"title"`
	Category string  `json:"category"`
	Snippet  string  `json:"snippet"` // HTML: matches in <em>, everything else escaped
	Score    float64 `json:"score"`
	Pinned   bool    `json:"pinned"` // an editor's best bet for this query
}

// Facets count the matching guides by category and audience.
type Facets struct {
	Category []FacetValue `json:"category"`
	Audience []FacetValue `json:"audience"`
}

// FacetValue is one facet bucket.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Search runs a query. User errors are apperr values (query_empty, query_too_long,
// invalid_parameter, invalid_cursor); before the first index is built it returns
// service_unavailable.
func (s *Service) Search(ctx context.Context, r Request) (*Response, error) {
	return s.search(ctx, r, true)
}

// page is what the cache keeps: a response without its query id.
type page struct {
	// The query as logged and its correction: set only on entries keyed by the raw text (a typo
	// and its right spelling share the analysed page).
	normalized string
	corrected  string
	total      int
	results    []Result
	facets     Facets
	next       string
	frag       []byte // encodeFragment of the fields above
}

func (s *Service) search(ctx context.Context, r Request, logIt bool) (*Response, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(r.Query) > MaxQueryRunes {
		return nil, apperr.New(apperr.QueryTooLong, "")
	}
	text := sanitize(r.Query)
	if text == "" {
		return nil, apperr.New(apperr.QueryEmpty, "")
	}
	limit := r.Limit
	if limit == 0 {
		limit = DefaultLimit
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.idx == nil {
		return nil, apperr.New(apperr.Unavailable, "搜索服务正在准备中，请稍后再试。")
	}
	// Popular queries repeat word for word: a page cached under the raw text skips the analysis
	// (segmentation, typo correction), which costs more than the rest of a cached answer.
	rawKey := "\x01" + text + "\x00" + r.Category + "\x00" + r.Audience + "\x00" + r.Region + "\x00" + r.Cursor + "\x00" + strconv.Itoa(limit)
	if p, ok := s.cache.get(rawKey); ok {
		return s.respond(text, p, logIt), nil
	}
	a := analyze(s.lx, s.vocab, s.syn.Load(), text)
	scope := a.key + "\x00" + a.pinyin + "\x00" + r.Category + "\x00" + r.Audience + "\x00" + r.Region
	if a.claim {
		// 领失业金 and 领了失业金 share a key (了 is a particle) but not an order.
		scope += "\x00claim"
	}
	offset, err := decodeCursor(r.Cursor, scope)
	if err != nil {
		return nil, err
	}
	cacheKey := scope + "\x00" + strconv.Itoa(offset) + "\x00" + strconv.Itoa(limit)
	p, ok := s.cache.get(cacheKey)
	if !ok {
		p, err = s.execute(ctx, a, &r, offset, limit, scope)
		if err != nil {
			return nil, err
		}
		s.cache.put(cacheKey, p)
	}
	raw := *p
	raw.normalized, raw.corrected = a.normalized, a.corrected
	s.cache.put(rawKey, &raw)
	return s.respond(text, &raw, logIt), nil
}

// respond builds the response for a page keyed by the raw text and logs the query.
func (s *Service) respond(text string, p *page, logIt bool) *Response {
	rec := newLogRecord(p.normalized, p.corrected, p.total)
	if logIt && s.qlog != nil {
		s.qlog.send(rec)
	}
	return &Response{Query: text, QueryID: rec.id, CorrectedQuery: p.corrected, Total: p.total,
		Results: p.results, Facets: p.facets, NextCursor: p.next, frag: p.frag}
}

// execute runs the bleve search for one page. Called with s.mu read-locked.
func (s *Service) execute(ctx context.Context, a *analysis, r *Request, offset, limit int, scope string) (*page, error) {
	var pinned []*guideEntry
	for _, code := range s.bets.Load().forKey(a.key) {
		if e := s.entries[code]; e != nil && e.matches(r) {
			pinned = append(pinned, e)
		}
	}
	p := &page{results: []Result{}}
	size := offset + limit + len(pinned)
	s.tuneConcepts(ctx, a)
	req := bleve.NewSearchRequestOptions(nil, max(size, rank.rerankDepth), 0, false)
	var res *bleve.SearchResult
	var err error
	total := 0
	var facets *Facets
	// Title tier, then short tier: the candidates are picked in Go and bleve scores only those.
	for _, t := range []tier{tierTitle, tierShort} {
		codes, matched, f := s.vocab.titles.candidates(a, r, req.Size, t, pinned)
		if matched < rank.minTitleMatches && t == tierTitle {
			continue
		}
		if matched == 0 {
			break
		}
		req.Query = buildQuery(a, r, t, bleve.NewDocIDQuery(codes))
		if res, err = s.idx.SearchInContext(ctx, req); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		total, facets = matched, &f
		break
	}
	if res == nil || res.Total == 0 {
		// Nothing in the short fields: anything anywhere, by bleve alone (rare).
		req.Size = max(size, rank.facetWindow)
		req.Query = buildQuery(a, r, tierWide, nil)
		if res, err = s.idx.SearchInContext(ctx, req); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		total, facets = int(res.Total), nil
	}

	if a.claim {
		rank.preferGrants(res.Hits, s.entries)
	}
	terms := highlightTerms(a)
	all := make([]Result, 0, size)
	isPinned := map[string]bool{}
	for _, e := range pinned {
		isPinned[e.code] = true
		all = append(all, Result{Code: e.code, Title: e.name, Category: e.category, Pinned: true})
	}
	extra := len(pinned)
	for _, h := range res.Hits {
		if isPinned[h.ID] {
			extra--
			continue
		}
		e := s.entries[h.ID]
		if e == nil {
			continue
		}
		all = append(all, Result{Code: h.ID, Title: e.name, Category: e.category, Score: math.Round(h.Score*1e4) / 1e4})
	}
	p.total = total + extra
	if facets != nil {
		p.facets = *facets
	} else {
		p.facets = s.facetsOf(all)
	}
	if offset < len(all) {
		all = all[offset:min(len(all), offset+limit)]
		for i := range all {
			all[i].Snippet = snippet(s.entries[all[i].Code], terms)
		}
		p.results = all
	}
	if offset+limit < p.total && offset+limit <= maxOffset {
		p.next = encodeCursor(offset+limit, scope)
	}
	p.frag = encodeFragment(p)
	return p, nil
}

func (e *guideEntry) matches(r *Request) bool {
	if r.Category != "" && e.category != r.Category {
		return false
	}
	if r.Audience != "" && !contains(e.audience, r.Audience) {
		return false
	}
	if r.Region != "" && !e.province && !contains(e.regions, r.Region) {
		return false
	}
	return true
}

// facetsOf counts categories and audiences over the results (pinned and the best matches).
// Called with s.mu read-locked.
func (s *Service) facetsOf(results []Result) Facets {
	fc := s.vocab.titles.facetCount()
	for _, r := range results {
		if e := s.entries[r.Code]; e != nil {
			fc.add(e)
		}
	}
	return fc.facets()
}

// countBuckets is buckets over counts by dense id.
func countBuckets(vals []string, counts []int) []FacetValue {
	m := make(map[string]int, len(vals))
	for i, n := range counts {
		if n > 0 {
			m[vals[i]] = n
		}
	}
	return buckets(m)
}

func buckets(m map[string]int) []FacetValue {
	out := make([]FacetValue, 0, len(m))
	for v, n := range m {
		out = append(out, FacetValue{v, n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Value < out[j].Value
	})
	return out
}

// Cursors are opaque to clients: the offset of the next page and a hash of the query and filters,
// so that a cursor is only good for the search that produced it.
func encodeCursor(offset int, scope string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%08x", offset, scopeHash(scope)))
}

func decodeCursor(c, scope string) (int, error) {
	if c == "" {
		return 0, nil
	}
	bad := apperr.New(apperr.InvalidCursor, "")
	if len(c) > 64 {
		return 0, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, bad
	}
	off, h, ok := strings.Cut(string(raw), ".")
	n, err := strconv.Atoi(off)
	if !ok || err != nil || n <= 0 || n > maxOffset || h != fmt.Sprintf("%08x", scopeHash(scope)) {
		return 0, bad
	}
	return n, nil
}

func scopeHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// highlightTerms are the words to mark in snippets: every word the query could match, longest
// first, without single characters (too many false marks).
func highlightTerms(a *analysis) []string {
	var out []string
	for _, c := range a.concepts {
		for _, al := range c.alts {
			for _, w := range al.words {
				if utf8.RuneCountInString(w) >= 2 && !contains(out, w) {
					out = append(out, w)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// snippetRunes is the length of a snippet.
const snippetRunes = 80

// snippet cuts a short passage from the guide's summary or an FAQ question (short fields: no
// highlighting over the whole guide), the one with the most query words, marks the words with
// <em> and escapes everything else.
func snippet(e *guideEntry, terms []string) string {
	if e == nil {
		return ""
	}
	best, bestN := e.summary, -1
	for i, t := range append([]string{e.summary}, e.faq...) {
		n := 0
		for _, w := range terms {
			if strings.Contains(t, w) {
				n++
			}
		}
		if n > bestN || (n == bestN && i == 0) {
			best, bestN = t, n
		}
	}
	return markup(best, terms)
}

func markup(text string, terms []string) string {
	// Matches as byte ranges, longest terms first, without overlaps.
	type span struct{ start, end int }
	var spans []span
	overlaps := func(a, b int) bool {
		for _, sp := range spans {
			if a < sp.end && sp.start < b {
				return true
			}
		}
		return false
	}
	for _, w := range terms {
		if w == "" {
			continue
		}
		for off := 0; off < len(text); {
			i := strings.Index(text[off:], w)
			if i < 0 {
				break
			}
			a, b := off+i, off+i+len(w)
			if !overlaps(a, b) {
				spans = append(spans, span{a, b})
			}
			off = b
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	// Window: start a little before the first match when the text is long.
	from, to := 0, len(text)
	if utf8.RuneCountInString(text) > snippetRunes {
		if len(spans) > 0 && utf8.RuneCountInString(text[:spans[0].start]) > 20 {
			from = spans[0].start
			for range 10 {
				_, n := utf8.DecodeLastRuneInString(text[:from])
				from -= n
			}
		}
		to = from
		for n := 0; n < snippetRunes && to < len(text); n++ {
			_, size := utf8.DecodeRuneInString(text[to:])
			to += size
		}
	}
	var b strings.Builder
	b.Grow(to - from + 32)
	if from > 0 {
		b.WriteString("…")
	}
	pos := from
	for _, sp := range spans {
		if sp.start < from || sp.end > to {
			continue
		}
		b.WriteString(html.EscapeString(text[pos:sp.start]))
		b.WriteString("<em>")
		b.WriteString(html.EscapeString(text[sp.start:sp.end]))
		b.WriteString("</em>")
		pos = sp.end
	}
	b.WriteString(html.EscapeString(text[pos:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// hidden reports a character no filter value contains: an invisible one or a control (tab, new line).
func hidden(r rune) bool { return spoken.Invisible(r) || unicode.IsControl(r) }
