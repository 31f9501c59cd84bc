package content

import (
	"strings"
	"unicode"
)

// invisible reports whether r shows nothing on screen by itself: white space, control and format
// characters (Cf: zero-width spaces and joiners, BOM, direction marks, soft hyphen), combining
// marks with no base, variation selectors, and the code points Unicode says to ignore when
// rendering (Hangul fillers and the like), plus the blank braille pattern.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z, unicode.Mn, unicode.Me,
		unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) ||
		r == '\u2800' || r == unicode.ReplacementChar
}

// blankText reports whether s has nothing a reader can see, so a required reason, comment or
// change note made only of spaces or zero-width characters counts as missing.
func blankText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !invisible(r) }) < 0
}

// requiredText trims s and returns it, or "" when it has nothing visible.
func requiredText(s string) string {
	if blankText(s) {
		return ""
	}
	return strings.TrimSpace(s)
}
