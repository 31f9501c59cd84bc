package search

import (
	"context"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"shebao/internal/apperr"
)

// Suggestion is one as-you-type completion: a guide name or alias that starts with what was typed
// (in characters, full pinyin or initials).
type Suggestion struct {
	Text  string `json:"text"`  // the name or alias to show and search for
	Code  string `json:"code"`  // the guide it belongs to
	Title string `json:"title"` // that guide's name
}

// Suggestion limits.
const (
	DefaultSuggestions = 8
	MaxSuggestions     = 20
	suggestScan        = 2000 // prefix matches looked at, at most
)

// suggestIndex is a sorted list of keys (the text itself, its full pinyin, its initials), each
// pointing at a name or alias; a prefix lookup is a binary search. Immutable once built.
type suggestIndex struct {
	keys  []suggestKey
	items []suggestItem
}

type suggestKey struct {
	key  string
	item int32
}

type suggestItem struct {
	text, code, title string
	alias             bool
	runes             int
}

func (s *Service) buildSuggestIndex() *suggestIndex {
	s.mu.RLock()
	ix := &suggestIndex{}
	for _, e := range s.entries {
		for i, t := range append([]string{e.name}, e.aliases...) {
			ix.items = append(ix.items, suggestItem{text: t, code: e.code, title: e.name, alias: i > 0, runes: utf8.RuneCountInString(t)})
		}
	}
	s.mu.RUnlock()
	for i, it := range ix.items {
		text := strings.ReplaceAll(s.lx.normalize(it.text), " ", "")
		full, initials := s.lx.pinyinKeys(text)
		for _, k := range []string{text, full, initials} {
			if k != "" {
				ix.keys = append(ix.keys, suggestKey{k, int32(i)})
			}
		}
	}
	sort.Slice(ix.keys, func(i, j int) bool { return ix.keys[i].key < ix.keys[j].key })
	return ix
}

// suggestions returns the current index, building it on first use and refreshing it in the
// background after changes (a stale list for a moment is fine for completions).
func (s *Service) suggestions() *suggestIndex {
	ix := s.suggestIdx.Load()
	if ix != nil && !s.suggestDirty.Load() {
		return ix
	}
	if ix == nil {
		s.suggestMu.Lock()
		defer s.suggestMu.Unlock()
		if ix = s.suggestIdx.Load(); ix == nil {
			s.suggestDirty.Store(false)
			ix = s.buildSuggestIndex()
			s.suggestIdx.Store(ix)
		}
		return ix
	}
	if s.suggestMu.TryLock() {
		go func() {
			defer s.suggestMu.Unlock()
			for s.suggestDirty.Swap(false) {
				s.suggestIdx.Store(s.buildSuggestIndex())
			}
		}()
	}
	return ix
}

// Suggest completes what the user is typing from guide names and aliases, matching characters,
// full pinyin (shebaoka, 社保ka) and initials (sbk). Names come before aliases, short before long.
func (s *Service) Suggest(ctx context.Context, q string, limit int) ([]Suggestion, error) {
	if limit == 0 {
		limit = DefaultSuggestions
	}
	if limit < 0 || limit > MaxSuggestions {
		return nil, apperr.Newf(apperr.InvalidParameter, "limit 应为1到%d之间的整数。", MaxSuggestions)
	}
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		return nil, apperr.New(apperr.QueryTooLong, "")
	}
	text := strings.ReplaceAll(s.lx.normalize(sanitize(q)), " ", "")
	out := []Suggestion{}
	if text == "" {
		return out, nil
	}
	prefix := text
	if strings.ContainsFunc(text, func(r rune) bool { return r >= 'a' && r <= 'z' }) {
		prefix, _ = s.lx.pinyinKeys(text) // 社保ka → shebaoka
	}
	ix := s.suggestions()
	i := sort.Search(len(ix.keys), func(i int) bool { return ix.keys[i].key >= prefix })
	var cands []int32
	for n := 0; i < len(ix.keys) && n < suggestScan && strings.HasPrefix(ix.keys[i].key, prefix); i, n = i+1, n+1 {
		cands = append(cands, ix.keys[i].item)
	}
	// Names before aliases, short before long; an item reached by two keys counts once.
	sort.Slice(cands, func(a, b int) bool {
		x, y := &ix.items[cands[a]], &ix.items[cands[b]]
		if x.alias != y.alias {
			return !x.alias
		}
		if x.runes != y.runes {
			return x.runes < y.runes
		}
		if x.text != y.text {
			return x.text < y.text
		}
		return cands[a] < cands[b]
	})
	for _, c := range cands {
		it := &ix.items[c]
		if slices.ContainsFunc(out, func(s Suggestion) bool { return s.Text == it.text }) {
			continue
		}
		out = append(out, Suggestion{Text: it.text, Code: it.code, Title: it.title})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
