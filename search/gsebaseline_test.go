package search

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/whitespace"
	"github.com/go-ego/gse"

	"shebao/content"
)

// gseBaseline is searcheval's second baseline, rebuilt here so it can run in-process: text
// segmented by gse (search mode, embedded simplified dictionary) and indexed by whitespace,
// title boosted 3×.
func gseBaseline(guides []content.Guide) (bleve.Index, *gse.Segmenter, error) {
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		return nil, nil, err
	}
	im := bleve.NewIndexMapping()
	if err := im.AddCustomAnalyzer("ws", map[string]any{"type": custom.Name, "tokenizer": whitespace.Name,
		"token_filters": []string{lowercase.Name}}); err != nil {
		return nil, nil, err
	}
	im.DefaultAnalyzer = "ws"
	idx, err := bleve.NewMemOnly(im)
	if err != nil {
		return nil, nil, err
	}
	b := idx.NewBatch()
	for i := range guides {
		raw, _ := json.Marshal(&guides[i])
		var v any
		json.Unmarshal(raw, &v)
		var sb strings.Builder
		flatten(v, &sb)
		doc := map[string]string{"title": guides[i].Name,
			"tseg": strings.Join(seg.CutSearch(guides[i].Name, true), " "),
			"bseg": strings.Join(seg.CutSearch(sb.String(), true), " ")}
		if err := b.Index(fmt.Sprint(i), doc); err != nil {
			return nil, nil, err
		}
	}
	return idx, seg, idx.Batch(b)
}

func gseTitles(idx bleve.Index, seg *gse.Segmenter, q string) ([]string, error) {
	terms := strings.Join(seg.CutSearch(q, true), " ")
	t := bleve.NewMatchQuery(terms)
	t.SetField("tseg")
	t.SetBoost(3)
	b := bleve.NewMatchQuery(terms)
	b.SetField("bseg")
	return topTitles(idx, bleve.NewDisjunctionQuery(t, b))
}
