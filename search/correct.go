package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// unit is one step of a query as the corrector sees it: a Han character, a typed pinyin
// syllable, a typed initial, or anything else (digits, words that are not pinyin).
type unit struct {
	kind       unitKind
	text       string
	readings   []string
	start, end int  // byte offsets in the text
	gap        bool // a space comes before it
}

type unitKind uint8

const (
	unitOther unitKind = iota
	unitHan
	unitSyllable
	unitInitial
)

// maxInitials is the longest run of letters read as initials (sbk, ybdzpz).
const maxInitials = 8

// units splits normalised text into units.
func (v *vocabulary) units(text string) []unit {
	var out []unit
	gap := false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == ' ':
			gap = true
			i += size
			continue
		case isAlnum(r) && mixedAlnum(text[i:]) != "":
			// Letters and digits together (a form number, a code, mwus6zdc) are a literal token,
			// never pinyin: zd in it must not become 最低.
			run := mixedAlnum(text[i:])
			out = append(out, unit{kind: unitOther, text: run, start: i, end: i + len(run), gap: gap})
			i += len(run)
		case r >= 'a' && r <= 'z':
			j := i
			for j < len(text) && text[j] >= 'a' && text[j] <= 'z' {
				j++
			}
			run := text[i:j]
			if syls := v.lx.parseSyllables(run); syls != nil {
				p := i
				for k, s := range syls {
					out = append(out, unit{kind: unitSyllable, text: s, readings: []string{s}, start: p, end: p + len(s), gap: gap && k == 0})
					p += len(s)
				}
			} else if len(run) <= maxInitials {
				for k := 0; k < len(run); k++ {
					out = append(out, unit{kind: unitInitial, text: run[k : k+1], start: i + k, end: i + k + 1, gap: gap && k == 0})
				}
			} else {
				out = append(out, unit{kind: unitOther, text: run, start: i, end: j, gap: gap})
			}
			i = j
		case unicode.Is(unicode.Han, r):
			out = append(out, unit{kind: unitHan, text: text[i : i+size], readings: v.lx.readings[r], start: i, end: i + size, gap: gap})
			i += size
		default:
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if r2 == ' ' || r2 >= 'a' && r2 <= 'z' || unicode.Is(unicode.Han, r2) {
					break
				}
				j += s2
			}
			out = append(out, unit{kind: unitOther, text: text[i:j], start: i, end: j, gap: gap})
			i = j
		}
		gap = false
	}
	return out
}

func isAlnum(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

// mixedAlnum returns the run of ASCII letters and digits at the start of s when it holds both,
// else "".
func mixedAlnum(s string) string {
	letters, digits := false, false
	j := 0
	for j < len(s) && isAlnum(rune(s[j])) {
		if s[j] <= '9' {
			digits = true
		} else {
			letters = true
		}
		j++
	}
	if letters && digits {
		return s[:j]
	}
	return ""
}

// parseSyllables splits a run of letters into pinyin syllables, longest syllable first with
// backtracking, or returns nil when it is not pinyin.
func (lx *lexicon) parseSyllables(s string) []string {
	if len(s) > 60 {
		return nil
	}
	var out []string
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == len(s) {
			return true
		}
		for l := min(6, len(s)-i); l >= 1; l-- {
			if lx.syllables[s[i:i+l]] {
				out = append(out, s[i:i+l])
				if rec(i + l) {
					return true
				}
				out = out[:len(out)-1]
			}
		}
		return false
	}
	if !rec(0) {
		return nil
	}
	return out
}

// correction is one change the corrector made.
type correction struct {
	from, to string
}

// correct rewrites spans of text that are not words but sound like (or are one character away
// from) a word of the vocabulary, and typed pinyin or initials that spell one: 社保卡挂矢了 →
// 社保卡挂失了, shebaoka guashi → 社保卡 挂失, sbk → 社保卡. Words the dictionary knows are left
// alone, so 工商 is not turned into 工伤. It never uses bleve's fuzzy matching, which counts bytes.
func (v *vocabulary) correct(text string) (string, []correction) {
	us := v.units(text)
	lay := v.lx.layout(text)
	var b strings.Builder
	var fixes []correction
	last := 0
	// replace writes text[start:end] as repl.
	replace := func(start, end int, repl string) {
		if b.Len() == 0 {
			b.Grow(len(text) + 8)
		}
		b.WriteString(text[last:start])
		b.WriteString(repl)
		fixes = append(fixes, correction{from: text[start:end], to: repl})
		last = end
	}
	for i := 0; i < len(us) && i < correctWindow; {
		if us[i].kind == unitOther {
			i++
			continue
		}
		if us[i].kind == unitInitial {
			// A run of typed initials is read whole or not at all: sbk → 社保卡, but a run some
			// of whose letters spell no word (mxdgijnq → 勉县电工 i 几年 q) is a literal token
			// the user typed (a code, a name), and reading part of it would search for words
			// they never meant instead of what they wrote.
			j, pieces := v.initialRun(text, us, i, lay)
			for _, pc := range pieces {
				replace(pc.start, pc.end, pc.repl)
			}
			i = j
			continue
		}
		used, repl := 0, ""
		for l := min(maxSpanUnits, len(us)-i); l >= 2; l-- {
			span := us[i : i+l]
			if !spanOK(span) {
				continue
			}
			r, protect, ok := v.matchSpan(text, span, lay)
			if protect {
				used = l
				break
			}
			if ok {
				used, repl = l, r
				break
			}
		}
		if used == 0 {
			i++
			continue
		}
		if repl != "" {
			replace(us[i].start, us[i+used-1].end, repl)
		}
		i += used
	}
	if len(fixes) == 0 {
		return text, nil
	}
	b.WriteString(text[last:])
	return b.String(), fixes
}

// initialPiece is one word read from typed initials: the text from start to end becomes repl.
type initialPiece struct {
	start, end int
	repl       string
}

// initialRun reads the run of typed initials that starts at us[i] (up to a space or another
// kind of unit) as words, longest first, and returns where the run ends and the words read —
// none when some letter of the run spells no word.
func (v *vocabulary) initialRun(text string, us []unit, i int, lay *layout) (end int, pieces []initialPiece) {
	end = i + 1
	for end < len(us) && us[end].kind == unitInitial && !us[end].gap {
		end++
	}
	for k := i; k < end; {
		used := 0
		for l := min(maxSpanUnits, end-k); l >= 2; l-- {
			if r, _, ok := v.matchSpan(text, us[k:k+l], lay); ok {
				pieces = append(pieces, initialPiece{start: us[k].start, end: us[k+l-1].end, repl: r})
				used = l
				break
			}
		}
		if used == 0 {
			return end, nil
		}
		k += used
	}
	return end, pieces
}

// spanOK: no foreign units, initials only with initials, and no space inside a run of Han
// characters (typed pinyin may have spaces anywhere).
func spanOK(span []unit) bool {
	initials := span[0].kind == unitInitial
	for k, u := range span {
		if u.kind == unitOther || (u.kind == unitInitial) != initials {
			return false
		}
		if k > 0 && u.gap && u.kind == unitHan && span[k-1].kind == unitHan {
			return false
		}
	}
	return true
}

// matchSpan decides what to do with a span: protect it (it is a known word), replace it (it sounds
// like, or is spelled like, a vocabulary word), or neither.
func (v *vocabulary) matchSpan(text string, span []unit, lay *layout) (repl string, protect, ok bool) {
	switch span[0].kind {
	case unitInitial:
		var k strings.Builder
		for _, u := range span {
			k.WriteString(u.text)
		}
		if ws := v.initials[k.String()]; len(ws) > 0 {
			return v.best(ws), false, true
		}
		return "", false, false
	}
	allHan := true
	for _, u := range span {
		if u.kind != unitHan {
			allHan = false
		}
	}
	var w string
	wordsOnly := false
	if allHan {
		start, end := span[0].start, span[len(span)-1].end
		w = text[start:end]
		if v.count[w] > 0 || v.lx.knownWord(w) {
			return "", true, false
		}
		// A typo sits where the segmenter found no word; a span that cuts a word in two or
		// holds a particle (领什|么, 的钱) is a coincidence of sounds, not a typo.
		var ok bool
		if wordsOnly, ok = lay.fits(start, end, v.lx); !ok {
			return "", false, false
		}
	}
	readings := make([][]string, len(span))
	for k, u := range span {
		if len(u.readings) == 0 {
			return "", false, false
		}
		readings[k] = u.readings[:min(len(u.readings), queryReadings)]
	}
	if c := v.lookup(readings, w, false); c != "" && (!wordsOnly || utf8.RuneCountInString(c) >= 4) {
		return c, false, true
	}
	if wordsOnly {
		// Real words side by side (单位医保, 骑手受伤): only a long exact homophone (资格人证).
		return "", false, false
	}
	if c := v.lookup(readings, w, true); c != "" {
		return c, false, true
	}
	if allHan && len(span) >= 4 {
		if c := v.editNeighbour(w); c != "" {
			return c, false, true
		}
	}
	return "", false, false
}

// queryReadings is how many readings of a typed character are tried (還 is hái or huán, not
// the classical fú).
const queryReadings = 2

// layout is where the segmenter put word boundaries in a text.
type layout struct {
	bounds map[int]bool // byte offsets where a token starts or ends
	tokens map[int]string
}

func (lx *lexicon) layout(text string) *layout {
	l := &layout{bounds: map[int]bool{0: true, len(text): true}, tokens: map[int]string{}}
	off := 0
	for _, chunk := range strings.Split(text, " ") {
		if chunk != "" {
			for _, sg := range lx.seg.Segment([]byte(chunk)) {
				l.bounds[off+sg.Start()] = true
				l.bounds[off+sg.End()] = true
				l.tokens[off+sg.Start()] = sg.Token().Text()
			}
		}
		off += len(chunk) + 1
	}
	return l
}

// fits reports whether [start, end) begins and ends on token boundaries and holds no particle,
// and whether it is made only of words of two or more characters.
func (l *layout) fits(start, end int, lx *lexicon) (wordsOnly, ok bool) {
	if !l.bounds[start] || !l.bounds[end] {
		return false, false
	}
	wordsOnly = true
	for p := start; p < end; {
		t, ok := l.tokens[p]
		if !ok || t == "" {
			return false, false
		}
		if lx.particles[t] {
			return false, false
		}
		if utf8.RuneCountInString(t) < 2 {
			wordsOnly = false
		}
		p += len(t)
	}
	return wordsOnly, true
}

// lookup finds vocabulary words that sound like the span (exact toneless pinyin, or folded).
func (v *vocabulary) lookup(readings [][]string, self string, fuzzy bool) string {
	var cands []string
	combos(readings, func(syls []string) {
		var ws []string
		if fuzzy {
			ws = v.fuzzy[fuzzyKey(syls)]
		} else {
			ws = v.exact[strings.Join(syls, " ")]
		}
		for _, w := range ws {
			if w != self && !contains(cands, w) {
				cands = append(cands, w)
			}
		}
	})
	if len(cands) == 0 {
		return ""
	}
	return v.best(cands)
}

// editNeighbour finds a vocabulary word one character away from w: one inner character
// replaced (失业保验金 → 失业保险金) or left out (失业保金 → 失业保险金). Changes at either end are
// not tried: there a span usually just ends in the middle of the next word.
func (v *vocabulary) editNeighbour(w string) string {
	rs := []rune(w)
	var cands []string
	for i := 1; i < len(rs)-1; i++ {
		for _, c := range v.edits["s:"+string(rs[:i])+"*"+string(rs[i+1:])] {
			if !contains(cands, c) {
				cands = append(cands, c)
			}
		}
	}
	for _, c := range v.edits["d:"+w] {
		cr := []rune(c)
		// Only if the missing character was an inner one.
		if cr[0] == rs[0] && cr[len(cr)-1] == rs[len(rs)-1] && !contains(cands, c) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	return v.best(cands)
}
