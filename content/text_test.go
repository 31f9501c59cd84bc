package content

import "testing"

func TestBlankText(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    string
		blank bool
	}{
		{"empty", "", true},
		{"spaces and tabs", " \t\n\r ", true},
		{"ideographic space", "\u3000\u3000", true},
		{"no-break space", "\u00a0", true},
		{"zero-width space", "\u200b\u200b\u200b", true},
		{"zero-width joiners", "\u200c\u200d", true},
		{"word joiner", "\u2060", true},
		{"byte order mark", "\ufeff", true},
		{"direction marks", "\u200e\u200f\u202a\u202c\u2066\u2069", true},
		{"soft hyphen", "\u00ad", true},
		{"mongolian vowel separator", "\u180e", true},
		{"hangul filler", "\u3164\uffa0", true},
		{"combining marks only", "\u0301\u20dd", true},
		{"variation selectors", "\ufe0f\U000E0100", true},
		{"tag characters", "\U000E0001\U000E0041", true},
		{"braille blank", "\u2800", true},
		{"mixed invisible", " \u200b\ufeff\u3000\u2060 ", true},
		{"chinese reason", "政策调整", false},
		{"reason with zero-width inside", "\u200b紧\u200b急\u200b", false},
		{"ascii", "x", false},
		{"punctuation", "。", false},
		{"emoji", "\U0001F6A8", false},
		{"digit", "0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := blankText(c.in); got != c.blank {
				t.Errorf("blankText(%q) = %v, want %v", c.in, got, c.blank)
			}
		})
	}
}
