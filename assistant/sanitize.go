package assistant

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// MaxMessageRunes is the longest user message the pipeline looks at; the rest is cut off.
const MaxMessageRunes = 500

// Sanitized is a user message after Sanitize.
type Sanitized struct {
	Text string // cleaned text, at most MaxMessageRunes characters
	// Hidden is the ASCII text that was smuggled in Unicode tag characters (U+E0020–U+E007E).
	// A non-empty Hidden is treated as an injection attempt: nobody types tag characters.
	Hidden    string
	Removed   int  // invisible or control characters removed
	Truncated bool // the text was longer than MaxMessageRunes
}

// Sanitize cleans one user message: it drops invalid UTF-8, the characters spoken.Invisible names
// (controls, zero-width, bidi overrides, variation selectors, soft hyphens, private use) and
// Unicode tag characters (decoding the latter into Hidden), turns full-width ASCII letters, digits
// and symbols into their half-width forms (Chinese punctuation is kept), collapses white space and
// caps the length. It is idempotent.
func Sanitize(s string) Sanitized {
	var out Sanitized
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	var b, hidden strings.Builder
	b.Grow(len(s))
	n := 0
	space := false // a space is pending
	for _, r := range s {
		if r >= 0xE0000 && r <= 0xE007F { // tag characters: invisible ASCII
			if r >= 0xE0020 && r <= 0xE007E && hidden.Len() < MaxMessageRunes {
				hidden.WriteRune(r - 0xE0000)
			}
			out.Removed++
			continue
		}
		r = spoken.FoldWidth(r)
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if spoken.Invisible(r) {
			out.Removed++
			continue
		}
		if n == MaxMessageRunes {
			out.Truncated = true
			break
		}
		if space {
			if n+1 == MaxMessageRunes { // no room for a character after the space
				out.Truncated = true
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	out.Text = b.String()
	out.Hidden = strings.TrimSpace(hidden.String())
	return out
}
