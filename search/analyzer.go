package search

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	banalysis "github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/go-ego/gse"
)

// Names under which the analysis is registered with bleve.
const (
	tokenizerName = "shebao_gse"
	analyzerName  = "shebao_zh"
)

// registerTokenizer makes the gse tokenizer known to bleve. bleve's registry is process-wide
// and refuses a second registration, hence the Once; the tokenizer itself uses the shared
// lexicon, which is immutable.
var registerTokenizer = sync.OnceValue(func() error {
	return registry.RegisterTokenizer(tokenizerName, func(map[string]any, *registry.Cache) (banalysis.Tokenizer, error) {
		lx, err := sharedLexicon()
		if err != nil {
			return nil, err
		}
		return &gseTokenizer{lx: lx}, nil
	})
})

// addAnalyzer defines the Chinese analyzer in an index mapping.
func addAnalyzer(im *mapping.IndexMappingImpl) error {
	if err := registerTokenizer(); err != nil {
		return err
	}
	return im.AddCustomAnalyzer(analyzerName, map[string]any{"type": custom.Name, "tokenizer": tokenizerName})
}

// gseTokenizer is the bleve side of the analysis: normalise, segment with gse in search mode
// (each word and the dictionary words inside it, so 社会保障卡 is found by 社会保障卡, 保障卡 and
// 社会), and drop particles.
type gseTokenizer struct{ lx *lexicon }

func (t *gseTokenizer) Tokenize(input []byte) banalysis.TokenStream {
	text := t.lx.normalize(string(input))
	var out banalysis.TokenStream
	pos := 0
	offset := 0
	for _, chunk := range strings.Split(text, " ") {
		if chunk == "" {
			continue
		}
		segs := t.lx.seg.Segment([]byte(chunk))
		for i := range segs {
			s := &segs[i]
			tok := s.Token().Text()
			if t.lx.particles[tok] {
				continue
			}
			pos++
			out = appendToken(out, tok, offset+s.Start(), offset+s.End(), pos)
			emitSubwords(&out, s.Token(), offset+s.Start(), pos, t.lx)
		}
		offset += len(chunk) + 1
	}
	return out
}

func appendToken(out banalysis.TokenStream, term string, start, end, pos int) banalysis.TokenStream {
	typ := banalysis.Ideographic
	if r, _ := utf8.DecodeRuneInString(term); r < utf8.RuneSelf {
		typ = banalysis.AlphaNumeric
		if unicode.IsDigit(r) {
			typ = banalysis.Numeric
		}
	}
	return append(out, &banalysis.Token{Term: []byte(term), Start: start, End: end, Position: pos, Type: typ})
}

// emitSubwords adds the dictionary words inside tok at the same position, recursively.
func emitSubwords(out *banalysis.TokenStream, tok *gse.Token, base, pos int, lx *lexicon) {
	for _, sub := range tok.Segments() {
		st := sub.Token().Text()
		if !lx.particles[st] {
			*out = appendToken(*out, st, base+sub.Start(), base+sub.End(), pos)
		}
		emitSubwords(out, sub.Token(), base+sub.Start(), pos, lx)
	}
}

// words segments normalised text into the words of a query (gse's shortest path, not search
// mode), keeping particles: the caller decides what to drop.
func (lx *lexicon) words(text string) []string {
	var out []string
	for _, chunk := range strings.Split(text, " ") {
		if chunk == "" {
			continue
		}
		for _, s := range lx.seg.Segment([]byte(chunk)) {
			out = append(out, s.Token().Text())
		}
	}
	return out
}

// subwords returns the dictionary words inside w (search mode, without w itself).
func (lx *lexicon) subwords(w string) []string {
	segs := lx.seg.Segment([]byte(w))
	if len(segs) != 1 {
		// w is not one dictionary word: its parts are the words.
		var out []string
		for _, s := range segs {
			out = append(out, s.Token().Text())
		}
		return out
	}
	var out []string
	var walk func(t *gse.Token)
	walk = func(t *gse.Token) {
		for _, sub := range t.Segments() {
			out = append(out, sub.Token().Text())
			walk(sub.Token())
		}
	}
	walk(segs[0].Token())
	return out
}

// indexTerms returns the terms the analyzer indexes for text, for tests and the vocabulary.
func (lx *lexicon) indexTerms(text string) []string {
	ts := (&gseTokenizer{lx: lx}).Tokenize([]byte(text))
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t.Term)
	}
	return out
}

func (lx *lexicon) String() string { return fmt.Sprintf("lexicon(%s)", lx.stamp) }
