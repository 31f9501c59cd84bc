package answer

import (
	"strings"
	"time"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// digitFillers may stand between the digits of one number said aloud: hesitations and the
// words people use for a hyphen. Pauses (spaces, commas, ellipses) may too.
var digitFillers = []string{"横杠", "杠", "然后", "接着", "那个", "后面", "后边", "最后一位是", "最后一位", "最后是",
	"大写的", "大写", "小写的", "小写", "再", "嗯", "呃", "额", "啊", "哦", "噢"}

// xWords are the ways the X at the end of an ID number is written or said.
var xWords = []string{"艾克斯", "爱克斯", "埃克斯", "叉", "x"}

// digitStopwords hold digit characters without being digits of a number (一下, 第一).
var digitStopwords = []string{"一下", "一共", "一样", "一直", "一起", "一般", "一些", "一定", "一会", "一点",
	"统一", "唯一", "第一", "一个", "一位", "一遍", "一次", "万一", "两个字", "两遍"}

// digitRun is a number said digit by digit, possibly in groups and with pauses.
type digitRun struct {
	start, end int
	digits     string // ASCII digits, with a final X when one was said
}

// digitRuns finds the numbers said digit by digit in s. Runs separated by anything other than a
// pause or a filler are different numbers. 三个八 (three eights) is 888. An X is kept where it
// was said, so that one said in the middle is refused as such.
func digitRuns(s string) []digitRun {
	m := mask(s, digitStopwords)
	var out []digitRun
	var b []byte
	start, end := -1, 0
	flush := func() {
		if start >= 0 {
			out = append(out, digitRun{start: start, end: end, digits: string(b)})
			start, b = -1, nil
		}
	}
	for i := 0; i < len(m); {
		r, n := utf8.DecodeRuneInString(m[i:])
		if d, ok := spoken.Digit(r); ok {
			if start < 0 {
				start = i
			}
			i += n
			times := 1
			// 三个八: a digit repeated
			if rest := m[i:]; d >= 2 && strings.HasPrefix(rest, "个") {
				if d2, ok := spoken.Digit(firstRune(rest[len("个"):])); ok {
					times, d = d, d2
					i += len("个") + utf8.RuneLen(firstRune(rest[len("个"):]))
				}
			}
			for ; times > 0; times-- {
				b = append(b, byte('0'+d))
			}
			end = i
			continue
		}
		if len(b) > 0 { // an X after an X is kept too: 叉叉 is not one check character
			if w := prefixAny(m[i:], xWords); w != "" && !(w == "x" && i+1 < len(m) && isASCIILetter(m[i+1])) {
				b = append(b, 'X')
				i += len(w)
				end = i
				continue
			}
		}
		if isPause(r) {
			i += n
			continue
		}
		if w := prefixAny(s[i:], digitFillers); w != "" && start >= 0 {
			i += len(w)
			continue
		}
		flush()
		i += n
	}
	flush()
	return out
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func prefixAny(s string, words []string) string {
	for _, w := range words {
		if strings.HasPrefix(s, w) {
			return w
		}
	}
	return ""
}

// settleDigits picks the one number an answer gives, checked by check (which returns the
// canonical form or the reason it is refused).
func settleDigits(s string, check func(digits string) (string, error)) (string, error) {
	if containsAny(s[lastRetraction(s):], uncertain) {
		return "", refuse(Hedged)
	}
	runs := digitRuns(s)
	if len(runs) == 0 {
		return "", refuse(NoDigits)
	}
	occ := make([]occurrence, len(runs))
	for i, r := range runs {
		text, err := check(r.digits)
		if h := len(r.digits) / 2; err != nil && len(r.digits)%2 == 0 && r.digits[:h] == r.digits[h:] {
			// the number said twice in one breath: 幺三八…五六七八，幺三八…五六七八
			if t, e := check(r.digits[:h]); e == nil {
				text, err = t, nil
			}
		}
		occ[i] = occurrence{start: r.start, end: r.end, text: text, err: err}
	}
	o, err := settle(s, occ)
	if err != nil {
		return "", err
	}
	return o.text, nil
}

// mobilePrefixes are the second and third digits of the mobile numbers in use (13x, 145–149,
// 15x but 154, 162/165–167, 170–178, 18x, 19x but 194).
func mobilePrefix(d string) bool {
	if len(d) < 3 || d[0] != '1' {
		return false
	}
	switch d[1] {
	case '3', '8':
		return true
	case '4':
		return d[2] >= '5'
	case '5':
		return d[2] != '4'
	case '6':
		return strings.IndexByte("2567", d[2]) >= 0
	case '7':
		return d[2] <= '8'
	case '9':
		return d[2] != '4'
	}
	return false
}

func parsePhone(s string) (Value, error) {
	text, err := settleDigits(s, func(d string) (string, error) {
		if strings.Contains(d, "X") {
			return "", refuse(PhoneLength)
		}
		switch {
		case len(d) == 13 && strings.HasPrefix(d, "86"):
			d = d[2:]
		case len(d) == 15 && strings.HasPrefix(d, "0086"):
			d = d[4:]
		}
		switch {
		case len(d) != 11 && d[0] == '0':
			return "", refuse(PhonePrefix) // a landline with its area code
		case len(d) != 11:
			return "", refuseLength(PhoneLength, "11位数字", len(d))
		case !mobilePrefix(d):
			return "", refuse(PhonePrefix)
		}
		return d, nil
	})
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: Phone, Text: text}, nil
}

// provinces are the first two digits of the ID numbers of the provinces (GB/T 2260), Hong Kong,
// Macao and Taiwan.
var provinces = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83"

func parseIDCard(s string, today time.Time) (Value, error) {
	text, err := settleDigits(s, func(d string) (string, error) { return checkID(d, today) })
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: IDCard, Text: text}, nil
}

// checkID checks an ID number: its length, where an X may be, its check digit, the date of
// birth in it (a real day, not after today) and its province.
func checkID(d string, today time.Time) (string, error) {
	if i := strings.IndexByte(d, 'X'); i >= 0 && i != 17 {
		if len(d) == 18 {
			return "", refuse(IDX)
		}
		return "", refuse(IDLength)
	}
	if len(d) != 18 {
		return "", refuseLength(IDLength, "18位", len(d))
	}
	if !spoken.ValidID(d) {
		return "", refuse(IDCheck)
	}
	b, ok := spoken.IDBirth(d)
	if !ok || b.Day > daysIn(b.Year, b.Month) {
		return "", refuse(IDBirth)
	}
	if !today.IsZero() && time.Date(b.Year, time.Month(b.Month), b.Day, 0, 0, 0, 0, time.UTC).After(today) {
		return "", refuse(IDBirth)
	}
	if !strings.Contains(provinces, d[:2]) {
		return "", refuse(IDRegion)
	}
	return d, nil
}

func parseBankCard(s string) (Value, error) {
	text, err := settleDigits(s, func(d string) (string, error) {
		switch {
		case strings.Contains(d, "X"):
			return "", refuse(BankLength)
		case len(d) < 16 || len(d) > 19:
			return "", refuseLength(BankLength, "16到19位数字", len(d))
		case !spoken.Luhn(d):
			return "", refuse(BankLuhn)
		}
		return d, nil
	})
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: BankCard, Text: text}, nil
}
