package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// sanitize turns white space (tabs, new lines, line separators) into spaces, drops invisible ones (spoken.Invisible: they are
// how pasted text hides things, and they break exact matching) and trims. It keeps the
// user's text otherwise as typed: it is what the query log stores (after masking) and echoes.
func sanitize(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return spoken.Invisible(r) || r != ' ' && unicode.IsSpace(r) }) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case spoken.Invisible(r):
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// normalize folds s into the form both queries and guides are analysed in: full-width ASCII to
// half-width, traditional to simplified for common characters, lower case, and every character
// that is neither a letter, a digit nor a Han character turned into a space (so that bleve query
// syntax like +-:^*?~"() is just text); runs of spaces collapse to one.
func (lx *lexicon) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // no leading space
	for _, r := range s {
		r = spoken.FoldWidth(r)
		if t, ok := lx.t2s[r]; ok {
			r = t
		}
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case unicode.Is(unicode.Han, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		b.WriteRune(r)
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

// stripFrames cuts spoken filler and question frames (我想问一下, 请问, 那个, 怎么办, 是不是…)
// out of normalised text, longest frame first, leaving a space where each was. Single-character
// particles (吗, 呢, 啊) are not cut here but dropped as tokens after segmentation, where they
// cannot be part of a word.
func (lx *lexicon) stripFrames(s string) string {
	if s == "" || len(lx.frames) == 0 {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	cut := false
	for i := 0; i < len(rs); {
		n := 0
		for l := min(lx.maxFrame, len(rs)-i); l >= 2; l-- {
			if lx.frameSet[string(rs[i:i+l])] {
				n = l
				break
			}
		}
		if n > 0 {
			b.WriteByte(' ')
			i += n
			cut = true
			continue
		}
		b.WriteRune(rs[i])
		i++
	}
	if !cut {
		return s
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
