package assistant

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// Speakable turns an answer into the text a speech synthesiser reads and a person hears, by
// these rules (each has a table in speak_test.go):
//   - short sentences: a sentence longer than MaxSpokenSentence characters is cut at its commas;
//   - numbers as people say them: hotlines, phone and ID numbers digit by digit in groups, 1 as 幺
//     (12333 → 幺二三三三, 13812345678 → 幺三八，幺二三四，五六七八); money in yuan, jiao and fen
//     (2138.4元 → 两千一百三十八元四角); years digit by digit (1953年3月 → 一九五三年三月); counts
//     and durations as numerals (139个月 → 一百三十九个月, 2份 → 两份); times (9:00 → 九点);
//     percentages (8% → 百分之八); ranges (3-5个 → 三到五个);
//   - no symbols, web addresses, brackets or English abbreviations: addresses are left out,
//     brackets become pauses, known abbreviations are said in Chinese (App → 手机应用) and other
//     Latin words are left out.
func Speakable(text string) string {
	return shortSentences(speakWords(text), MaxSpokenSentence)
}

// speakWords is Speakable without cutting long sentences: what would be said as written.
func speakWords(text string) string {
	s := urlPattern.ReplaceAllString(text, "")
	s = isoDate.ReplaceAllStringFunc(s, func(m string) string {
		p := isoDate.FindStringSubmatch(m)
		return p[1] + "年" + strings.TrimLeft(p[2], "0") + "月" + strings.TrimLeft(p[3], "0") + "日"
	})
	s = thousands.ReplaceAllStringFunc(s, func(m string) string { return strings.ReplaceAll(m, ",", "") })
	s = rangePattern.ReplaceAllString(s, "${1}到${2}")
	s = timePattern.ReplaceAllStringFunc(s, speakTime)
	s = symbols.Replace(s)
	s = speakLatin(s)
	s = speakNumbers(s)
	// tidy punctuation left by the replacements
	for _, p := range [][2]string{{"，，", "，"}, {"，。", "。"}, {"。，", "。"}, {"。。", "。"}, {" ，", "，"}, {"，？", "？"},
		{"。？", "？"}, {"：。", "。"}, {"：，", "："}, {"  ", " "}} {
		for strings.Contains(s, p[0]) {
			s = strings.ReplaceAll(s, p[0], p[1])
		}
	}
	s = strings.TrimRight(strings.TrimLeft(s, "，。 "), "， ")
	return strings.TrimSpace(s)
}

// MaxSpokenSentence is the longest sentence, in characters, read aloud in one breath (the
// 适老化 rule of at most 40 characters a sentence).
const MaxSpokenSentence = 40

var (
	urlPattern   = regexp.MustCompile(`[（(]?\s*(https?://)?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+\.(cn|com|net|org|gov)(/[\w./?=&-]*)?\s*[）)]?|https?://[\w./?=&%#-]+`)
	timePattern  = regexp.MustCompile(`(\d{1,2})[:：](\d{2})(\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2}))?`)
	isoDate      = regexp.MustCompile(`\b((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})\b`)
	thousands    = regexp.MustCompile(`\d{1,3}(,\d{3})+`)
	rangePattern = regexp.MustCompile(`\b([1-9]\d{0,2})\s*[-–—~～]\s*([1-9]\d{0,2})\b`)
	latinWord    = regexp.MustCompile(`[A-Za-z][A-Za-z.\-]*[A-Za-z]|[A-Za-z]`)
)

// symbols are said or left out; brackets become pauses.
var symbols = strings.NewReplacer("→", "里的", "（", "，", "）", "，", "(", "，", ")", "，", "【", "，", "】", "，",
	"[", "", "]", "", "“", "", "”", "", "‘", "", "’", "", "\"", "", "'", "", "「", "", "」", "", "《", "", "》", "",
	"<", "", ">", "", "；", "。", ";", "。", "：", "，", ":", "，", "\n", "。", "•", "", "·", "", "、", "，",
	"～", "到", "~", "到", "——", "，", "—", "，", "…", "。", "*", "", "#", "", "@", "", "&", "和", "+", "加",
	"≥", "不少于", "≤", "不超过", "×", "乘", "|", "，", "/", "或", "¥", "", "￥", "", "!", "！", "?", "？")

// abbreviations are the Latin words of the guides said in Chinese; other Latin words are left
// out (a Mandarin voice reads them letter by letter, in English). A single capital letter before
// a Chinese character (B超, A类) is kept.
var abbreviations = map[string]string{
	"app": "手机应用", "ID": "编号", "PDF": "电子文件", "pdf": "电子文件", "Wi-Fi": "无线网", "WiFi": "无线网",
	"QQ": "扣扣", "APP": "手机应用", "App": "手机应用", "USB": "优盘", "No.": "第", "AI": "人工智能",
	"OK": "好", "ok": "好", "CT": "CT", "VIP": "贵宾",
}

// speakLatin expands the known abbreviations and leaves other Latin words out.
func speakLatin(s string) string {
	return latinWord.ReplaceAllStringFunc(s, func(w string) string {
		if z, ok := abbreviations[w]; ok {
			return z
		}
		if z, ok := abbreviations[strings.ToLower(w)]; ok {
			return z
		}
		if len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z' {
			return w // B超, A类
		}
		return ""
	})
}

// speakTime reads 9:00 as 九点 and 9:00-12:00 as 九点到十二点.
func speakTime(m string) string {
	sm := timePattern.FindStringSubmatch(m)
	one := func(h, mi string) string {
		hv, _ := strconv.Atoi(h)
		out := spoken.SayCardinal(int64(hv)) + "点"
		if mv, _ := strconv.Atoi(mi); mv == 30 {
			out += "半"
		} else if mv != 0 {
			out += spoken.SayCardinal(int64(mv)) + "分"
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
				b.WriteString(spoken.SayDigitGroups(p))
			}
			i = k
			continue
		}
		// the X of an ID number
		if frac == "" && len(intPart) == 17 && (strings.HasPrefix(rest, "X") || strings.HasPrefix(rest, "x")) {
			g := spoken.SayDigitGroups(intPart + "0")
			b.WriteString(strings.TrimSuffix(g, "零") + "叉")
			i = j + 1
			continue
		}
		switch {
		case strings.HasPrefix(rest, "%") || strings.HasPrefix(rest, "％"):
			b.WriteString("百分之" + spoken.SayDecimal(intPart, frac))
			_, n := utf8.DecodeRuneInString(rest)
			j += n
		case (strings.HasPrefix(rest, "元") || strings.HasPrefix(rest, "块")) && len(intPart) < 12:
			b.WriteString(spoken.SayMoney(intPart, frac))
			j += len("元") // 元 and 块 are both three bytes; SayMoney says 元
			if strings.HasPrefix(s[j:], "钱") {
				j += len("钱")
			}
		case frac == "" && len(intPart) == 4 && (strings.HasPrefix(rest, "年") && !strings.HasPrefix(rest, "年内") || yearLike(intPart) && !startsWithUnit(rest)):
			b.WriteString(spoken.SayYear(intPart))
		case frac == "" && (len(intPart) >= 5 && !startsWithUnit(rest) || intPart[0] == '0' && len(intPart) > 1):
			b.WriteString(spoken.SayDigitGroups(intPart))
		case frac == "" && twoAsLiang(rest):
			n, _ := strconv.ParseInt(intPart, 10, 64)
			b.WriteString(spoken.SayCount(n))
		default:
			b.WriteString(spoken.SayDecimal(intPart, frac))
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

// twoAsLiang reports whether a number before rest is a count said with a measure word, where 2
// is 两 (两份, 两个月) rather than 二 (二月, 二日).
func twoAsLiang(rest string) bool {
	for _, u := range []string{"个", "份", "张", "次", "项", "年", "天", "周", "小时", "分钟", "种", "万", "元", "块", "倍", "人", "名", "步", "家", "条", "页"} {
		if strings.HasPrefix(rest, u) {
			return true
		}
	}
	return false
}

// shortSentences cuts every sentence of s longer than max characters at its commas, packing
// the comma-separated parts greedily; a part longer than max on its own is cut at max.
func shortSentences(s string, max int) string {
	var b strings.Builder
	for _, sent := range splitSentences(s) {
		if utf8.RuneCountInString(sent) <= max {
			b.WriteString(sent)
			continue
		}
		body, end := cutEnd(sent)
		var cur []rune
		flush := func(stop string) {
			if len(cur) > 0 {
				b.WriteString(string(cur) + stop)
				cur = cur[:0]
			}
		}
		for _, part := range strings.Split(body, "，") {
			pr := []rune(part)
			for len(pr) > max-1 {
				flush("。")
				b.WriteString(string(pr[:max-1]) + "。")
				pr = pr[max-1:]
			}
			if len(cur) > 0 && len(cur)+1+len(pr)+1 > max {
				flush("。")
			}
			if len(cur) > 0 {
				cur = append(cur, '，')
			}
			cur = append(cur, pr...)
		}
		flush(end)
	}
	return b.String()
}

// cutEnd splits a sentence from its closing punctuation (。 if it has none).
func cutEnd(s string) (string, string) {
	r, n := utf8.DecodeLastRuneInString(s)
	if r == '。' || r == '？' || r == '！' || r == '?' || r == '!' {
		return s[:len(s)-n], string(r)
	}
	if unicode.IsPunct(r) {
		return s[:len(s)-n], "。"
	}
	return s, "。"
}
