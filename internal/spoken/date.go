package spoken

import (
	"regexp"
	"strconv"
)

// Date is a date as said: Month and Day are 0 when they were not said ("七零年", "1970年1月").
type Date struct {
	Year, Month, Day int
}

// Valid reports whether d names at least a real month: a year, a month in 1–12 and a day, if
// any, in 1–31.
func (d Date) Valid() bool {
	return d.Year >= 1 && d.Year <= 9999 && d.Month >= 1 && d.Month <= 12 && d.Day >= 0 && d.Day <= 31
}

// yearDigits are the characters a year is said with digit by digit. 两, 幺 and 洞 are digits
// (see Digit) but nobody says a year with them, while "一两年" is a duration.
const yearDigits = "零〇○一二三四五六七八九"

var (
	// 1970年1月, 70年1月, 1970.1, 1970-01, 1970/1
	arabicYM = regexp.MustCompile(`(\d{2,4})\s*[年./-]\s*(\d{1,2})\s*月?`)
	// 1970年, 70年 (year only), with the word that makes a two-digit one a year
	arabicY = regexp.MustCompile(`(\d{2,4})\s*年(出生|生|的|人)?`)
	// 一九七零年一月, 七零年一月, 六八年
	chineseYM = regexp.MustCompile(`([` + yearDigits + `]{2}|[` + yearDigits + `]{4})年(([一二三四五六七八九十]{1,3})月)?`)
	// a month on its own, as an answer: 三月, 3月, 一月份
	monthOnly = regexp.MustCompile(`(^|[^\d年` + yearDigits + `十])(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月`)
)

// YearMonths returns the years (with their month when said) that text names, most explicit
// first: Arabic year and month (1970年1月, 70.1), then Chinese (一九七零年一月, 七零年), then an
// Arabic year alone (1970年, 70年出生). A caller looking for one date takes the first that fits
// what it asks for. century turns a two-digit year into a four-digit one: that choice depends on
// what is asked (a birth year, a date this year). Two-digit numbers below 30 before 年 with
// nothing after are durations (交了15年), not years, and are left out.
func YearMonths(text string, century func(yy int) int) []Date {
	var out []Date
	for _, sm := range arabicYM.FindAllStringSubmatch(text, -1) {
		if len(sm[1]) == 3 {
			continue
		}
		y, m := atoiSafe(sm[1]), atoiSafe(sm[2])
		if len(sm[1]) == 2 {
			y = century(y)
		}
		if m >= 1 && m <= 12 {
			out = append(out, Date{Year: y, Month: m})
		}
	}
	for _, sm := range chineseYM.FindAllStringSubmatch(text, -1) {
		v, _ := ParseNumber(sm[1])
		y := int(v)
		if len([]rune(sm[1])) == 2 {
			y = century(y)
		}
		m := 0
		if sm[3] != "" {
			mv, _ := ParseNumber(sm[3])
			m = int(mv)
		}
		if m >= 0 && m <= 12 {
			out = append(out, Date{Year: y, Month: m})
		}
	}
	for _, sm := range arabicY.FindAllStringSubmatch(text, -1) {
		if len(sm[1]) == 3 {
			continue
		}
		y := atoiSafe(sm[1])
		if len(sm[1]) == 2 {
			if sm[2] == "" && y < 30 {
				continue
			}
			y = century(y)
		}
		out = append(out, Date{Year: y})
	}
	return out
}

// Month finds a month said on its own, as the answer to "几月" ("三月的", "3月份"); 0 if none.
func Month(text string) int {
	sm := monthOnly.FindStringSubmatch(text)
	if sm == nil {
		return 0
	}
	v := atoiSafe(sm[2])
	if v == 0 {
		f, _ := ParseNumber(sm[2])
		v = int(f)
	}
	if v >= 1 && v <= 12 {
		return v
	}
	return 0
}

func atoiSafe(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
