package spoken

import (
	"strings"
	"unicode"
)

// Invisible reports whether r shows nothing on screen and is not white space: the characters
// pasted text uses to hide things or to defeat exact matching. It is the one such set of the
// program: the chat's sanitiser (assistant.Sanitize), search's query sanitiser, the spoken-value
// parser (answer) and the editorial checks for empty reasons and fields (IsBlank) all use it. It is
// the union of the sets those callers had before:
//   - control characters (Cc) that are not white space, and U+FFFD (where invalid UTF-8 decodes);
//   - format characters (Cf): zero-width space and joiners, BOM, bidi controls and isolates,
//     soft hyphen, the Mongolian vowel separator, tag characters;
//   - every other default-ignorable code point: variation selectors (FE00–FE0F, E0100–E01EF and
//     the Mongolian ones), Hangul fillers (115F, 1160, 3164, FFA0), the combining grapheme joiner;
//   - private-use characters (Co) and surrogates (Cs);
//   - the blank braille pattern U+2800, which renders as a blank.
//
// White space (tabs, new lines, U+3000, U+2028/2029, NEL) is not invisible: each caller decides
// whether it separates words or counts as blank. Nor are combining marks, which are visible on
// their base; IsBlank treats a run of them with no base as blank.
func Invisible(r rune) bool {
	if r < 0x7F {
		return r < 0x20 && !unicode.IsSpace(r)
	}
	if unicode.IsSpace(r) {
		return false
	}
	return r == unicode.ReplacementChar || r == '\u2800' ||
		unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs,
			unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// IsBlank reports whether s has nothing a reader can see: only white space, invisible characters
// and combining marks with no base. A required reason, comment, title or change note made only
// of spaces or zero-width characters counts as missing.
func IsBlank(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !Invisible(r) && !unicode.IsSpace(r) && !unicode.In(r, unicode.Z, unicode.Mn, unicode.Me)
	}) < 0
}
