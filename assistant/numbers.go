package assistant

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// Figure is one amount, percentage, duration, date part or count said in a text: its value in
// canonical form ("15", "0.5", "9:00") and its unit ("年", "月", "元", "%", "" …).
type Figure struct {
	Value string
	Unit  string
	Text  string // as written
}

// units that follow a number, longest first. Synonyms are folded by unitAlias.
var units = []string{"个工作日", "个百分点", "工作日", "百分点", "个月", "周岁", "小时", "分钟", "万元", "个人", "元钱",
	"年", "月", "日", "天", "周", "岁", "元", "块", "万", "%", "倍", "次", "份", "张", "项", "号",
	"人", "家", "级", "秒", "页", "种", "名", "步", "个", "条"}

var unitAlias = map[string]string{"个工作日": "工作日", "个月": "月", "周岁": "岁", "块": "元", "元钱": "元",
	"万元": "万", "个人": "人", "号": "日", "个百分点": "百分点"}

// chineseNumeral holds the characters of Chinese numerals.
const chineseNumeral = "零〇○一二两三四五六七八九十百千万点"

// Figures returns the figures in s: every run of Arabic digits (with its unit, if any), times
// of day (9:00), percentages, and Chinese numerals followed by a unit (十五个工作日, 五十五周岁,
// 百分之八). Ordinals (第一条, 第三步) are list positions, not figures, and are left out, as are
// Chinese numerals without a unit (统一, 一些).
func Figures(s string) []Figure {
	var out []Figure
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		ordinal := i > 0 && rs[i-1] == '第'
		switch {
		case isDigit(r):
			j := i
			for j < len(rs) && isDigit(rs[j]) {
				j++
			}
			val := string(rs[i:j])
			// time of day 9:00, 14:30
			if j+2 < len(rs) && (rs[j] == ':' || rs[j] == '：') && isDigit(rs[j+1]) && isDigit(rs[j+2]) && (j+3 == len(rs) || !isDigit(rs[j+3])) {
				h, _ := strconv.Atoi(val)
				out = append(out, Figure{Value: strconv.Itoa(h) + ":" + string(rs[j+1:j+3]), Unit: "time", Text: string(rs[i : j+3])})
				i = j + 3
				continue
			}
			if j+1 < len(rs) && rs[j] == '.' && isDigit(rs[j+1]) {
				j++
				for j < len(rs) && isDigit(rs[j]) {
					j++
				}
				val = string(rs[i:j])
			}
			unit, n := unitAt(rs, j)
			if !ordinal {
				out = append(out, Figure{Value: canonical(val), Unit: unit, Text: string(rs[i : j+n])})
			}
			i = j + n
		case strings.HasPrefix(string(rs[i:min(i+3, len(rs))]), "百分之"):
			j := i + 3
			k := j
			for k < len(rs) && strings.ContainsRune(chineseNumeral, rs[k]) {
				k++
			}
			if v, ok := spoken.ParseNumber(string(rs[j:k])); ok {
				out = append(out, Figure{Value: formatNumber(v), Unit: "%", Text: string(rs[i:k])})
				i = k
				continue
			}
			i = j
		case strings.ContainsRune(chineseNumeral, r) && r != '点':
			j := i
			for j < len(rs) && strings.ContainsRune(chineseNumeral, rs[j]) {
				j++
			}
			unit, n := unitAt(rs, j)
			v, ok := spoken.ParseNumber(string(rs[i:j]))
			if ok && unit != "" && !ordinal && !idiom(rs, i, j, unit) {
				out = append(out, Figure{Value: formatNumber(v), Unit: unit, Text: string(rs[i : j+n])})
			}
			i = j + n
		default:
			i++
		}
	}
	return out
}

// idiom reports whether a Chinese numeral with a unit is a word rather than a figure: 一次性,
// 一站式, 一个人, 一样.
func idiom(rs []rune, i, j int, unit string) bool {
	num := string(rs[i:j])
	if num != "一" && num != "两" {
		return false
	}
	if num == "一" && i > 0 && strings.ContainsRune("哪那这每同整", rs[i-1]) {
		return true // 哪一年, 那一年, 每一次
	}
	after := ""
	if k := j + utf8.RuneCountInString(unit); k < len(rs) {
		after = string(rs[k])
	}
	switch unit {
	case "次":
		return after == "性"
	case "个", "种", "人", "步", "份", "名", "家", "条", "项", "张", "页", "级":
		return true // "一个", "一种方式": wording, not a count worth checking
	}
	return false
}

// unitAt returns the unit starting at rs[j] (after an optional space) and how many runes it
// and the space take.
func unitAt(rs []rune, j int) (string, int) {
	k := j
	if k < len(rs) && rs[k] == ' ' {
		k++
	}
	rest := string(rs[k:min(k+4, len(rs))])
	for _, u := range units {
		if strings.HasPrefix(rest, u) {
			n := k - j + utf8.RuneCountInString(u)
			if a, ok := unitAlias[u]; ok {
				u = a
			}
			return u, n
		}
	}
	if strings.HasPrefix(rest, "％") {
		return "%", k - j + 1
	}
	return "", 0
}

// canonical turns "015" into "15" and "15.50" into "15.5".
func canonical(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return formatNumber(f)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// NumberCheck is the outcome of CheckNumbers.
type NumberCheck struct {
	Text      string   // the text with every sentence holding an unsourced figure removed
	Dropped   []string // the removed sentences
	Unsourced []Figure // the figures that were not found in any source
}

// OK reports whether every figure was sourced.
func (c NumberCheck) OK() bool { return len(c.Unsourced) == 0 }

// CheckNumbers keeps only the sentences of answer whose figures all appear in sources (the
// cited guide elements, or the sentences of the retirement calculator). A figure is sourced when
// a source has the same value with the same unit, or either side has no unit (12333).
func CheckNumbers(answer string, sources ...string) NumberCheck {
	known := map[string]map[string]bool{}
	for _, src := range sources {
		for _, f := range Figures(src) {
			if known[f.Value] == nil {
				known[f.Value] = map[string]bool{}
			}
			known[f.Value][f.Unit] = true
		}
	}
	sourced := func(f Figure) bool {
		us := known[f.Value]
		return us != nil && (us[f.Unit] || us[""] || f.Unit == "")
	}
	var out NumberCheck
	var b strings.Builder
	for _, sent := range splitSentences(answer) {
		bad := false
		for _, f := range Figures(sent) {
			if !sourced(f) {
				out.Unsourced = append(out.Unsourced, f)
				bad = true
			}
		}
		if bad {
			out.Dropped = append(out.Dropped, sent)
			continue
		}
		b.WriteString(sent)
	}
	out.Text = strings.TrimSpace(b.String())
	return out
}

// splitSentences splits text after 。！？；!? and newlines, keeping the delimiters.
func splitSentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		switch r {
		case '。', '！', '？', '；', '!', '?', '\n':
			end := i + utf8.RuneLen(r)
			// keep a closing quote or bracket with its sentence
			for end < len(s) {
				c, n := utf8.DecodeRuneInString(s[end:])
				if c != '”' && c != '」' && c != '）' && c != '"' {
					break
				}
				end += n
			}
			if end > start {
				out = append(out, s[start:end])
			}
			start = end
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
