package spoken

import (
	"strconv"
	"strings"
)

// This file is the other direction: numbers said aloud, the way a person at the counter reads
// them (and the way a speech synthesiser should): 12333 as 幺二三三三, 2138.4元 as 两千一百三十八元四角,
// 1953年 as 一九五三年, 139个月 as 一百三十九个月.

// digitSaid are the digits as read one by one in a number: 1 is 幺 (not 一), which is how phone
// numbers, ID numbers and hotlines are read, so that 一 and 七 are not confused on the phone.
var digitSaid = [10]string{"零", "幺", "二", "三", "四", "五", "六", "七", "八", "九"}

// digitPlain are the digits as read in years (一九五三年) and decimals (十五点五).
var digitPlain = [10]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// SayDigits reads a string of ASCII digits one by one, 1 as 幺: "12333" → "幺二三三三". Other
// characters are left out.
func SayDigits(s string) string { return sayEach(s, &digitSaid) }

// SayYear reads a year digit by digit, 1 as 一: 1953 → "一九五三".
func SayYear(s string) string { return sayEach(s, &digitPlain) }

func sayEach(s string, names *[10]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteString(names[c-'0'])
		}
	}
	return b.String()
}

// SayDigitGroups reads a long number digit by digit in the groups people pause between, joined
// by "，": up to five digits in one group (12333), a mobile number 3-4-4, an ID number 6-8-4
// (region, birth date, sequence), a number with a 0 area code (02988886666) as area code then
// groups of four, anything else in groups of four from the left.
func SayDigitGroups(s string) string {
	var sizes []int
	switch n := len(s); {
	case n <= 5:
		return SayDigits(s)
	case n == 11 && s[0] == '1':
		sizes = []int{3, 4, 4}
	case n == 18:
		sizes = []int{6, 8, 4}
	case s[0] == '0' && n >= 10 && n <= 12:
		area := 3 // 029, 010
		if n == 12 || s[1] != '1' && s[1] != '2' && n == 11 {
			area = 4 // 0917
		}
		sizes = append([]int{area}, fours(n-area)...)
	default:
		sizes = fours(n)
	}
	parts := make([]string, 0, len(sizes))
	i := 0
	for _, k := range sizes {
		parts = append(parts, SayDigits(s[i:i+k]))
		i += k
	}
	return strings.Join(parts, "，")
}

// fours splits n into groups of four, the first taking the remainder.
func fours(n int) []int {
	var out []int
	if r := n % 4; r != 0 {
		out = append(out, r)
		n -= r
	}
	for ; n > 0; n -= 4 {
		out = append(out, 4)
	}
	return out
}

// SayCardinal says a whole number as a quantity: 20 → 二十, 105 → 一百零五, 2000 → 两千,
// 12000 → 一万两千, 139 → 一百三十九. A 2 that leads a 百, 千, 万 or 亿 is said 两, as people say it (but 一千二百).
func SayCardinal(n int64) string {
	switch {
	case n < 0:
		return "负" + SayCardinal(-n)
	case n == 0:
		return "零"
	}
	var b strings.Builder
	sayCardinal(&b, n, true)
	return b.String()
}

func sayCardinal(b *strings.Builder, n int64, leading bool) {
	for _, big := range []struct {
		div  int64
		name string
	}{{1e8, "亿"}, {1e4, "万"}} {
		if n >= big.div {
			hi, lo := n/big.div, n%big.div
			if hi == 2 {
				b.WriteString("两") // 两万, 两亿
			} else {
				sayCardinal(b, hi, leading)
			}
			b.WriteString(big.name)
			if lo > 0 {
				if lo < big.div/10 {
					b.WriteString("零")
				}
				sayCardinal(b, lo, false)
			}
			return
		}
	}
	// below 10000
	names := [4]string{"千", "百", "十", ""}
	divs := [4]int64{1000, 100, 10, 1}
	started, zero := false, false
	for i, d := range divs {
		v := n / d % 10
		if v == 0 {
			zero = started
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		switch {
		case v == 1 && d == 10 && !started && leading: // 十五, not 一十五
		case v == 2 && d >= 100 && !started: // 两千一百, but 一千二百
			b.WriteString("两")
		default:
			b.WriteString(digitPlain[v])
		}
		b.WriteString(names[i])
		started = true
	}
}

// SayDecimal says a number written with Arabic digits and an optional decimal part:
// "15.5" → "十五点五", "0.5" → "零点五". Whole numbers of twelve digits or more are read digit
// by digit.
func SayDecimal(intPart, frac string) string {
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || len(intPart) >= 12 {
		return SayDigitGroups(intPart)
	}
	out := SayCardinal(n)
	if frac != "" {
		out += "点" + SayYear(frac)
	}
	return out
}

// SayMoney says an amount of yuan written with Arabic digits: ("2138", "4") →
// "两千一百三十八元四角", ("3", "05") → "三元零五分", ("0", "5") → "五角", ("2000", "") → "两千元".
// Decimal places past the fen are dropped.
func SayMoney(intPart, frac string) string {
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return SayDigitGroups(intPart) + "元"
	}
	jiao, fen := 0, 0
	if len(frac) > 0 {
		jiao = int(frac[0] - '0')
	}
	if len(frac) > 1 {
		fen = int(frac[1] - '0')
	}
	var b strings.Builder
	if n > 0 || jiao == 0 && fen == 0 {
		b.WriteString(sayCount(n))
		b.WriteString("元")
	}
	switch {
	case jiao > 0:
		b.WriteString(sayCount(int64(jiao)) + "角")
	case fen > 0 && n > 0:
		b.WriteString("零")
	}
	if fen > 0 {
		b.WriteString(digitPlain[fen] + "分")
	}
	return b.String()
}

// sayCount says a number before a measure word: 2 is 两 (两元, 两份), otherwise SayCardinal.
func sayCount(n int64) string {
	if n == 2 {
		return "两"
	}
	return SayCardinal(n)
}

// SayCount is SayCardinal for a number followed by a measure word (个, 份, 项, 元…), where 2 is
// said 两: 2 → 两 (两份), 12 → 十二.
func SayCount(n int64) string { return sayCount(n) }
