package content

import "testing"

func TestBlankText(t *testing.T) {
	blank := map[string]string{
		"empty": "", "spaces and tabs": " \t\n\r ", "ideographic space": "\u3000\u3000", "no-break space": "\u00a0",
		"zero-width space": "\u200b\u200b\u200b", "zero-width joiners": "\u200c\u200d", "word joiner": "\u2060",
		"byte order mark": "\ufeff", "direction marks": "\u200e\u200f\u202a\u202c\u2066\u2069", "soft hyphen": "\u00ad",
		"mongolian vowel separator": "\u180e", "hangul filler": "\u3164\uffa0", "combining marks only": "\u0301\u20dd",
		"variation selectors": "\ufe0f\U000E0100", "tag characters": "\U000E0001\U000E0041", "braille blank": "\u2800",
		"mixed invisible": " \u200b\ufeff\u3000\u2060 ",
	}
	visible := map[string]string{
		"chinese reason": "政策调整", "reason with zero-width inside": "\u200b紧\u200b急\u200b", "ascii": "x",
		"punctuation": "。", "emoji": "\U0001F6A8", "digit": "0",
	}
	for want, cases := range map[bool]map[string]string{true: blank, false: visible} {
		for name, in := range cases {
			if got := blankText(in); got != want {
				t.Errorf("%s: blankText(%+q) = %v, want %v", name, in, got, want)
			}
		}
	}
}
