package assistant

import (
	"strings"
	"unicode"

	policy "shebao/internal/retirement"
)

// PIIKind is a kind of personal data found in a message.
type PIIKind string

// The kinds of personal data the masker recognises.
const (
	PIIIDCard   PIIKind = "id_card"   // 居民身份证号 (18 digits with a valid GB 11643 check digit, or 15 digits)
	PIIMobile   PIIKind = "mobile"    // 手机号
	PIIPhone    PIIKind = "phone"     // 固定电话
	PIIBankCard PIIKind = "bank_card" // 银行卡号 (16–19 digits passing the Luhn check)
	PIINumber   PIIKind = "number"    // any other long number (≥ 15 digits): masked to be safe
	PIIName     PIIKind = "name"      // a name after 我叫, 姓名 …
)

// placeholders replace personal data in the masked text; they contain no digits, so a masked
// text never masks again.
var placeholders = map[PIIKind]string{
	PIIIDCard: "[身份证号]", PIIMobile: "[手机号]", PIIPhone: "[电话]", PIIBankCard: "[银行卡号]",
	PIINumber: "[号码]", PIIName: "[姓名]",
}

// Masked is a message with its personal data replaced by placeholders.
type Masked struct {
	Text  string    // the text that may be logged, stored and sent to search or a model
	Found []PIIKind // what was masked (digits first, then names)
	// Birth and Male are read from a valid 18-digit ID number, if there was one, so that a
	// retirement question can be answered without asking; the number itself is not kept.
	Birth policy.YearMonth
	Male  *bool
}

// Has reports whether personal data of kind k was masked.
func (m Masked) Has(k PIIKind) bool {
	for _, f := range m.Found {
		if f == k {
			return true
		}
	}
	return false
}

// MaskPII finds identity card, mobile, landline and bank card numbers (in Arabic digits, with
// spaces or hyphens between groups, or spoken as Chinese digits) and names introduced by 我叫,
// 姓名 and the like, and replaces them with placeholders.
func MaskPII(s string) Masked {
	var m Masked
	s = maskDigitRuns(s, &m)
	s = maskChineseDigitRuns(s, &m)
	s = maskNames(s, &m)
	m.Text = s
	return m
}

// maskDigitRuns masks runs of ASCII digits. A run may contain single spaces or hyphens between
// digit groups ("138 1234 5678", "6222-0211-…") and end with X for an ID number. If the whole
// run is not personal data, each group is judged alone.
func maskDigitRuns(s string, m *Masked) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) {
			switch {
			case isDigit(rs[j]):
				j++
				continue
			case (rs[j] == ' ' || rs[j] == '-') && j+1 < len(rs) && isDigit(rs[j+1]):
				j++
				continue
			case (rs[j] == 'X' || rs[j] == 'x') && countDigits(rs[i:j]) == 17 && (j+1 == len(rs) || !isASCIIAlnum(rs[j+1])):
				j++
			}
			break
		}
		// A number glued to ASCII letters (a model name, a code) is not personal data unless it
		// is long.
		run := rs[i:j]
		if k, ok := classify(digitsOf(run), m); ok {
			// Keep a leading '+' of +86 with the placeholder: it is part of the number.
			b.WriteString(placeholders[k])
			m.Found = append(m.Found, k)
		} else {
			writeGroups(&b, run, m)
		}
		i = j
	}
	return b.String()
}

// writeGroups writes a run whose whole was not personal data, judging each group alone.
func writeGroups(b *strings.Builder, run []rune, m *Masked) {
	start := 0
	for k := 0; k <= len(run); k++ {
		if k < len(run) && (run[k] != ' ' && run[k] != '-') {
			continue
		}
		g := run[start:k]
		if kind, ok := classify(digitsOf(g), m); ok && len(g) > 0 {
			b.WriteString(placeholders[kind])
			m.Found = append(m.Found, kind)
		} else {
			b.WriteString(string(g))
		}
		if k < len(run) {
			b.WriteRune(run[k])
		}
		start = k + 1
	}
}

// chineseDigits maps the characters people (and speech recognisers) use to say digits one by
// one. 两 is left out: it always counts things.
var chineseDigits = map[rune]byte{'零': '0', '〇': '0', '○': '0', '幺': '1', '一': '1', '二': '2', '三': '3',
	'四': '4', '五': '5', '六': '6', '七': '7', '八': '8', '九': '9'}

// maskChineseDigitRuns masks numbers said digit by digit in Chinese ("一三八一二三四五六七八"),
// which speech recognition produces. Runs shorter than 7 are years and counts.
func maskChineseDigitRuns(s string, m *Masked) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if _, ok := chineseDigits[rs[i]]; !ok {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		var digits []byte
		for j < len(rs) {
			if d, ok := chineseDigits[rs[j]]; ok {
				digits = append(digits, d)
				j++
				continue
			}
			if (rs[j] == 'X' || rs[j] == 'x' || rs[j] == '叉') && len(digits) == 17 {
				digits = append(digits, 'X')
				j++
			}
			break
		}
		if len(digits) >= 7 {
			if k, ok := classify(string(digits), m); ok {
				b.WriteString(placeholders[k])
				m.Found = append(m.Found, k)
				i = j
				continue
			}
		}
		b.WriteString(string(rs[i:j]))
		i = j
	}
	return b.String()
}

// classify decides whether a string of digits (and possibly a final X) is personal data.
func classify(d string, m *Masked) (PIIKind, bool) {
	n := len(d)
	switch {
	case n == 18 && validIDChecksum(d):
		if birth, ok := idBirth(d); ok {
			m.Birth = birth
			male := (d[16]-'0')%2 == 1
			m.Male = &male
		}
		return PIIIDCard, true
	case n == 15 && !strings.ContainsAny(d, "Xx") && plausibleDate("19"+d[6:12]):
		return PIIIDCard, true
	case n >= 16 && n <= 19 && !strings.ContainsAny(d, "Xx") && luhn(d):
		return PIIBankCard, true
	case n >= 15:
		return PIINumber, true
	case n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9':
		return PIIMobile, true
	case n == 13 && strings.HasPrefix(d, "86") && d[2] == '1' && d[3] >= '3' && d[3] <= '9':
		return PIIMobile, true
	case n >= 10 && n <= 12 && d[0] == '0' && d[1] != '0':
		return PIIPhone, true
	}
	return "", false
}

// validIDChecksum checks the GB 11643-1999 check digit of an 18-character ID number.
func validIDChecksum(d string) bool {
	if len(d) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
		sum += int(d[i]-'0') * weights[i]
	}
	check := "10X98765432"[sum%11]
	last := d[17]
	if last == 'x' {
		last = 'X'
	}
	return last == check
}

// IDCheckDigit returns the GB 11643 check character for the first 17 digits of an ID number.
func IDCheckDigit(first17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17 && i < len(first17); i++ {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// idBirth reads the birth month from positions 7–14 (YYYYMMDD) of an 18-digit ID number.
func idBirth(d string) (policy.YearMonth, bool) {
	if !plausibleDate(d[6:14]) {
		return policy.YearMonth{}, false
	}
	y := atoi(d[6:10])
	mo := atoi(d[10:12])
	return policy.YearMonth{Year: y, Month: mo}, true
}

// plausibleDate reports whether YYYYMMDD is a date between 1900 and 2099.
func plausibleDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	y, mo, d := atoi(s[:4]), atoi(s[4:6]), atoi(s[6:])
	return y >= 1900 && y <= 2099 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31
}

// luhn reports whether the digit string passes the Luhn check used by bank card numbers.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := int(d[i] - '0')
		if c < 0 || c > 9 {
			return false
		}
		if double {
			c *= 2
			if c > 9 {
				c -= 9
			}
		}
		sum += c
		double = !double
	}
	return sum%10 == 0
}

// namePrefixes introduce a person's name. They are matched before two to four Han characters.
var namePrefixes = []string{"我的名字叫", "我的名字是", "名字叫", "名字是", "我叫", "本人叫", "姓名是", "姓名：",
	"姓名:", "姓名", "他叫", "她叫", "我妈叫", "我爸叫", "我妈妈叫", "我爸爸叫", "老伴叫", "我老伴叫", "我爱人叫",
	"名叫", "叫做"}

// nameStop are characters that end a name: particles and words that follow a name in speech.
const nameStop = "的了吗呢吧啊呀我你他她是在想要今年问办和跟说从去来也都还就这那个人身份证号码电话手机退休社保有住家怎什哪谁填写错改变更能可以不没"

// maskNames masks the two to four Han characters after a name prefix.
func maskNames(s string, m *Masked) string {
	if !strings.ContainsAny(s, "叫名") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		best := -1
		var pre string
		for _, p := range namePrefixes {
			if i := strings.Index(s, p); i >= 0 && (best < 0 || i < best || (i == best && len(p) > len(pre))) {
				best, pre = i, p
			}
		}
		if best < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:best+len(pre)])
		rest := s[best+len(pre):]
		skip := len(rest) - len(strings.TrimLeft(rest, " ：:"))
		b.WriteString(rest[:skip])
		rest = rest[skip:]
		n, size := 0, 0
		for _, r := range rest {
			if n == 4 || !unicode.Is(unicode.Han, r) || strings.ContainsRune(nameStop, r) {
				break
			}
			n++
			size += len(string(r))
		}
		if n >= 2 {
			b.WriteString(placeholders[PIIName])
			m.Found = append(m.Found, PIIName)
			rest = rest[size:]
		}
		s = rest
	}
	return b.String()
}

func isDigit(r rune) bool      { return r >= '0' && r <= '9' }
func isASCIIAlnum(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
func countDigits(rs []rune) int {
	n := 0
	for _, r := range rs {
		if isDigit(r) {
			n++
		}
	}
	return n
}

func digitsOf(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		if isDigit(r) || r == 'X' || r == 'x' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
