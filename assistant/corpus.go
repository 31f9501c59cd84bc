package assistant

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/spoken"
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
	names   []string        // name and aliases, folded by topicText
	grams   map[string]bool // bigrams of name and aliases
	runes   map[rune]bool   // characters of name and aliases
	summary map[string]bool // bigrams of the summary and FAQ questions
}

// NewCorpus indexes gs.
func NewCorpus(gs []content.Guide) *Corpus {
	c := &Corpus{guides: make(map[string]*content.Guide, len(gs))}
	for i := range gs {
		g := gs[i]
		c.guides[g.Code] = &g
		d := corpusDoc{code: g.Code, grams: map[string]bool{}, runes: map[rune]bool{}, summary: map[string]bool{}}
		for _, n := range append([]string{g.Name}, g.Aliases...) {
			n = topicText(n)
			d.names = append(d.names, strings.TrimSpace(n))
			for k := range bigrams(topicText(n)) {
				d.grams[k] = true
			}
			for _, r := range n {
				d.runes[r] = true
			}
		}
		text := g.Summary
		for _, q := range g.FAQ {
			text += "。" + q.Q
		}
		for k := range bigrams(topicText(text)) {
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
func (c *Corpus) Codes() []string { return slices.Sorted(maps.Keys(c.guides)) }

// Retrieve scores every guide: a name or alias said in full counts most (longer ones more), then
// the share of the question's character bigrams found in the names, then in the summary and FAQ.
func (c *Corpus) Retrieve(_ context.Context, query string, limit int) ([]Hit, error) {
	folded := topicText(query) // names are matched with question words blanked on both sides
	topic := queryTopic(query)
	qg := bigrams(topic)
	var qr []rune
	for _, r := range topic {
		if unicode.Is(unicode.Han, r) {
			qr = append(qr, r)
		}
	}
	var hits []Hit
	for _, d := range c.docs {
		score := 0.0
		for _, n := range d.names {
			if n != "" && strings.Contains(folded, n) {
				score += 1.5 + float64(utf8.RuneCountInString(n))/2
			}
		}
		if len(qg) > 0 {
			nameHits, sumHits := 0, 0
			for k := range qg {
				switch {
				case d.grams[k]:
					nameHits++
				case d.summary[k]:
					sumHits++
				}
			}
			score += (3*float64(nameHits) + float64(sumHits)) / float64(len(qg))
			if nameHits == 0 && score < 2 {
				score /= 2 // only summary words: weak
			}
		}
		if score > 0 && len(qr) > 0 {
			covered := 0
			for _, r := range qr {
				if d.runes[r] {
					covered++
				}
			}
			score += 0.5 * float64(covered) / float64(len(qr)) // breaks ties between similar names
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

// questionWords carry no topic: they are removed before matching topics.
var questionWords = strings.NewReplacer("怎么办", " ", "怎么样", " ", "怎么", " ", "什么", " ", "如何", " ", "多少", " ",
	"哪里", " ", "哪儿", " ", "可以", " ", "能不能", " ", "需要", " ", "是不是", " ", "有没有", " ", "吗", " ", "呢", " ",
	"了", " ", "的", " ", "我", " ", "你", " ", "吧", " ", "啊", " ", "要", " ", "请问", " ", "一下", " ", "自己", " ",
	// the same said in dialect or colloquially (俺, 咋, 啥), and particles and fillers no guide
	// writes: bigrams across them (俺老, 咋办) would weigh as words the guides never use
	"为啥", " ", "咋样", " ", "咋", " ", "啥", " ", "俺们", " ", "俺", " ", "咱们", " ", "咱", " ", "您", " ",
	"人家", " ", "到底", " ", "听说", " ", "那边", " ", "这边", " ", "呀", " ", "嘛", " ", "呗", " ", "啦", " ",
	"哩", " ", "嘞", " ")

// topicText folds variants (缴/交, Chinese numerals) and blanks out question and function
// words, so that bigrams do not bridge them.
func topicText(s string) string {
	s = strings.ReplaceAll(s, "缴", "交")
	s = numeralsToDigits(s)
	return questionWords.Replace(s)
}

// numeralsToDigits rewrites positional Chinese numerals of two or more characters as digits
// (十五年 → 15年), so that they match aliases written either way.
func numeralsToDigits(s string) string {
	if !strings.ContainsAny(s, "十百千") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && strings.ContainsRune("一二两三四五六七八九十百千", rs[j]) {
			j++
		}
		if j-i >= 2 {
			if v, ok := spoken.ParseNumber(string(rs[i:j])); ok {
				b.WriteString(formatNumber(v))
				i = j
				continue
			}
		}
		if j == i {
			j++
		}
		b.WriteString(string(rs[i:j]))
		i = j
	}
	return b.String()
}

// queryTopic is topicText of a question with the words that name an element removed: "要带
// 什么材料" says what is asked about, not which guide.
func queryTopic(q string) string {
	for _, ec := range elementCues {
		for _, c := range ec.strong {
			q = strings.ReplaceAll(q, c, " ")
		}
	}
	return topicText(q)
}
