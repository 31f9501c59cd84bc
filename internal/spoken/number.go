package spoken

import (
	"strconv"
	"strings"
)

// ParseNumber parses a Chinese numeral: positional (十五, 五十五, 一百零五, 两千, 一万二千, and
// with Arabic digits in it, 1万2) or said digit by digit (一九七零, 七零, 幺二), optionally with a
// decimal part (十五点五). Digits are read with Digit.
func ParseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	if i := strings.IndexRune(s, '点'); i >= 0 {
		whole, ok := ParseNumber(s[:i])
		if !ok {
			return 0, false
		}
		frac := s[i+len("点"):]
		if frac == "" {
			return 0, false
		}
		var digits strings.Builder
		for _, r := range frac {
			d, ok := Digit(r)
			if !ok {
				return 0, false
			}
			digits.WriteByte(byte('0' + d))
		}
		f, err := strconv.ParseFloat(strconv.FormatFloat(whole, 'f', -1, 64)+"."+digits.String(), 64)
		return f, err == nil
	}
	if !strings.ContainsAny(s, "十百千万") {
		// digit by digit: 一九七零 → 1970
		n := 0
		for _, r := range s {
			d, ok := Digit(r)
			if !ok {
				return 0, false
			}
			n = n*10 + d
		}
		return float64(n), true
	}
	total, section, digit := 0, 0, -1
	lastUnit, zero := 0, false
	for _, r := range s {
		if d, ok := Digit(r); ok {
			if d == 0 {
				zero = true
				continue
			}
			if digit > 0 {
				return 0, false // two digits in a row in positional form
			}
			digit = d
			continue
		}
		var u int
		switch r {
		case '十':
			u = 10
		case '百':
			u = 100
		case '千':
			u = 1000
		case '万':
			section += max(digit, 0)
			if section == 0 {
				section = 1
			}
			total += section * 10000
			section, digit, lastUnit, zero = 0, -1, 10000, false
			continue
		default:
			return 0, false
		}
		if digit < 0 {
			if u != 10 {
				return 0, false
			}
			digit = 1 // 十五 = 15
		}
		section += digit * u
		digit, lastUnit, zero = -1, u, false
	}
	if digit > 0 {
		// 一万二 = 12000, 三百五 = 350: a trailing digit right after a unit is one order lower
		if lastUnit >= 100 && !zero {
			digit *= lastUnit / 10
		}
		section += digit
	}
	return float64(total + section), true
}
