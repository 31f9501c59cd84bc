package search

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk" // the baseline's analyzer
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"shebao/content"
)

// EvalQuery is one line of an evaluation file: a query and the title keywords that make a result
// a hit ("a|b": any of; "a+b": the title has both).
type EvalQuery struct {
	Query    string
	Keywords []string
}

// EvalScores are the quality figures of one system on a query set.
type EvalScores struct {
	Recall1 float64 `json:"recall_at_1"`
	Recall3 float64 `json:"recall_at_3"`
	MRR     float64 `json:"mrr"` // over the top 10
}

// EvalMiss is a query a system did not answer in its top 3, with what it returned.
type EvalMiss struct {
	System string   `json:"system"`
	Query  string   `json:"query"`
	Top    []string `json:"top"`
}

// EvalReport compares our search with a baseline built in the same run over the same guides:
// bleve's stock "cjk" analyzer (bigrams) and a plain match query over the whole guide.
type EvalReport struct {
	Queries  int        `json:"queries"`
	Guides   int        `json:"guides"`
	Ours     EvalScores `json:"ours"`
	Baseline EvalScores `json:"cjk_baseline"`
	Ratio3   float64    `json:"ratio_at_3"` // ours.recall@3 / baseline.recall@3
	Misses   []EvalMiss `json:"misses"`
}

// String renders the report as the table the issue asks for, then the misses.
func (r *EvalReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "queries=%d guides=%d\n", r.Queries, r.Guides)
	fmt.Fprintf(&b, "%-14s %9s %9s %7s\n", "system", "recall@1", "recall@3", "MRR")
	fmt.Fprintf(&b, "%-14s %9.3f %9.3f %7.3f\n", "ours", r.Ours.Recall1, r.Ours.Recall3, r.Ours.MRR)
	fmt.Fprintf(&b, "%-14s %9.3f %9.3f %7.3f\n", "cjk baseline", r.Baseline.Recall1, r.Baseline.Recall3, r.Baseline.MRR)
	fmt.Fprintf(&b, "ratio@3 = %.2f\n", r.Ratio3)
	for _, m := range r.Misses {
		fmt.Fprintf(&b, "miss(%s): %s -> %v\n", m.System, m.Query, m.Top)
	}
	return b.String()
}

// ReadEvalQueries reads "query<TAB>keywords" lines; blank lines and # comments are skipped.
func ReadEvalQueries(rd io.Reader) ([]EvalQuery, error) {
	var qs []EvalQuery
	sc := bufio.NewScanner(rd)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		q, kw, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("line %d: want query<TAB>keywords", n)
		}
		qs = append(qs, EvalQuery{Query: strings.TrimSpace(q), Keywords: strings.Split(strings.TrimSpace(kw), "|")})
	}
	return qs, sc.Err()
}

// Evaluate scores s (which must index guides) and the cjk baseline on the queries. Evaluation
// searches are not written to the query log.
func Evaluate(ctx context.Context, s *Service, guides []content.Guide, queries io.Reader) (*EvalReport, error) {
	qs, err := ReadEvalQueries(queries)
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("no queries")
	}
	known := map[string]bool{}
	for _, g := range guides {
		known[g.Name] = true
	}
	ours := func(q string) ([]string, error) {
		resp, err := s.search(ctx, Request{Query: q, Limit: 10}, false)
		if err != nil {
			return nil, err
		}
		var titles []string
		for _, r := range resp.Results {
			if known[r.Title] {
				titles = append(titles, r.Title)
			} else {
				titles = append(titles, "(not an evaluated guide)")
			}
		}
		return titles, nil
	}
	base, err := newBaseline(guides)
	if err != nil {
		return nil, err
	}
	defer base.Close()
	rep := &EvalReport{Queries: len(qs), Guides: len(guides)}
	var misses []EvalMiss
	rep.Ours, misses = scoreQueries("ours", qs, ours)
	rep.Misses = append(rep.Misses, misses...)
	rep.Baseline, misses = scoreQueries("cjk", qs, func(q string) ([]string, error) { return baselineTitles(base, q) })
	rep.Misses = append(rep.Misses, misses...)
	if rep.Baseline.Recall3 > 0 {
		rep.Ratio3 = rep.Ours.Recall3 / rep.Baseline.Recall3
	} else if rep.Ours.Recall3 > 0 {
		rep.Ratio3 = math.Inf(1)
	}
	return rep, nil
}

func scoreQueries(system string, qs []EvalQuery, search func(string) ([]string, error)) (EvalScores, []EvalMiss) {
	var sc EvalScores
	var misses []EvalMiss
	for _, q := range qs {
		titles, err := search(q.Query)
		if err != nil {
			misses = append(misses, EvalMiss{System: system, Query: q.Query, Top: []string{"error: " + err.Error()}})
			continue
		}
		rank := 0
		for i, t := range titles {
			if i >= 10 {
				break
			}
			if titleMatches(t, q.Keywords) {
				rank = i + 1
				break
			}
		}
		if rank == 1 {
			sc.Recall1++
		}
		if rank >= 1 && rank <= 3 {
			sc.Recall3++
		} else {
			misses = append(misses, EvalMiss{System: system, Query: q.Query, Top: titles[:min(3, len(titles))]})
		}
		if rank > 0 {
			sc.MRR += 1 / float64(rank)
		}
	}
	n := float64(len(qs))
	sc.Recall1, sc.Recall3, sc.MRR = sc.Recall1/n, sc.Recall3/n, sc.MRR/n
	return sc, misses
}

// titleMatches: any keyword group is in the title; a group "a+b" needs every part.
func titleMatches(title string, kws []string) bool {
	for _, k := range kws {
		if k == "" {
			continue
		}
		all := true
		for _, part := range strings.Split(k, "+") {
			if !strings.Contains(title, part) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// newBaseline indexes guides the way the project's evaluation tool does: title and the whole
// guide flattened to text, both with bleve's "cjk" analyzer, in memory.
func newBaseline(guides []content.Guide) (bleve.Index, error) {
	im := bleve.NewIndexMapping()
	im.DefaultAnalyzer = "cjk"
	dm := mapping.NewDocumentMapping()
	for _, f := range []string{"title", "body"} {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = "cjk"
		dm.AddFieldMappingsAt(f, fm)
	}
	im.DefaultMapping = dm
	idx, err := bleve.NewMemOnly(im)
	if err != nil {
		return nil, err
	}
	b := idx.NewBatch()
	for i := range guides {
		raw, err := json.Marshal(&guides[i])
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		var sb strings.Builder
		flatten(v, &sb)
		if err := b.Index(strconv.Itoa(i), map[string]string{"title": guides[i].Name, "body": sb.String()}); err != nil {
			return nil, err
		}
	}
	return idx, idx.Batch(b)
}

func flatten(v any, sb *strings.Builder) {
	switch t := v.(type) {
	case string:
		sb.WriteString(t)
		sb.WriteString("\n")
	case []any:
		for _, e := range t {
			flatten(e, sb)
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flatten(t[k], sb)
		}
	}
}

func baselineTitles(idx bleve.Index, q string) ([]string, error) {
	return topTitles(idx, bleve.NewMatchQuery(q))
}

// topTitles runs q on idx and returns the titles of the first ten hits.
func topTitles(idx bleve.Index, q query.Query) ([]string, error) {
	req := bleve.NewSearchRequestOptions(q, 10, 0, false)
	req.Fields = []string{"title"}
	res, err := idx.Search(req)
	if err != nil {
		return nil, err
	}
	var titles []string
	for _, h := range res.Hits {
		t, _ := h.Fields["title"].(string)
		titles = append(titles, t)
	}
	return titles, nil
}
