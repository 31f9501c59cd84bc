// Package pii is the one masker of personal data. Whatever the user typed or said passes
// through Mask before it is logged, stored (the chat's messages, search's query log) or sent to
// a model: 身份证号, mobile and landline numbers, bank card numbers — in Arabic, full-width or
// Chinese digits (六一零…, 幺三八…, 两, 洞), with spaces, dots, hyphens or commas between groups,
// and mixed — and names introduced as names.
//
// What is masked:
//   - 身份证号: 18 characters with a valid GB 11643 check digit; 17 digits and X; 18 digits with
//     a wrong check digit whose positions 7–14 are a date of birth; the old 15-digit form.
//   - mobile numbers (11 digits, 1[3-9]…, also after 86), landlines with their area code
//     (0xx…, 10–12 digits, also "(029)8888 6666"), and 7–8 digit numbers right after 电话, 座机,
//     手机 and the like.
//   - bank cards: 16–19 digits (those passing the Luhn check first, before an 18-digit ID number
//     with a wrong check digit).
//   - any other run of 11 or more digits, written together or joined by spaces, dots or hyphens
//     (an account, a mistyped ID): masked to be safe. Where in doubt the masker masks too much:
//     a date joined to a phone number by a space alone may go with it.
//   - names: two to four Han characters after a phrase that introduces a name (我叫, 姓名,
//     我妈叫, 名字是 …). A name said without such a phrase (张三社保卡) cannot be told from
//     ordinary words without a list of names, and is kept: the masker is for numbers first, and
//     names alone identify nobody in a province of forty million.
//
// What is kept: hotlines (12333), years, dates, amounts, counts — every number of ten digits or
// fewer that is not one of the above.
//
// Masked text replaces each item with a tag naming its kind ([身份证号], [手机号], [电话],
// [银行卡号], [号码], [姓名]): readable in a log or report, stable (the same input always gives
// the same text), and free of digits, so masking masked text changes nothing.
package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// Kind is a kind of personal data.
type Kind string

// The kinds of personal data Mask recognises.
const (
	IDCard   Kind = "id_card"   // 居民身份证号
	Mobile   Kind = "mobile"    // 手机号
	Phone    Kind = "phone"     // 固定电话
	BankCard Kind = "bank_card" // 银行卡号
	Number   Kind = "number"    // any other long number
	Name     Kind = "name"      // a person's name, introduced as one
)

// Tag is the text that replaces personal data of kind k.
func (k Kind) Tag() string {
	switch k {
	case IDCard:
		return "[身份证号]"
	case Mobile:
		return "[手机号]"
	case Phone:
		return "[电话]"
	case BankCard:
		return "[银行卡号]"
	case Name:
		return "[姓名]"
	}
	return "[号码]"
}

// Masked is a text with its personal data replaced by tags.
type Masked struct {
	Text  string // the text that may be logged, stored and sent to search or a model
	Found []Kind // what was masked, numbers first (in order), then names
	// Birth and Male are read from a valid 18-digit ID number, if there was one, so that a
	// question about retirement can be answered without asking; the number itself is not kept.
	Birth spoken.Date
	Male  *bool
}

// Has reports whether personal data of kind k was masked.
func (m Masked) Has(k Kind) bool {
	for _, f := range m.Found {
		if f == k {
			return true
		}
	}
	return false
}

// String masks s and returns the masked text: for log lines and stored text.
func String(s string) string { return Mask(s).Text }

// minDigits is the fewest digits a masked number can have (a local landline after a cue).
const minDigits = 7

// Mask replaces the personal data in s with tags (see the package documentation).
func Mask(s string) Masked {
	var m Masked
	var b strings.Builder
	last := 0
	spoken.ScanDigitRuns(s, minDigits, func(run spoken.DigitRun) {
		last = maskRun(&b, s, last, run, &m)
	})
	if last > 0 {
		b.WriteString(s[last:])
		s = b.String()
	}
	m.Text = maskNames(s, &m)
	return m
}

// span is part of a digit run judged personal data.
type span struct {
	from, to int // group indexes, inclusive
	kind     Kind
}

// maskRun writes s[last:run.End] to b with the personal data of run masked, and returns
// where it stopped writing. A run is judged as a whole first ("138 1234 5678"); if it is not
// personal data as a whole, the longest stretches of groups that surely are, from the left
// ("2025-01-01 13812345678" keeps the date); what is left is judged again in stretches joined
// by spaces, dots or hyphens (not commas), where any long number is masked.
func maskRun(b *strings.Builder, s string, last int, run spoken.DigitRun, m *Masked) int {
	gs := run.Groups
	cue := cueBefore(s, run.Start)
	var spans []span
	whole := run.Digits()
	if k, ok := classify(whole, m, cue, false); ok {
		spans = append(spans, span{0, len(gs) - 1, k})
	} else if k, ok := classify(whole, m, cue, true); ok && k != Number && !loose(gs) {
		spans = append(spans, span{0, len(gs) - 1, k})
	} else {
		for i := 0; i < len(gs); {
			found := false
			for j := longestReach(gs, i); j >= i && len(gs) > 1; j-- {
				if k, ok := classify(joinGroups(gs[i:j+1]), m, i == 0 && cue, false); ok {
					spans = append(spans, span{i, j, k})
					i, found = j+1, true
					break
				}
			}
			if !found {
				i++
			}
		}
		// What is left between those, in tightly joined stretches.
		var all []span
		next := 0
		rest := func(to int) {
			for i := next; i < to; {
				j := i
				for j+1 < to && !gs[j+1].Loose {
					j++
				}
				if k, ok := classify(joinGroups(gs[i:j+1]), m, i == 0 && cue, true); ok {
					all = append(all, span{i, j, k})
				}
				i = j + 1
			}
		}
		for _, sp := range spans {
			rest(sp.from)
			all = append(all, sp)
			next = sp.to + 1
		}
		rest(len(gs))
		spans = all
	}
	for _, sp := range spans {
		b.WriteString(s[last:gs[sp.from].Start])
		b.WriteString(sp.kind.Tag())
		m.Found = append(m.Found, sp.kind)
		last = gs[sp.to].End
	}
	return last
}

func loose(gs []spoken.DigitGroup) bool {
	for _, g := range gs[1:] {
		if g.Loose {
			return true
		}
	}
	return false
}

// longestReach is the last group index j such that groups i..j hold at most 19 digits (the
// longest number with a kind of its own), or i.
func longestReach(gs []spoken.DigitGroup, i int) int {
	n, j := 0, i
	for k := i; k < len(gs); k++ {
		n += len(gs[k].Digits)
		if n > 19 {
			break
		}
		j = k
	}
	return j
}

func joinGroups(gs []spoken.DigitGroup) string {
	if len(gs) == 1 {
		return gs[0].Digits
	}
	var b strings.Builder
	for _, g := range gs {
		b.WriteString(g.Digits)
	}
	return b.String()
}

// classify decides whether a string of digits (possibly ending in X) is personal data, and of
// which kind; a valid 18-digit ID number also gives m its birth date and sex. Without lax, only
// what is surely personal data counts: a valid ID number, a card passing Luhn, a mobile, a
// landline with its area code, or a short number after a phone cue. With lax, so do an ID number
// with a wrong check digit, the old 15-digit form, any 16–19 digits (a card) and any number of
// 11 digits or more.
func classify(d string, m *Masked, cue, lax bool) (Kind, bool) {
	n := len(d)
	x := n > 0 && d[n-1] == 'X'
	switch {
	case n == 18 && spoken.ValidID(d):
		if birth, ok := spoken.IDBirth(d); ok {
			m.Birth = birth
			male := spoken.IDMale(d)
			m.Male = &male
		}
		return IDCard, true
	case x:
		return IDCard, n == 18 // 17 digits and an X: an ID number, whatever its check digit
	case n >= 16 && n <= 19 && spoken.Luhn(d):
		return BankCard, true
	case n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9':
		return Mobile, true
	case n == 13 && d[:2] == "86" && d[2] == '1' && d[3] >= '3' && d[3] <= '9':
		return Mobile, true
	case n >= 10 && n <= 12 && d[0] == '0' && d[1] != '0':
		return Phone, true
	case (n == 7 || n == 8) && cue && d[0] != '0':
		return Phone, true
	case !lax:
		return "", false
	case (n == 18 || n == 15) && validBirth(d):
		return IDCard, true // a wrong check digit, or the old 15-digit form
	case n >= 16 && n <= 19:
		return BankCard, true // a card number mistyped, or one without a Luhn digit
	case n >= 11:
		return Number, true
	}
	return "", false
}

func validBirth(d string) bool {
	_, ok := spoken.IDBirth(d)
	return ok
}

// phoneCues are words after which a 7–8 digit number is a phone number.
var phoneCues = []string{"电话", "座机", "固话", "宅电", "手机", "号码", "联系方式", "打"}

// cueBefore reports whether s[:i] ends in a phone cue, allowing 是, 号, a colon or spaces
// between ("电话是 8888 6666", "座机号：88886666").
func cueBefore(s string, i int) bool {
	t := strings.TrimRightFunc(s[:i], func(r rune) bool {
		return r == ' ' || r == '是' || r == '为' || r == '：' || r == ':' || r == '号'
	})
	for _, c := range phoneCues {
		if strings.HasSuffix(t, c) {
			return true
		}
	}
	return false
}

// namePrefixes introduce a person's name. They are matched before two to four Han characters.
var namePrefixes = []string{"我的名字叫", "我的名字是", "名字叫", "名字是", "我叫", "本人叫", "姓名是", "姓名：",
	"姓名:", "姓名", "他叫", "她叫", "我妈叫", "我爸叫", "我妈妈叫", "我爸爸叫", "老伴叫", "我老伴叫", "我爱人叫",
	"名叫", "叫做"}

// nameStop are characters that end a name: particles and words that follow a name in speech.
const nameStop = "的了吗呢吧啊呀我你他她是在想要今年问办和跟说从去来也都还就这那个人身份证号码电话手机退休社保有住家怎什哪谁填写错改变更能可以不没"

// maskNames masks the two to four Han characters after a name prefix.
func maskNames(s string, m *Masked) string {
	if !strings.Contains(s, "叫") && !strings.Contains(s, "名") {
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
			size += utf8.RuneLen(r)
		}
		if n >= 2 {
			b.WriteString(Name.Tag())
			m.Found = append(m.Found, Name)
			rest = rest[size:]
		}
		s = rest
	}
	return b.String()
}
