package spoken

import (
	"testing"
	"unicode"
)

// TestInvisible checks the union of the three sets it replaced (the chat sanitiser's, search's
// and the editorial blank check's), and that white space, marks and text are not in it.
func TestInvisible(t *testing.T) {
	t.Parallel()
	invisible := map[string][]rune{
		"C0 and C1 controls":   {0x00, 0x07, 0x1B, 0x7F, 0x9F},
		"zero-width and BOM":   {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF},
		"bidi controls":        {0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0x061C},
		"soft hyphen, MVS":     {0x00AD, 0x180E},
		"variation selectors":  {0xFE00, 0xFE0F, 0xE0100, 0xE01EF, 0x180B},
		"tag characters":       {0xE0001, 0xE0020, 0xE0041, 0xE007F},
		"hangul fillers, CGJ":  {0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F},
		"private use":          {0xE000, 0xF8FF, 0xF0000, 0x10FFFD},
		"replacement, braille": {unicode.ReplacementChar, 0x2800},
	}
	visible := map[string][]rune{
		"white space": {' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0xA0, 0x3000, 0x2028, 0x2029},
		"text":        {'a', '0', '社', '。', '，', 0x1F6A8, 0xFF10},
		"marks":       {0x0301, 0x20DD},
	}
	for name, rs := range invisible {
		for _, r := range rs {
			if !Invisible(r) {
				t.Errorf("%s: Invisible(%U) = false", name, r)
			}
		}
	}
	for name, rs := range visible {
		for _, r := range rs {
			if Invisible(r) {
				t.Errorf("%s: Invisible(%U) = true", name, r)
			}
		}
	}
}

func TestIsBlank(t *testing.T) {
	t.Parallel()
	blank := map[string]string{
		"empty": "", "spaces and tabs": " \t\n\r ", "ideographic space": "\u3000\u3000", "no-break space": "\u00a0",
		"zero-width space": "\u200b\u200b\u200b", "zero-width joiners": "\u200c\u200d", "word joiner": "\u2060",
		"byte order mark": "\ufeff", "direction marks": "\u200e\u200f\u202a\u202c\u2066\u2069", "soft hyphen": "\u00ad",
		"mongolian vowel separator": "\u180e", "hangul filler": "\u3164\uffa0", "combining marks only": "\u0301\u20dd",
		"variation selectors": "\ufe0f\U000E0100", "tag characters": "\U000E0001\U000E0041", "braille blank": "\u2800",
		"mixed invisible": " \u200b\ufeff\u3000\u2060 ", "line separators": "\u2028\u2029\u0085",
		"private use": "\ue000", "controls": "\x00\x07",
	}
	visible := map[string]string{
		"chinese reason": "政策调整", "reason with zero-width inside": "\u200b紧\u200b急\u200b", "ascii": "x",
		"punctuation": "。", "emoji": "\U0001F6A8", "digit": "0", "accented": "e\u0301",
	}
	for want, cases := range map[bool]map[string]string{true: blank, false: visible} {
		for name, in := range cases {
			if got := IsBlank(in); got != want {
				t.Errorf("%s: IsBlank(%+q) = %v, want %v", name, in, got, want)
			}
		}
	}
}
