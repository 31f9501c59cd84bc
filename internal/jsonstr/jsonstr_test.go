package jsonstr

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// TestAppendDecodes: what Append writes is one JSON string that decodes to s (invalid UTF-8 to
// U+FFFD, as encoding/json), for quotes, backslashes, control characters, HTML characters,
// Chinese, U+2028 and random bytes.
func TestAppendDecodes(t *testing.T) {
	cases := []string{"", "plain", `say "hi" \ back`, "tab\tnew\nline\r\x00\x1f", "<a href='x'>&</a>", "养老金领取资格认证",
		"\u2028\u2029", "bad \xff\xfe utf8", "emoji 😀"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		out := Append([]byte("x"), s)
		if out[0] != 'x' {
			t.Fatalf("Append overwrote what was there: %q", out)
		}
		var got string
		if err := json.Unmarshal(out[1:], &got); err != nil {
			t.Fatalf("%q: %s is not a JSON string: %v", s, out[1:], err)
		}
		want := s
		if !utf8.ValidString(s) {
			ref, _ := json.Marshal(s)
			_ = json.Unmarshal(ref, &want)
		}
		if got != want {
			t.Fatalf("%q: decoded %q, want %q", s, got, want)
		}
	}
}
