package assistant

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Speakable turns an answer into text for speech synthesis and for reading aloud: short
// sentences, no brackets or arrows, web addresses left out, and numbers as they are said —
// hotline and phone numbers digit by digit in groups (12333 → 一二三三三), years digit by
// digit (2031年 → 二零三一年), times (9:00 → 九点), percentages (8% → 百分之八) and other
// figures as Chinese numerals (20元 → 二十元, 2份 → 两份).
func Speakable(text string) string {
	s := urlPattern.ReplaceAllString(text, "")
	s = strings.NewReplacer("→", "里的", "（", "，", "）", "，", "(", "，", ")", "，", "“", "", "”", "",
		"「", "", "」", "", "《", "", "》", "", "；", "。", ";", "。", "：", "，", ":", "，", "\n", "。",
		"•", "", "、", "，", "～", "到", "~", "到").Replace(timePattern.ReplaceAllStringFunc(s, speakTime))
	s = speakNumbers(s)
	// tidy punctuation left by the replacements
	for _, p := range [][2]string{{"，，", "，"}, {"，。", "。"}, {"。，", "。"}, {"。。", "。"}, {" ，", "，"}, {"，？", "？"}} {
		for strings.Contains(s, p[0]) {
			s = strings.ReplaceAll(s, p[0], p[1])
		}
	}
	s = strings.TrimLeft(s, "，。 ")
	return strings.TrimSpace(s)
}

var (
	urlPattern  = regexp.MustCompile(`[（(]?\s*(https?://)?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+\.(cn|com|net|org|gov)(/[\w./?=&-]*)?\s*[）)]?`)
	timePattern = regexp.MustCompile(`(\d{1,2})[:：](\d{2})(\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2}))?`)
)

// speakTime reads 9:00 as 九点 and 9:00-12:00 as 九点到十二点.
func speakTime(m string) string {
	sm := timePattern.FindStringSubmatch(m)
	one := func(h, mi string) string {
		hv, _ := strconv.Atoi(h)
		out := cardinal(int64(hv)) + "点"
		if mv, _ := strconv.Atoi(mi); mv == 30 {
			out += "半"
		} else if mv != 0 {
			out += cardinal(int64(mv)) + "分"
		}
		return out
	}
	out := one(sm[1], sm[2])
	if sm[4] != "" {
		out += "到" + one(sm[4], sm[5])
	}
	return out
}

// speakNumbers rewrites every run of digits in s.
func speakNumbers(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c < '0' || c > '9' {
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		intPart := s[i:j]
		frac := ""
		if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
			k := j + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			frac, j = s[j+1:k], k
		}
		rest := s[j:]
		// a hyphenated number is a phone number: 029-12345678
		if strings.HasPrefix(rest, "-") && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' {
			k := j + 1
			for k < len(s) && (s[k] >= '0' && s[k] <= '9' || s[k] == '-') {
				k++
			}
			parts := strings.Split(s[i:k], "-")
			for pi, p := range parts {
				if pi > 0 {
					b.WriteString("，")
				}
				b.WriteString(digitGroups(p))
			}
			i = k
			continue
		}
		switch {
		case strings.HasPrefix(rest, "%") || strings.HasPrefix(rest, "％"):
			b.WriteString("百分之" + readNumber(intPart, frac))
			_, n := utf8.DecodeRuneInString(rest)
			j += n
		case frac == "" && len(intPart) == 4 && (strings.HasPrefix(rest, "年") && !strings.HasPrefix(rest, "年内") || yearLike(intPart) && !startsWithUnit(rest)):
			b.WriteString(digitByDigit(intPart))
		case frac == "" && (len(intPart) >= 5 && !startsWithUnit(rest) || intPart[0] == '0' && len(intPart) > 1):
			b.WriteString(digitGroups(intPart))
		case frac == "" && intPart == "2" && twoAsLiang(rest):
			b.WriteString("两")
		default:
			b.WriteString(readNumber(intPart, frac))
		}
		i = j
	}
	return b.String()
}

func yearLike(s string) bool { return strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20") }

func startsWithUnit(rest string) bool {
	for _, u := range units {
		if strings.HasPrefix(rest, u) {
			return true
		}
	}
	return false
}

// twoAsLiang reports whether 2 before rest is said 两 (两份, 两个月) rather than 二 (二月, 二日).
func twoAsLiang(rest string) bool {
	for _, u := range []string{"个", "份", "张", "次", "项", "年", "天", "周", "小时", "分钟", "种", "万", "元", "块", "倍", "人", "名", "步"} {
		if strings.HasPrefix(rest, u) {
			return true
		}
	}
	return false
}

var digitNames = [10]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

func digitByDigit(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(digitNames[s[i]-'0'])
	}
	return b.String()
}

// digitGroups reads a long number digit by digit, in groups separated by a pause: up to five
// digits in one group (12333), eleven as 3-4-4 (mobile numbers), otherwise groups of four.
func digitGroups(s string) string {
	switch {
	case len(s) <= 5:
		return digitByDigit(s)
	case len(s) == 11:
		return digitByDigit(s[:3]) + "，" + digitByDigit(s[3:7]) + "，" + digitByDigit(s[7:])
	}
	var parts []string
	first := len(s) % 4
	if first == 0 {
		first = 4
	}
	parts = append(parts, digitByDigit(s[:first]))
	for i := first; i < len(s); i += 4 {
		parts = append(parts, digitByDigit(s[i:i+4]))
	}
	return strings.Join(parts, "，")
}

func readNumber(intPart, frac string) string {
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || n >= 1e12 {
		return digitGroups(intPart)
	}
	out := cardinal(n)
	if frac != "" {
		out += "点" + digitByDigit(frac)
	}
	return out
}

// cardinal says a whole number in Chinese: 20 → 二十, 105 → 一百零五, 12000 → 一万二千.
func cardinal(n int64) string {
	if n == 0 {
		return "零"
	}
	if n < 0 {
		return "负" + cardinal(-n)
	}
	if n >= 1e8 {
		hi, lo := n/1e8, n%1e8
		out := cardinal(hi) + "亿"
		if lo > 0 {
			if lo < 1e7 {
				out += "零"
			}
			out += cardinal(lo)
		}
		return out
	}
	if n >= 1e4 {
		hi, lo := n/1e4, n%1e4
		out := cardinal(hi) + "万"
		if lo > 0 {
			if lo < 1000 {
				out += "零"
			}
			out += cardinal(lo)
		}
		return out
	}
	var b strings.Builder
	unitNames := []string{"千", "百", "十", ""}
	divs := []int64{1000, 100, 10, 1}
	zero := false
	started := false
	for i, d := range divs {
		v := n / d % 10
		if v == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		if !(v == 1 && d == 10 && !started) { // 十五, not 一十五
			b.WriteString(digitNames[v])
		}
		b.WriteString(unitNames[i])
		started = true
	}
	return b.String()
}
