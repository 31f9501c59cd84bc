// Package piitest generates personal numbers — valid 身份证号, mobile and landline numbers, bank
// card numbers — written and said in the forms people use (Arabic, full-width and Chinese
// digits with 幺, 两 and 洞, grouped with spaces, dots, hyphens or commas, and mixed), for the
// masker's property and fuzz tests and for the tests that check no such number reaches a
// table, a log line or a model request.
package piitest

import (
	"math/rand/v2"
	"strings"

	"shebao/internal/pii"
	"shebao/internal/spoken"
)

// Sample is one personal number in one form.
type Sample struct {
	Kind   pii.Kind
	Digits string // canonical: ASCII digits, X upper-case
	Text   string // as written or said
}

// areas are real 行政区划 prefixes of Shaanxi and elsewhere.
var areas = []string{"610102", "610103", "610104", "610111", "610202", "610302", "610402", "110105", "440305", "320102"}

// Generate returns a random personal number of a random kind in a random form.
func Generate(rng *rand.Rand) Sample {
	var s Sample
	switch rng.IntN(4) {
	case 0:
		s.Kind, s.Digits = pii.IDCard, ID(rng)
	case 1:
		s.Kind, s.Digits = pii.Mobile, Mobile(rng)
	case 2:
		s.Kind, s.Digits = pii.BankCard, Card(rng)
	default:
		s.Kind, s.Digits = pii.Phone, Landline(rng)
	}
	s.Text = Write(rng, s.Digits, groupsFor(rng, s.Kind, len(s.Digits)))
	return s
}

// ID returns a valid 18-character 身份证号 (the check digit may be X).
func ID(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(areas[rng.IntN(len(areas))])
	y := 1930 + rng.IntN(80)
	m := 1 + rng.IntN(12)
	d := 1 + rng.IntN(28)
	b.WriteString(pad(y, 4) + pad(m, 2) + pad(d, 2))
	b.WriteString(pad(rng.IntN(1000), 3))
	first17 := b.String()
	return first17 + string(spoken.IDCheckDigit(first17))
}

// Mobile returns an 11-digit mobile number.
func Mobile(rng *rand.Rand) string {
	return "1" + string(byte('3'+rng.IntN(7))) + digits(rng, 9)
}

// Card returns a 16–19 digit bank card number passing the Luhn check.
func Card(rng *rand.Rand) string {
	prefixes := []string{"622202", "621700", "622848", "436742", "625965", "603367"}
	n := 16 + rng.IntN(4)
	d := prefixes[rng.IntN(len(prefixes))]
	d += digits(rng, n-1-len(d))
	return d + string(spoken.LuhnDigit(d))
}

// Landline returns a landline number with its area code (029 8888 6666, 0917 1234567).
func Landline(rng *rand.Rand) string {
	if rng.IntN(2) == 0 {
		return "0" + string(byte('1'+rng.IntN(9))) + digits(rng, 1) + string(byte('2'+rng.IntN(8))) + digits(rng, 7)
	}
	return "0" + string(byte('1'+rng.IntN(9))) + digits(rng, 2) + string(byte('2'+rng.IntN(8))) + digits(rng, 6)
}

// groupsFor picks how a number is split into groups: not at all, the usual way for its kind,
// or at random.
func groupsFor(rng *rand.Rand, k pii.Kind, n int) []int {
	switch rng.IntN(3) {
	case 0:
		return []int{n}
	case 1:
		switch k {
		case pii.IDCard:
			return [][]int{{6, 8, 4}, {6, 4, 4, 4}, {3, 3, 4, 4, 4}}[rng.IntN(3)]
		case pii.Mobile:
			return [][]int{{3, 4, 4}, {3, 3, 5}, {3, 8}}[rng.IntN(3)]
		case pii.Phone:
			return []int{n - 8, 4, 4}
		default:
			var g []int
			for n > 4 {
				g, n = append(g, 4), n-4
			}
			return append(g, n)
		}
	}
	var g []int
	for n > 0 {
		k := min(n, 1+rng.IntN(6))
		g, n = append(g, k), n-k
	}
	return g
}

// separators are written between groups.
var separators = []string{" ", " ", "-", ".", "　", "－", "．", "，", " - ", "、", "·"}

// Write renders digits (with a final X, if any) in groups of the given sizes, in a random form:
// all Arabic, all full-width, all Chinese (with 幺, 两, 洞 sometimes), or every digit in its
// own random form; one separator throughout or a random one at each break.
func Write(rng *rand.Rand, d string, groups []int) string {
	if n := len(groups); strings.HasSuffix(d, "X") && n > 1 && groups[n-1] == 1 {
		// an X is written right after the last digit, never on its own
		groups = append(groups[:n-2:n-2], groups[n-2]+1)
	}
	style := rng.IntN(4)
	sep := separators[rng.IntN(len(separators))]
	mixedSep := rng.IntN(4) == 0
	var b strings.Builder
	i := 0
	for gi, n := range groups {
		if gi > 0 {
			if mixedSep {
				sep = separators[rng.IntN(len(separators))]
			}
			b.WriteString(sep)
		}
		for _, c := range []byte(d[i : i+n]) {
			st := style
			if st == 3 {
				st = rng.IntN(3)
			}
			b.WriteString(digitForm(rng, c, st))
		}
		i += n
	}
	return b.String()
}

var chinese = [10][]string{{"零", "〇", "洞"}, {"一", "幺"}, {"二", "两"}, {"三"}, {"四"}, {"五"}, {"六"}, {"七"}, {"八"}, {"九"}}

func digitForm(rng *rand.Rand, c byte, style int) string {
	if c == 'X' {
		return []string{"X", "x", "Ｘ", "叉"}[rng.IntN(4)]
	}
	switch style {
	case 0:
		return string(c)
	case 1:
		return string(rune('０' + rune(c-'0')))
	}
	forms := chinese[c-'0']
	return forms[rng.IntN(len(forms))]
}

func digits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

func pad(v, n int) string {
	s := strings.Repeat("0", n) + itoa(v)
	return s[len(s)-n:]
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// Leaked reports whether text still holds a digit of any form (see spoken.Digit). Tests embed
// samples in phrases without digit characters, so any digit left is a leak.
func Leaked(text string) bool {
	return strings.ContainsFunc(text, func(r rune) bool { _, ok := spoken.Digit(r); return ok })
}
