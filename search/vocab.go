package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// vocabulary is the set of words a query may be corrected to: the words of guide names and
// aliases (counted by how many guides use them) and our domain dictionary. It is indexed by
// toneless pinyin (exact and with the usual accent confusions folded), by initials, and by
// one-character edits, so that 挂矢 → 挂失, shebaoka → 社保卡, sbk → 社保卡 and 失业保验金 → 失业保险金
// are lookups. Guarded by Service.mu.
type vocabulary struct {
	lx       *lexicon
	count    map[string]int // word → guides using it (+1 for domain words)
	exact    map[string][]string
	fuzzy    map[string][]string
	initials map[string][]string
	edits    map[string][]string
	titles   titleIndex
}

// Limits of the vocabulary and the correction search.
const (
	maxTargetRunes  = 8  // longest word or alias kept as a correction target
	maxSpanUnits    = 8  // longest query span tried
	maxReadingCombo = 16 // heteronym combinations tried per span
	correctWindow   = 64 // units of a query considered for correction
)

func newVocabulary(lx *lexicon) *vocabulary {
	v := &vocabulary{lx: lx, count: map[string]int{}, exact: map[string][]string{}, fuzzy: map[string][]string{},
		initials: map[string][]string{}, edits: map[string][]string{}, titles: titleIndex{lx: lx, post: map[string][]titlePosting{}}}
	for w := range lx.domain {
		if isHanWord(w) {
			v.add(w)
		}
	}
	return v
}

func isHanWord(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
		n++
	}
	return n >= 2 && n <= maxTargetRunes
}

// targetsOf returns the correction targets a guide contributes: its name and aliases when short,
// and the words inside them.
func (v *vocabulary) targetsOf(name string, aliases []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		if isHanWord(w) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, s := range append([]string{name}, aliases...) {
		s = v.lx.normalize(s)
		for _, part := range strings.Split(s, " ") {
			add(part)
			for _, w := range v.lx.words(part) {
				add(w)
				for _, sw := range v.lx.subwords(w) {
					add(sw)
				}
			}
		}
	}
	return out
}

// addGuide adds a guide's words: correction targets and title postings.
func (v *vocabulary) addGuide(e *guideEntry) {
	e.targets = v.targetsOf(e.name, e.aliases)
	for _, w := range e.targets {
		v.add(w)
	}
	v.titles.add(e)
}

// removeGuide takes back what addGuide added.
func (v *vocabulary) removeGuide(e *guideEntry) {
	for _, w := range e.targets {
		v.remove(w)
	}
	v.titles.remove(e)
}

func (v *vocabulary) add(w string) {
	v.count[w]++
	if v.count[w] > 1 {
		return
	}
	v.eachKey(w, func(m map[string][]string, k string) { m[k] = append(m[k], w) })
}

func (v *vocabulary) remove(w string) {
	if v.count[w] == 0 {
		return
	}
	v.count[w]--
	if v.count[w] > 0 {
		return
	}
	delete(v.count, w)
	v.eachKey(w, func(m map[string][]string, k string) {
		ws := m[k]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(m, k)
		} else {
			m[k] = ws
		}
	})
}

// eachKey calls fn with every index key of w.
func (v *vocabulary) eachKey(w string, fn func(m map[string][]string, key string)) {
	rs := []rune(w)
	readings := make([][]string, len(rs))
	for i, r := range rs {
		// The default reading only: rare readings of common characters (提 dī, 什 shí) would
		// make everyday words sound like targets.
		if rd := v.lx.readings[r]; len(rd) > 0 {
			readings[i] = rd[:1]
		} else {
			readings[i] = []string{"?"}
		}
	}
	seenE, seenF, seenI := map[string]bool{}, map[string]bool{}, map[string]bool{}
	combos(readings, func(syls []string) {
		k := strings.Join(syls, " ")
		if !seenE[k] {
			seenE[k] = true
			fn(v.exact, k)
		}
		f := fuzzyKey(syls)
		if !seenF[f] {
			seenF[f] = true
			fn(v.fuzzy, f)
		}
		in := initialsKey(syls)
		if !seenI[in] {
			seenI[in] = true
			fn(v.initials, in)
		}
	})
	if len(rs) >= 3 {
		for i := range rs {
			fn(v.edits, "s:"+string(rs[:i])+"*"+string(rs[i+1:]))
			fn(v.edits, "d:"+string(rs[:i])+string(rs[i+1:]))
		}
	}
}

// combos calls fn with each combination of one reading per character, at most maxReadingCombo.
func combos(readings [][]string, fn func([]string)) {
	cur := make([]string, len(readings))
	n := 0
	var rec func(i int)
	rec = func(i int) {
		if n >= maxReadingCombo {
			return
		}
		if i == len(readings) {
			n++
			fn(cur)
			return
		}
		for _, r := range readings[i] {
			cur[i] = r
			rec(i + 1)
		}
	}
	rec(0)
}

// fuzzyKey folds the confusions of southern accents and speech input: zh/z, ch/c, sh/s, n/l,
// and the nasal finals an/ang, en/eng, in/ing.
func fuzzyKey(syls []string) string {
	var b strings.Builder
	for i, s := range syls {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(foldSyllable(s))
	}
	return b.String()
}

func foldSyllable(s string) string {
	switch {
	case strings.HasPrefix(s, "zh"), strings.HasPrefix(s, "ch"), strings.HasPrefix(s, "sh"):
		s = s[:1] + s[2:]
	case strings.HasPrefix(s, "l"):
		s = "n" + s[1:]
	}
	if strings.HasSuffix(s, "ng") && len(s) > 2 && s != "ng" {
		s = s[:len(s)-1]
	}
	return s
}

func initialsKey(syls []string) string {
	b := make([]byte, len(syls))
	for i, s := range syls {
		b[i] = s[0]
	}
	return string(b)
}

// best picks the most used of several candidate words (then the shortest, then the first in
// order), so that corrections are deterministic.
func (v *vocabulary) best(cands []string) string {
	best := ""
	for _, c := range cands {
		if best == "" || v.count[c] > v.count[best] ||
			v.count[c] == v.count[best] && (utf8.RuneCountInString(c) < utf8.RuneCountInString(best) ||
				utf8.RuneCountInString(c) == utf8.RuneCountInString(best) && c < best) {
			best = c
		}
	}
	return best
}
