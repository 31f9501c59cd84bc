package answer

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"shebao/internal/spoken"
)

// spokenDigits are the ways one digit is said or written: ASCII, Chinese, and the telephone
// forms 幺 (1), 两 (2), 洞 (0).
var spokenDigits = [10][]string{
	{"0", "零", "洞", "〇"}, {"1", "一", "幺"}, {"2", "二", "两"}, {"3", "三"}, {"4", "四"},
	{"5", "五"}, {"6", "六"}, {"7", "七"}, {"8", "八"}, {"9", "九"},
}

// say writes digits as a person might say them: each digit in one of its forms, in groups of the
// given sizes with a pause between, and an X as 叉, 艾克斯 or x.
func say(r *rand.Rand, digits string, groups []int) string {
	var b strings.Builder
	pauses := []string{" ", "，", "、", "…", " 嗯 ", "-"}
	pause := pauses[r.IntN(len(pauses))]
	g, left := 0, groups[0]
	for i := 0; i < len(digits); i++ {
		if left == 0 && g+1 < len(groups) {
			b.WriteString(pause)
			g++
			left = groups[g]
		}
		left--
		if digits[i] == 'X' {
			b.WriteString([]string{"叉", "艾克斯", "x", "X"}[r.IntN(4)])
			continue
		}
		forms := spokenDigits[digits[i]-'0']
		b.WriteString(forms[r.IntN(len(forms))])
	}
	return b.String()
}

// randomID returns a valid ID number: a province, a real birth date before today, a sequence
// number and its check digit.
func randomID(r *rand.Rand) string {
	codes := strings.Fields(provinces)
	birth := time.Date(1920, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(36000))
	first17 := fmt.Sprintf("%s%04d%s%03d", codes[r.IntN(len(codes))], r.IntN(10000), birth.Format("20060102"), r.IntN(1000))
	return first17 + string(spoken.IDCheckDigit(first17))
}

func randomCard(r *rand.Rand) string {
	n := 16 + r.IntN(4)
	d := []byte("62")
	for len(d) < n-1 {
		d = append(d, byte('0'+r.IntN(10)))
	}
	return string(d) + string(spoken.LuhnDigit(string(d)))
}

// TestCheckDigitsSpoken says thousands of valid ID and bank card numbers in every spoken form and
// checks each reads back exactly; then changes one digit, or swaps two neighbours, and checks
// every such number is refused. The check digits catch every single-digit change (and, for ID
// numbers, every swap; Luhn misses only 09↔90, which is skipped).
func TestCheckDigitsSpoken(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		id := randomID(r)
		said := say(r, id, []int{6, 8, 4})
		if v, err := Parse(IDCard, said, day); err != nil || v.Text != id {
			t.Fatalf("ID %s said %q: %q, %v", id, said, v.Text, err)
		}
		bad := mutate(r, id)
		if bad == id {
			continue
		}
		if v, err := Parse(IDCard, say(r, bad, []int{6, 8, 4}), day); err == nil {
			t.Fatalf("ID %s changed to %s accepted as %s", id, bad, v.Text)
		}

		card := randomCard(r)
		said = say(r, card, []int{4, 4, 4, 4, 3})
		if v, err := Parse(BankCard, said, day); err != nil || v.Text != card {
			t.Fatalf("card %s said %q: %q, %v", card, said, v.Text, err)
		}
		bad = mutate(r, card)
		if bad == card || strings.Contains(card, "09") || strings.Contains(card, "90") {
			continue
		}
		if v, err := Parse(BankCard, say(r, bad, []int{4, 4, 4, 4, 3}), day); err == nil {
			t.Fatalf("card %s changed to %s accepted as %s", card, bad, v.Text)
		}
	}
}

// mutate changes one digit of d or swaps two different neighbouring digits.
func mutate(r *rand.Rand, d string) string {
	b := []byte(d)
	i := r.IntN(len(b) - 1)
	if r.IntN(2) == 0 && b[i] != b[i+1] && b[i] != 'X' && b[i+1] != 'X' {
		b[i], b[i+1] = b[i+1], b[i]
		return string(b)
	}
	if b[i] == 'X' {
		return d
	}
	b[i] = byte('0' + (int(b[i]-'0')+1+r.IntN(9))%10)
	return string(b)
}

// TestPhoneSpoken does the same for mobile numbers, which have no check digit: each reads back,
// and a digit more or less is refused.
func TestPhoneSpoken(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	prefixes := []string{"130", "138", "139", "145", "150", "159", "166", "177", "186", "188", "199"}
	for i := 0; i < 1000; i++ {
		p := prefixes[r.IntN(len(prefixes))] + fmt.Sprintf("%08d", r.IntN(100_000_000))
		said := say(r, p, []int{3, 4, 4})
		if v, err := Parse(Phone, said, today); err != nil || v.Text != p {
			t.Fatalf("%s said %q: %q, %v", p, said, v.Text, err)
		}
		if v, err := Parse(Phone, say(r, p[:10], []int{3, 4, 3}), today); err == nil {
			t.Fatalf("10 digits %s accepted as %s", p[:10], v.Text)
		}
		if v, err := Parse(Phone, say(r, p+"5", []int{3, 4, 5}), today); err == nil {
			t.Fatalf("12 digits %s5 accepted as %s", p, v.Text)
		}
	}
}
