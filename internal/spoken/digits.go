// Package spoken reads the numbers, digit strings and dates of everyday Chinese as people say
// and type them (and as speech recognisers write them down): 一九七零, 幺三八 幺二三四, 两千,
// 五三年三月, full-width ０１２３. It also holds the check digits those numbers carry (身份证号,
// GB 11643; bank cards, Luhn). It knows no conversation: the assistant's turns, the personal
// data masker (internal/pii) and the form parser build on it.
package spoken

import "unicode/utf8"

// Digit returns the value of a character written or said as one digit: ASCII and full-width
// digits, and the Chinese characters used to say a number digit by digit — 零 〇 ○ 洞 (0),
// 一 幺 (1), 二 两 (2), 三 四 五 六 七 八 九. It is the one digit table of the program.
func Digit(r rune) (int, bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), true
	case r >= '０' && r <= '９':
		return int(r - '０'), true
	case r < 0x25CB: // below every Chinese digit (○ is the lowest): ASCII, Latin, punctuation
		return 0, false
	}
	switch r {
	case '零', '〇', '○', '洞':
		return 0, true
	case '一', '幺':
		return 1, true
	case '二', '两':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	}
	return 0, false
}

// DigitGroup is one group of a digit run, as written between separators.
type DigitGroup struct {
	Start, End int    // byte offsets in the text
	Digits     string // ASCII digits, with a final 'X' for the check character of an ID number
	// Loose reports that the group is joined to the one before it by a comma-like separator
	// (，、) rather than a space, dot or hyphen: speech recognisers put commas between the
	// groups of a number, but lists of figures are written with them too.
	Loose bool
}

// DigitRun is a run of digits in a text, written or said one by one and possibly in groups:
// "138 1234 5678", "幺三八-幺二三四-五六七八", "610102.19530305.0019", "六一0一…", ending in the
// X of an ID number (X, x, Ｘ, 叉, 艾克斯) when seventeen digits come before it.
type DigitRun struct {
	Start, End int          // byte offsets of the run in the text
	Groups     []DigitGroup // at least one
}

// Digits returns the run's digits without separators.
func (r DigitRun) Digits() string {
	if len(r.Groups) == 1 {
		return r.Groups[0].Digits
	}
	n := 0
	for _, g := range r.Groups {
		n += len(g.Digits)
	}
	b := make([]byte, 0, n)
	for _, g := range r.Groups {
		b = append(b, g.Digits...)
	}
	return string(b)
}

// maxSeparator is the longest separator between two groups of a run, in characters (" - ").
const maxSeparator = 3

// separator reports whether r may stand between the groups of a number, and whether it is a
// loose (comma-like) one.
func separator(r rune) (sep, loose bool) {
	switch r {
	case ' ', '\u3000', '\u00a0', '-', '－', '.', '．', '·', '・', '_', '＿', '—', '–', '‐', '‑', '−', '~', '～',
		')', '）': // (029)8888 6666: the area code in brackets
		return true, false
	case '，', '、':
		return true, true
	}
	return false, false
}

// xSuffixes are the ways the X of an ID number is written or said.
var xSuffixes = []string{"X", "x", "Ｘ", "ｘ", "叉", "艾克斯", "爱克斯"}

// ScanDigitRuns calls fn for every digit run in s with at least min digits, in order. Runs
// with fewer digits cost no allocation, which keeps scanning ordinary Chinese text (full of 一
// and 两) cheap.
func ScanDigitRuns(s string, min int, fn func(DigitRun)) {
	var buf [8]DigitGroup
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, ok := Digit(r); !ok {
			i += n
			continue
		}
		groups := buf[:0]
		total := 0
		start := i
		loose := false
		for {
			// one group
			gs := i
			for i < len(s) {
				r, n := utf8.DecodeRuneInString(s[i:])
				if _, ok := Digit(r); !ok {
					break
				}
				i += n
				total++
			}
			groups = append(groups, DigitGroup{Start: gs, End: i, Loose: loose})
			// a separator, then more digits?
			j, k := i, 0
			loose = false
			for j < len(s) && k < maxSeparator {
				r, n := utf8.DecodeRuneInString(s[j:])
				sep, l := separator(r)
				if !sep {
					break
				}
				loose = loose || l
				j += n
				k++
			}
			if k == 0 || j == len(s) {
				break
			}
			if r, _ := utf8.DecodeRuneInString(s[j:]); !isDigitRune(r) {
				break
			}
			i = j
		}
		end := i
		x := false
		if total == 17 {
			for _, suf := range xSuffixes {
				if len(s)-end >= len(suf) && s[end:end+len(suf)] == suf {
					if len(suf) == 1 && end+1 < len(s) && isASCIIAlnum(s[end+1]) {
						break // X1, xy: a code, not the end of an ID number
					}
					end += len(suf)
					x = true
					break
				}
			}
		}
		if total+b2i(x) >= min {
			run := DigitRun{Start: start, End: end, Groups: make([]DigitGroup, len(groups))}
			copy(run.Groups, groups)
			for gi := range run.Groups {
				g := &run.Groups[gi]
				d := make([]byte, 0, g.End-g.Start)
				for _, r := range s[g.Start:g.End] {
					v, _ := Digit(r)
					d = append(d, byte('0'+v))
				}
				if x && gi == len(run.Groups)-1 {
					d = append(d, 'X')
					g.End = end
				}
				g.Digits = string(d)
			}
			fn(run)
		}
		i = end
	}
}

// ReadDigits reads s as one number said or written digit by digit, in groups or not
// ("幺三八 幺二三四 五六七八" → "13812345678"; "11010519491231002叉" → "11010519491231002X").
// It fails when s holds anything else.
func ReadDigits(s string) (string, bool) {
	var out string
	found := false
	ScanDigitRuns(s, 1, func(r DigitRun) {
		if r.Start == leadingSpace(s) && r.End == len(s)-trailingSpace(s) {
			out, found = r.Digits(), true
		}
	})
	return out, found
}

func leadingSpace(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func trailingSpace(s string) int {
	i := 0
	for i < len(s) && (s[len(s)-1-i] == ' ' || s[len(s)-1-i] == '\t') {
		i++
	}
	return i
}

func isDigitRune(r rune) bool {
	_, ok := Digit(r)
	return ok
}

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
