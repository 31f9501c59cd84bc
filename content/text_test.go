package content

import "testing"

// TestRequiredText checks that a reason made only of spaces and invisible characters is missing
// and that a visible one is kept, trimmed (the character sets are tested in internal/spoken).
func TestRequiredText(t *testing.T) {
	for in, want := range map[string]string{
		"": "", " \u3000\u200b\ufeff\u2060 ": "", "\u2800\u0301": "", "\U000E0001\U000E0041": "",
		" 政策调整\n": "政策调整", "\u200b紧\u200b急\u200b": "\u200b紧\u200b急\u200b",
	} {
		if got := requiredText(in); got != want {
			t.Errorf("requiredText(%+q) = %+q, want %+q", in, got, want)
		}
	}
}
