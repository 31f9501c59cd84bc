package answer

import (
	"strings"
	"unicode/utf8"
)

// vagueAfter are the words that, right after a number or its measure word, make it an
// approximation (三千多, 十几, 三十来岁, 两千左右) or a bound (三千以上).
var vagueAfter = []string{"多", "几", "余", "来", "出头", "左右", "上下", "开外", "以上", "以下", "以内", "之内",
	"不到", "挂零", "朝上", "往上"}

// vagueBefore are the words that, right before a number, make it one (几千, 将近三千, 不到两千).
var vagueBefore = []string{"几", "快", "近", "约", "不到", "超过", "至少", "最多", "起码", "最少", "多于", "少于", "大于", "小于"}

// measures are the measure words that may stand between a number and 多 or 半 (三个多月, 两年半).
const measures = "个岁年月天次人斤米块元位份"

// yuanUnits name a whole yuan; jiaoUnits a tenth; 分 a hundredth.
const (
	yuanUnits = "元块圆"
	jiaoUnits = "角毛"
)

func parseNumber(s string) (Value, error) {
	o, err := settleAmount(s, false)
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: Number, Text: o.text, Number: o.value.float()}, nil
}

func parseMoney(s string) (Value, error) {
	o, err := settleAmount(s, true)
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: Money, Text: o.text, Number: o.value.float()}, nil
}

// amountOccurrence is an occurrence with its value.
type amountOccurrence struct {
	occurrence
	value amount
}

func settleAmount(s string, money bool) (amountOccurrence, error) {
	cut := lastRetraction(s)
	if containsAny(s[cut:], uncertain) {
		return amountOccurrence{}, refuse(Hedged)
	}
	m := mask(s, numberStopwords)
	found := amounts(s, m, money)
	// 一 before a unit of time or count beside another number is “per” (一千二一个月), not a value
	if len(found) > 1 {
		kept := found[:0]
		for _, f := range found {
			if !perUnit(m, f) {
				kept = append(kept, f)
			}
		}
		if len(kept) > 0 {
			found = kept
		}
	}
	if len(found) == 0 {
		return amountOccurrence{}, refuse(NotUnderstood)
	}
	occ := make([]occurrence, len(found))
	for i, f := range found {
		occ[i] = f.occurrence
	}
	o, err := settle(s, occ)
	if err != nil {
		return amountOccurrence{}, err
	}
	for _, f := range found {
		if f.start == o.start {
			return f, nil
		}
	}
	return amountOccurrence{}, refuse(NotUnderstood)
}

// amounts finds every number in s (m is s with its stopwords masked), with its money units when
// it has them: 三块五 is 3.5 whether a number or an amount of money was asked for. A percentage
// (百分之五, 5%) is the fraction it names.
func amounts(s, m string, money bool) []amountOccurrence {
	var out []amountOccurrence
	consumed := 0
	for _, sp := range numeralSpans(m) {
		if sp.start < consumed {
			continue
		}
		v, end, err := readAmount(m, sp)
		consumed = end
		if err == nil && vague(m, sp.start, end) {
			err = refuse(Vague)
		}
		if err == nil && (strings.HasSuffix(s[:sp.start], "百分之") || strings.HasPrefix(m[end:], "%")) {
			if money {
				err = refuse(NotUnderstood)
			} else if v%100 != 0 {
				err = refuse(NotUnderstood) // more decimals than a millionth
			} else {
				v /= 100
				end += b2i(strings.HasPrefix(m[end:], "%"))
			}
		}
		if err == nil && negativeSign(m[:sp.start]) {
			v = -v
			if money {
				err = refuse(Negative)
			}
		}
		if err == nil && money && v%fen != 0 {
			err = refuse(Precision)
		}
		o := amountOccurrence{occurrence: occurrence{start: sp.start, end: end, err: err}, value: v}
		if err == nil {
			o.text = v.String()
		}
		out = append(out, o)
	}
	return out
}

// perUnit reports whether f is 一 said before a unit (一个月, 一年, 一次).
func perUnit(m string, f amountOccurrence) bool {
	if f.err != nil || f.value != one || f.end-f.start > len("一") {
		return false
	}
	return hasPrefixAny(m[f.end:], "个", "年", "月", "天", "次", "周", "星期", "人", "趟")
}

// readAmount reads the number at sp and the money units and smaller coins after it (元四角,
// 块五, 块零五分, 毛五, 块半), or the half after a measure word (两个半). end is where it stops.
func readAmount(m string, sp span) (amount, int, error) {
	base, err := parseNumeral(m[sp.start:sp.end])
	if err != nil {
		if vague(m, sp.start, sp.end) {
			err = refuse(Vague) // 几千, 十几: the vagueness is the reason, not the numeral
		}
		return 0, sp.end, err
	}
	pos := sp.end
	r, n := utf8.DecodeRuneInString(m[pos:])
	switch {
	case pos < len(m) && strings.ContainsRune(yuanUnits, r):
		pos += n
		if strings.HasPrefix(m[pos:], "钱") {
			return base, pos + len("钱"), nil
		}
		coins, k, err := readCoins(m[pos:], true)
		if err != nil {
			return 0, pos + k, err
		}
		pos += k
		base += coins
	case pos < len(m) && strings.ContainsRune(jiaoUnits, r):
		if base%one != 0 || base >= 10*one {
			return 0, pos + n, refuse(NotUnderstood)
		}
		coins, k, err := readCoins(m[sp.start:], false)
		if err != nil {
			return 0, sp.start + k, err
		}
		pos = sp.start + k
		base = coins
	case pos < len(m) && r == '分' && !strings.HasPrefix(m[pos+n:], "钟") && !strings.HasPrefix(m[pos+n:], "之"):
		if base%one != 0 || base >= 10*one {
			return 0, pos + n, refuse(NotUnderstood)
		}
		base /= 100
		pos += n
	default:
		// two and a half of something: 两个半, 两年半
		if mr, mn := utf8.DecodeRuneInString(m[pos:]); pos < len(m) && strings.ContainsRune(measures, mr) &&
			strings.HasPrefix(m[pos+mn:], "半") && base%one == 0 {
			return base + one/2, pos + mn + len("半"), nil
		}
	}
	for _, tail := range []string{"钱", "整", "人民币"} {
		pos += len(tail) * b2i(strings.HasPrefix(m[pos:], tail))
	}
	return base, pos, nil
}

// readCoins reads the 角 and 分 that follow a whole number of yuan (afterYuan: 五, 五毛, 零五,
// 五毛五, 五分, 半) or that are the whole amount (五毛, 五毛五, 八分). It returns the amount and the
// bytes read.
func readCoins(s string, afterYuan bool) (amount, int, error) {
	i := 0
	if afterYuan && strings.HasPrefix(s, "半") {
		return one / 2, len("半"), nil
	}
	zero := false
	if r, n := utf8.DecodeRuneInString(s); r == '零' || r == '〇' {
		zero, i = true, n
	}
	d, n, ok := coinDigit(s[i:])
	if !ok {
		return 0, 0, nil // nothing after the yuan, or not coins: the caller reads on
	}
	i += n
	r, rn := utf8.DecodeRuneInString(s[i:])
	switch {
	case i < len(s) && strings.ContainsRune(jiaoUnits, r):
		i += rn
		total := amount(d) * one / 10
		if e, en, ok := coinDigit(s[i:]); ok {
			i += en
			total += amount(e) * fen
			if strings.HasPrefix(s[i:], "分") {
				i += len("分")
			}
		}
		return total, i, nil
	case i < len(s) && r == '分':
		return amount(d) * fen, i + rn, nil
	case !afterYuan:
		return 0, i, refuse(NotUnderstood)
	case i < len(s) && isNumeralRune(r):
		return 0, i, refuse(NotUnderstood) // 一百块五十: no reading is safe
	case zero:
		return amount(d) * fen, i, nil // 十块零五 = 10.05
	}
	return amount(d) * one / 10, i, nil // 三块五 = 3.5
}

// coinDigit reads one digit said alone (not the start of a longer number).
func coinDigit(s string) (int, int, bool) {
	r, n := utf8.DecodeRuneInString(s)
	d, ok := numeralDigit(r)
	if !ok || r == '俩' || r == '仨' {
		return 0, 0, false
	}
	if r >= '0' && r <= '9' && n < len(s) && isASCIIDigit(s[n]) {
		return 0, 0, false
	}
	return d, n, true
}

// vague reports whether the number m[start:end] is said as an approximation or a bound.
func vague(m string, start, end int) bool {
	before := strings.TrimRightFunc(m[:start], isPause)
	for _, w := range vagueBefore {
		if strings.HasSuffix(before, w) {
			return true
		}
	}
	after := m[end:]
	if r, n := utf8.DecodeRuneInString(after); n > 0 && strings.ContainsRune(measures, r) {
		after = after[n:]
	}
	for _, w := range vagueAfter {
		if strings.HasPrefix(after, w) {
			if w == "来" && !laiIsApprox(after[len(w):]) {
				continue
			}
			return true
		}
	}
	// 三千多块: the 多 comes before the unit
	if r, n := utf8.DecodeRuneInString(m[end:]); n > 0 && strings.ContainsRune(yuanUnits+jiaoUnits, r) {
		for _, w := range []string{"多", "几", "余"} {
			if strings.HasPrefix(m[end+n:], w) {
				return true
			}
		}
	}
	return false
}

// laiIsApprox reports whether 来 after a number is “about” (三十来岁, 十来个) rather than the
// verb (三个人来了).
func laiIsApprox(after string) bool {
	r, _ := utf8.DecodeRuneInString(after)
	return after == "" || isPause(r) || strings.ContainsRune(measures+yuanUnits+"万千百", r)
}

// negativeSign reports whether the text before a number makes it negative (负三, -3).
func negativeSign(before string) bool {
	return strings.HasSuffix(before, "负") || strings.HasSuffix(before, "零下") || strings.HasSuffix(before, "-") &&
		(len(before) == 1 || isPause(rune(before[len(before)-2])))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
