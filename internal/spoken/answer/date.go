package answer

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// Relative words, each with its offset from today in years, months or days. Longer words come
// first so that 大前年 is not read as 前年.
var (
	relYears = []relWord{{"大前年", -3}, {"大后年", 3}, {"前年", -2}, {"去年", -1}, {"上一年", -1}, {"今年", 0},
		{"本年", 0}, {"明年", 1}, {"后年", 2}}
	relMonths = []relWord{{"上上个月", -2}, {"下下个月", 2}, {"上个月", -1}, {"上月", -1}, {"这个月", 0},
		{"这月", 0}, {"本月", 0}, {"当月", 0}, {"下个月", 1}, {"下月", 1}}
	relDays = []relWord{{"大前天", -3}, {"大后天", 3}, {"前天", -2}, {"昨天", -1}, {"昨日", -1}, {"今天", 0},
		{"今日", 0}, {"当天", 0}, {"明天", 1}, {"明日", 1}, {"后天", 2}}
	weekPrefixes = []relWord{{"上上个", -2}, {"上上", -2}, {"下下个", 2}, {"下下", 2}, {"上个", -1}, {"上", -1},
		{"这个", 0}, {"这", 0}, {"本", 0}, {"下个", 1}, {"下", 1}}
)

// relWord is a word for a date relative to today.
type relWord struct {
	word   string
	offset int
}

// lunarWords mark a date in the lunar calendar, which a form does not take.
var lunarWords = []string{"农历", "阴历", "正月", "腊月", "冬月", "初一", "初二", "初三", "初四", "初五", "初六",
	"初七", "初八", "初九", "初十"}

// vagueDateWords name a part of a month or year, not a day or month.
var vagueDateWords = []string{"年初", "年底", "年末", "年中", "年头", "月初", "月底", "月末", "月中", "上旬",
	"中旬", "下旬", "前后", "左右", "那会", "时候", "多年"}

// dateDigits are the characters turned into Arabic digits before a date is read; 幺 and 洞 are
// for phone numbers, not dates.
func isDateNumeral(r rune) bool {
	switch r {
	case '幺', '洞', '俩', '仨':
		return false
	}
	return isNumeralRune(r)
}

// dateField is one part of a date said: a year, a month, a day, or a whole date.
type dateField struct {
	start, end int
	y, m, d    int  // 0 when not said
	relative   bool // read from today
	weekday    int  // 1 (Monday) to 7 (Sunday) when the day of the week was said
	err        error
}

func parseDate(s string, today time.Time) (Value, error) {
	if containsAny(s, lunarWords) {
		return Value{}, refuse(Lunar)
	}
	c := arabize(mask(s, numberStopwords))
	cut := lastRetraction(c)
	if containsAny(c[cut:], uncertain) {
		return Value{}, refuse(Hedged)
	}
	if containsAny(c[cut:], vagueDateWords) {
		return Value{}, refuse(VagueDate)
	}
	fields := dateFields(c, today)
	if len(fields) == 0 {
		return Value{}, refuse(NoDate)
	}
	var before, after []dateField
	for _, f := range fields {
		switch {
		case negated(c[:f.start]):
		case f.end <= cut:
			before = append(before, f)
		default:
			after = append(after, f)
		}
	}
	if len(after) == 0 {
		return Value{}, refuse(Retracted)
	}
	// a day of the week said with the day (1953年3月5号，星期四) checks it, not another date
	var weekdaysSaid []int
	if dayWithoutWeekday(after) {
		kept := after[:0]
		for _, f := range after {
			if f.weekday != 0 {
				weekdaysSaid = append(weekdaysSaid, f.weekday)
				continue
			}
			kept = append(kept, f)
		}
		after = kept
	}
	for _, f := range after {
		if f.err != nil {
			return Value{}, f.err
		}
	}
	said, err := mergeFields(after)
	if err != nil {
		return Value{}, err
	}
	if earlier, err := mergeFields(before); err == nil && !(said.y != 0 && said.m != 0 && said.d != 0) {
		// “1962年10月，不对，11月”: what is said again replaces what was said before
		if said.y == 0 {
			said.y = earlier.y
		}
		if said.m == 0 && said.y == earlier.y {
			said.m = earlier.m
		}
		if said.d == 0 && said.m == earlier.m && said.m != 0 {
			said.d = earlier.d
		}
	}
	if said.relative && today.IsZero() {
		return Value{}, refuse(NeedsToday)
	}
	switch {
	case said.y == 0 && said.m == 0:
		if today.IsZero() {
			return Value{}, refuse(NeedsToday)
		}
		said.y, said.m = today.Year(), int(today.Month()) // 15号: this month
	case said.y == 0:
		if today.IsZero() {
			return Value{}, refuse(NeedsToday)
		}
		said.y = today.Year() // 三月五号: this year
	case said.m == 0 && said.d == 0:
		return Value{}, refuse(YearOnly)
	case said.m == 0:
		return Value{}, refuse(NoMonth)
	}
	if said.y < 1900 || said.y > 2100 {
		return Value{}, refuse(YearOutside)
	}
	if said.m < 1 || said.m > 12 || said.d < 0 || said.d > daysIn(said.y, said.m) {
		return Value{}, refuse(BadDate)
	}
	for _, wd := range weekdaysSaid {
		if int(time.Date(said.y, time.Month(said.m), said.d, 0, 0, 0, 0, time.UTC).Weekday()) != wd%7 {
			return Value{}, refuse(Ambiguous)
		}
	}
	d := spoken.Date{Year: said.y, Month: said.m, Day: said.d}
	text := fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	if d.Day != 0 {
		text += fmt.Sprintf("-%02d", d.Day)
	}
	return Value{Kind: Date, Text: text, Date: d}, nil
}

// dayWithoutWeekday reports whether a day of the month is said other than by a day of the week.
func dayWithoutWeekday(fs []dateField) bool {
	for _, f := range fs {
		if f.d != 0 && f.weekday == 0 {
			return true
		}
	}
	return false
}

// mergeFields joins the parts of one date; the same part said twice with different values is
// two dates, not one.
func mergeFields(fs []dateField) (dateField, error) {
	var out dateField
	for _, f := range fs {
		for _, p := range []struct {
			dst *int
			v   int
		}{{&out.y, f.y}, {&out.m, f.m}, {&out.d, f.d}} {
			if p.v == 0 {
				continue
			}
			if *p.dst != 0 && *p.dst != p.v {
				return dateField{}, refuse(Ambiguous)
			}
			*p.dst = p.v
		}
		out.relative = out.relative || f.relative
	}
	return out, nil
}

// arabize writes every Chinese numeral in s in Arabic digits: 一九五三 → 1953, 五三 → 53, 十二 →
// 12, 三十一 → 31, 两千零五 → 2005. Runs that are not numerals are kept as they are.
func arabize(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && isDateNumeral(r) }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x80 || !isDateNumeral(r) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r < 0x80 || !isDateNumeral(r) {
				break
			}
			j += n
		}
		run := s[i:j]
		if hasUnit(run) {
			if v, _, err := parseInteger(run); err == nil {
				fmt.Fprint(&b, v)
			} else {
				b.WriteString(run)
			}
		} else {
			for _, r := range run {
				d, _ := numeralDigit(r)
				b.WriteByte(byte('0' + d))
			}
		}
		i = j
	}
	return b.String()
}

// dateFields finds the parts of a date in c (arabized).
func dateFields(c string, today time.Time) []dateField {
	var out []dateField
	taken := make([]bool, len(c))
	claim := func(i, j int) bool {
		for k := i; k < j; k++ {
			if taken[k] {
				return false
			}
		}
		for k := i; k < j; k++ {
			taken[k] = true
		}
		return true
	}
	// words relative to today; resolve fills in the date when today is known
	relative := func(words []relWord, resolve func(f *dateField, offset int)) {
		for _, w := range words {
			for _, i := range indexAll(c, w.word) {
				if claim(i, i+len(w.word)) {
					f := dateField{start: i, end: i + len(w.word), relative: true}
					if !today.IsZero() {
						resolve(&f, w.offset)
					}
					out = append(out, f)
				}
			}
		}
	}
	relative(relDays, func(f *dateField, offset int) {
		t := today.AddDate(0, 0, offset)
		f.y, f.m, f.d = t.Year(), int(t.Month()), t.Day()
	})
	relative(relMonths, func(f *dateField, offset int) {
		t := time.Date(today.Year(), today.Month()+time.Month(offset), 1, 0, 0, 0, 0, time.UTC)
		f.y, f.m = t.Year(), int(t.Month())
	})
	relative(relYears, func(f *dateField, offset int) { f.y = today.Year() + offset })
	out = append(out, weekdays(c, today, claim)...)
	// numbers and what follows them
	for i := 0; i < len(c); {
		if !isASCIIDigit(c[i]) || taken[i] {
			i++
			continue
		}
		j := i
		for j < len(c) && isASCIIDigit(c[j]) {
			j++
		}
		f, end, ok := numberField(c, i, j, today)
		if ok && claim(i, end) {
			out = append(out, f)
			i = end
			continue
		}
		i = j
	}
	// a bare day right after a month: 1953年3月5
	for k := range out {
		f := out[k]
		if f.m == 0 || f.d != 0 || f.end >= len(c) {
			continue
		}
		j := f.end
		for j < len(c) && (c[j] == ' ' || strings.HasPrefix(c[j:], "份")) {
			j += 1 + 2*b2i(c[j] != ' ')
		}
		e := j
		for e < len(c) && isASCIIDigit(c[e]) {
			e++
		}
		if e > j && e-j <= 2 && (e == len(c) || !isASCIIDigit(c[e])) && claim(j, e) {
			out = append(out, dateField{start: j, end: e, d: atoi(c[j:e])})
		}
	}
	return out
}

// numberField reads the date part that the digits c[i:j] start: 1953年, 53年, 3月, 5号, 1953-03-05,
// 1953.3, 19530305, 3天前, 2个月前, 3年前.
func numberField(c string, i, j int, today time.Time) (dateField, int, bool) {
	digits := c[i:j]
	n := len(digits)
	k := j
	for k < len(c) && c[k] == ' ' {
		k++
	}
	rest := c[k:]
	f := dateField{start: i}
	ago := func(unit string) (int, bool) {
		for _, tail := range []string{"前", "以前", "之前"} {
			if strings.HasPrefix(rest, unit+tail) {
				return len(unit + tail), true
			}
		}
		return 0, false
	}
	switch {
	case hasPrefixAny(rest, "年"):
		if l, ok := ago("年"); ok {
			f.end, f.relative = k+l, true
			if !today.IsZero() {
				f.y = today.Year() - atoi(digits)
			}
			return f, f.end, true
		}
		f.end = k + len("年")
		switch n {
		case 4:
			f.y = atoi(digits)
		case 2:
			f.y, f.relative = twoDigitYear(atoi(digits), today), true
		default:
			return f, 0, false // 5年, 15年: a duration
		}
		return f, f.end, true
	case hasPrefixAny(rest, "个月"):
		if l, ok := ago("个月"); ok {
			f.end, f.relative = k+l, true
			if !today.IsZero() {
				t := time.Date(today.Year(), today.Month()-time.Month(atoi(digits)), 1, 0, 0, 0, 0, time.UTC)
				f.y, f.m = t.Year(), int(t.Month())
			}
			return f, f.end, true
		}
	case hasPrefixAny(rest, "月") && n <= 2:
		f.m, f.end = atoi(digits), k+len("月")
		if f.m == 0 {
			f.err = refuse(BadDate)
		}
		return f, f.end, true
	case hasPrefixAny(rest, "天"):
		if l, ok := ago("天"); ok {
			f.end, f.relative = k+l, true
			if !today.IsZero() {
				t := today.AddDate(0, 0, -atoi(digits))
				f.y, f.m, f.d = t.Year(), int(t.Month()), t.Day()
			}
			return f, f.end, true
		}
	case hasPrefixAny(rest, "日", "号") && n <= 2:
		f.d, f.end = atoi(digits), k+len("日")
		if f.d == 0 {
			f.err = refuse(BadDate)
		}
		return f, f.end, true
	case (n == 4 || n == 2) && j < len(c) && strings.IndexByte("-./", c[j]) >= 0:
		parts := []string{digits}
		e := j
		for len(parts) < 3 && e+1 < len(c) && strings.IndexByte("-./", c[e]) >= 0 && isASCIIDigit(c[e+1]) {
			s := e + 1
			e = s
			for e < len(c) && isASCIIDigit(c[e]) {
				e++
			}
			if e-s > 2 {
				return f, 0, false
			}
			parts = append(parts, c[s:e])
		}
		if len(parts) < 2 || (n == 2 && len(parts) < 3) {
			return f, 0, false
		}
		f.y, f.m = atoi(digits), atoi(parts[1])
		if n == 2 {
			f.y, f.relative = twoDigitYear(f.y, today), true
		}
		if len(parts) == 3 {
			f.d = atoi(parts[2])
			if f.d == 0 {
				f.err = refuse(BadDate)
			}
		}
		if f.m == 0 {
			f.err = refuse(BadDate)
		}
		for _, tail := range []string{"日", "号"} {
			if strings.HasPrefix(c[e:], tail) {
				e += len(tail)
			}
		}
		f.end = e
		return f, e, true
	case n == 8:
		f.y, f.m, f.d, f.end = atoi(digits[:4]), atoi(digits[4:6]), atoi(digits[6:]), j
		if f.m == 0 || f.d == 0 {
			f.err = refuse(BadDate)
		}
		return f, j, true
	case n == 6 && (digits[:2] == "19" || digits[:2] == "20"):
		f.y, f.m, f.end = atoi(digits[:4]), atoi(digits[4:]), j
		if f.m == 0 {
			f.err = refuse(BadDate)
		}
		return f, j, true
	}
	return f, 0, false
}

// weekdays reads 上周三, 这个星期五, 礼拜天: the day of a week (Monday first) relative to today's.
func weekdays(c string, today time.Time, claim func(i, j int) bool) []dateField {
	var out []dateField
	for _, w := range []string{"星期", "礼拜", "周"} {
		for _, i := range indexAll(c, w) {
			e := i + len(w)
			r, n := utf8.DecodeRuneInString(c[e:])
			var wd int
			switch {
			case r >= '1' && r <= '6':
				wd = int(r - '0')
			case r == '日' || r == '天' || r == '7':
				wd = 7
			default:
				continue
			}
			e += n
			start, offset := i, 0
			for _, p := range weekPrefixes {
				if strings.HasSuffix(c[:i], p.word) {
					start, offset = i-len(p.word), p.offset
					break
				}
			}
			if !claim(start, e) {
				continue
			}
			f := dateField{start: start, end: e, relative: true, weekday: wd}
			if !today.IsZero() {
				monday := today.AddDate(0, 0, -((int(today.Weekday())+6)%7)+7*offset)
				t := monday.AddDate(0, 0, wd-1)
				f.y, f.m, f.d = t.Year(), int(t.Month()), t.Day()
			}
			out = append(out, f)
		}
	}
	return out
}

// twoDigitYear reads 53 as 1953 and 05 as 2005: the latest year ending in those digits that is
// not after today's year. With no today, 0 (the caller refuses).
func twoDigitYear(yy int, today time.Time) int {
	if today.IsZero() {
		return 0
	}
	if 2000+yy <= today.Year() {
		return 2000 + yy
	}
	return 1900 + yy
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// indexAll returns the byte offset of each non-overlapping occurrence of w in s, left to right.
func indexAll(s, w string) []int {
	var out []int
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return out
		}
		out = append(out, from+i)
		from += i + len(w)
	}
}

func hasPrefixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
