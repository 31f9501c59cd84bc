package answer

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// amount is a number in millionths: exact for money (to the fen) and for the decimals people say.
type amount int64

const (
	one       amount = 1_000_000
	fen       amount = one / 100
	maxAmount amount = 1_000_000_000_000 * one // 一万亿: no form asks for more
)

// String is the canonical form: no exponent, no trailing zeros (2138.4, 1250, 0.05).
func (a amount) String() string {
	neg := a < 0
	if neg {
		a = -a
	}
	s := strconv.FormatInt(int64(a/one), 10)
	if f := int64(a % one); f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(f+int64(one), 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (a amount) float() float64 { return float64(a) / float64(one) }

// units are the positional characters of a Chinese numeral, including the financial capitals.
var units = map[rune]int64{'十': 10, '拾': 10, '百': 100, '佰': 100, '千': 1000, '仟': 1000,
	'万': 10_000, '萬': 10_000, '亿': 100_000_000, '億': 100_000_000}

// capitals are the financial forms of the digits (贰仟壹佰叁拾捌元).
var capitals = map[rune]int{'壹': 1, '贰': 2, '貳': 2, '叁': 3, '參': 3, '肆': 4, '伍': 5, '陆': 6, '陸': 6,
	'柒': 7, '捌': 8, '玖': 9}

// numeralDigit returns the value of a character that is one digit of a numeral: ASCII, the
// Chinese digits of spoken.Digit (零 〇 洞 一 幺 二 两 …), the capitals, and 俩 仨 (two, three).
func numeralDigit(r rune) (int, bool) {
	if d, ok := spoken.Digit(r); ok {
		return d, true
	}
	if d, ok := capitals[r]; ok {
		return d, true
	}
	switch r {
	case '俩':
		return 2, true
	case '仨':
		return 3, true
	}
	return 0, false
}

func isNumeralRune(r rune) bool {
	if _, ok := numeralDigit(r); ok {
		return true
	}
	_, ok := units[r]
	return ok || r == '廿' || r == '卅'
}

// numberStopwords are words that hold numeral characters without being numbers (一下, 统一,
// 千万别); they are blanked before numbers are looked for.
var numberStopwords = []string{"一下", "一共", "一样", "一直", "一起", "一般", "一些", "一定", "一会", "一点儿",
	"一点点", "万一", "统一", "唯一", "一切", "一旦", "一边", "一向", "一律", "千万别", "千万不", "万分", "十分",
	"一致", "一同", "一块儿", "一口气", "同一", "一次性", "一把", "百分之", "一无", "零钱", "零花", "零头"}

// mask returns s with every occurrence of words replaced by bytes that are neither digits nor
// pauses, keeping every offset.
func mask(s string, words []string) string {
	b := []byte(s)
	changed := false
	for _, w := range words {
		for _, i := range indexAll(s, w) {
			for k := i; k < i+len(w); k++ {
				b[k] = 1
			}
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(b)
}

// span is a run of numeral characters in a text.
type span struct{ start, end int }

// numeralSpans returns the runs of numeral characters in s: digits, units, and a decimal point
// (点, .) or thousands comma (1,500) between digits.
func numeralSpans(s string) []span {
	var out []span
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isNumeralRune(r) {
			i += n
			continue
		}
		start := i
		point := false
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if isNumeralRune(r) {
				i += n
				continue
			}
			if (r == '点' || r == '.') && !point {
				if nr, _ := utf8.DecodeRuneInString(s[i+n:]); i+n < len(s) && isNumeralRune(nr) {
					if _, isUnit := units[nr]; !isUnit || r == '.' {
						point = true
						i += n
						continue
					}
				}
			}
			if r == ',' && i > start && isASCIIDigit(s[i-1]) && thousands(s[i+1:]) {
				i++
				continue
			}
			break
		}
		out = append(out, span{start, i})
	}
	return out
}

// thousands reports whether s starts with exactly three ASCII digits (the group after a comma).
func thousands(s string) bool {
	if len(s) < 3 || !isASCIIDigit(s[0]) || !isASCIIDigit(s[1]) || !isASCIIDigit(s[2]) {
		return false
	}
	return len(s) == 3 || !isASCIIDigit(s[3])
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// numTok is one token of a numeral: a literal (an Arabic number or one Chinese digit), 零, or a
// unit.
type numTok struct {
	kind    byte // 'd' literal, '0' zero, 'u' unit
	val     int64
	chinese bool // a literal said as one Chinese digit
}

// tokens splits the integer part of a numeral.
func tokens(s string) ([]numTok, bool) {
	var out []numTok
	for i := 0; i < len(s); {
		c := s[i]
		if isASCIIDigit(c) {
			j := i
			var v int64
			for j < len(s) && (isASCIIDigit(s[j]) || s[j] == ',') {
				if s[j] != ',' {
					if v > 1e15 {
						return nil, false
					}
					v = v*10 + int64(s[j]-'0')
				}
				j++
			}
			out = append(out, numTok{kind: 'd', val: v})
			i = j
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '廿':
			out = append(out, numTok{kind: 'd', val: 2, chinese: true}, numTok{kind: 'u', val: 10})
		case r == '卅':
			out = append(out, numTok{kind: 'd', val: 3, chinese: true}, numTok{kind: 'u', val: 10})
		default:
			if u, ok := units[r]; ok {
				out = append(out, numTok{kind: 'u', val: u})
				continue
			}
			d, ok := numeralDigit(r)
			if !ok {
				return nil, false
			}
			if d == 0 {
				out = append(out, numTok{kind: '0', chinese: true})
			} else {
				out = append(out, numTok{kind: 'd', val: int64(d), chinese: true})
			}
		}
	}
	return out, len(out) > 0
}

// parseNumeral reads one run of numeral characters: Arabic (1250, 1,500, 3.5), positional
// Chinese (一千二百五十, 一万零五), said digit by digit (一九七零), mixed (1万2, 2.5万), with the
// colloquial shortening of a last digit after a unit (一千二百五 = 1250, 一万二 = 12000, 一百二 =
// 120). Two digits in a row that could be a range (三四千, 十七八) are refused as one.
func parseNumeral(s string) (amount, error) {
	p, plen := strings.Index(s, "点"), len("点")
	if p < 0 {
		p, plen = strings.IndexByte(s, '.'), 1
	}
	if p < 0 {
		v, _, err := parseInteger(s)
		if err != nil {
			return 0, err
		}
		return scale(v, one)
	}
	whole, frac := s[:p], s[p+plen:]
	if whole == "" || frac == "" || strings.ContainsAny(frac, ".点") {
		return 0, refuse(NotUnderstood)
	}
	// a unit after the decimals multiplies the whole number: 2.5万, 一点五亿
	var mult int64 = 1
	if r, n := utf8.DecodeLastRuneInString(frac); units[r] != 0 {
		mult = units[r]
		frac = frac[:len(frac)-n]
	}
	var digits []byte
	for _, r := range frac {
		d, ok := numeralDigit(r)
		if !ok || r == '俩' || r == '仨' {
			return 0, refuse(NotUnderstood)
		}
		digits = append(digits, byte('0'+d))
	}
	if len(digits) == 0 || len(digits) > 6 {
		return 0, refuse(NotUnderstood)
	}
	w, shortened, err := parseInteger(whole)
	if err != nil {
		return 0, err
	}
	if shortened || (mult > 1 && hasUnit(whole)) {
		return 0, refuse(NotUnderstood) // 三万二点五, 一百二点五万: no reading is safe
	}
	f, _ := strconv.ParseInt(string(digits)+strings.Repeat("0", 6-len(digits)), 10, 64)
	a, err := scale(w, one)
	if err != nil {
		return 0, err
	}
	a += amount(f)
	if a > maxAmount/amount(mult) {
		return 0, refuse(TooLarge)
	}
	return a * amount(mult), nil
}

func hasUnit(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return units[r] != 0 || r == '廿' || r == '卅' })
}

// scale returns v·m as an amount, refusing what is too large.
func scale(v int64, m amount) (amount, error) {
	if v < 0 || v > int64(maxAmount/m) {
		return 0, refuse(TooLarge)
	}
	return amount(v) * m, nil
}

// parseInteger reads the integer part of a numeral. shortened reports that its last digit was
// read one order below the unit before it (一万二).
func parseInteger(s string) (v int64, shortened bool, err error) {
	toks, ok := tokens(s)
	if !ok {
		return 0, false, refuse(NotUnderstood)
	}
	unitSeen := false
	for _, t := range toks {
		if t.kind == 'u' {
			unitSeen = true
		}
	}
	if !unitSeen {
		return digitByDigit(toks)
	}
	const limit = int64(maxAmount / one)
	var total, mid, small int64 // above 亿, 万 to 亿, below 万
	pending, pendingChinese := int64(-1), false
	var lastUnit int64 // the last unit said, for the order check and the shortening
	zero := false
	for _, t := range toks {
		switch t.kind {
		case 'd':
			if pending >= 0 {
				if pendingChinese && t.chinese && (t.val == pending+1) {
					return 0, false, refuse(Range) // 三四千, 十七八
				}
				return 0, false, refuse(NotUnderstood)
			}
			pending, pendingChinese = t.val, t.chinese
		case '0':
			if pending >= 0 {
				return 0, false, refuse(NotUnderstood) // 一零 in a positional numeral
			}
			zero = true
		case 'u':
			switch u := t.val; {
			case u < 10_000:
				if pending < 0 {
					if u != 10 {
						return 0, false, refuse(NotUnderstood) // 百, 千 need a digit
					}
					pending = 1 // 十五, 一百十
				}
				if pending > 9 || (lastUnit != 0 && lastUnit <= u && lastUnit < 10_000) {
					return 0, false, refuse(NotUnderstood) // 12千, 一百一千
				}
				small += pending * u
			case u == 10_000:
				part := small + max(pending, 0)
				if part == 0 || mid != 0 || part >= 10_000 || lastUnit == 10_000 {
					return 0, false, refuse(NotUnderstood)
				}
				mid = part * u
				small = 0
			default: // 亿
				part := mid + small + max(pending, 0)
				if part == 0 || total != 0 || part >= 100_000_000 {
					return 0, false, refuse(NotUnderstood)
				}
				if part > limit/u {
					return 0, false, refuse(TooLarge)
				}
				total, mid, small = part*u, 0, 0
			}
			lastUnit, pending, zero = t.val, -1, false
		}
	}
	if pending >= 0 {
		switch {
		case zero || lastUnit == 10:
			// 一百零五, 十五: the digit is what it says
		case lastUnit >= 100 && pending < 10:
			pending *= lastUnit / 10 // 一百二 = 120, 一万二 = 12000, 1万2 = 12000
			shortened = true
		default:
			return 0, false, refuse(NotUnderstood) // 1万25
		}
		small += pending
	}
	v = total + mid + small
	if v > limit {
		return 0, false, refuse(TooLarge)
	}
	return v, shortened, nil
}

// digitByDigit reads a numeral without units: one Arabic number, or Chinese digits said one by
// one (一九七零, 二五). Two rising Chinese digits (三四, 两三) are a range, not a number.
func digitByDigit(toks []numTok) (int64, bool, error) {
	if len(toks) == 1 && !toks[0].chinese {
		return toks[0].val, false, nil
	}
	var v int64
	for _, t := range toks {
		if !t.chinese {
			return 0, false, refuse(NotUnderstood)
		}
		if v > 1e15 {
			return 0, false, refuse(TooLarge)
		}
		v = v*10 + t.val
	}
	if len(toks) == 2 && toks[0].kind == 'd' && toks[1].kind == 'd' && toks[1].val == toks[0].val+1 {
		return 0, false, refuse(Range)
	}
	return v, false, nil
}
