package formflow

// Every sentence the engine says is built here, in one file, so that the elder-mode limits
// (≤ 40 characters a sentence, ≤ 2 sentences before the question, one question a turn) can be
// checked in one place. Each function returns whole sentences ending in 。 or ？.

import (
	"strconv"
	"strings"

	"shebao/content"
)

// maxSentence is the longest sentence, in characters, an elder-friendly reply may have.
const maxSentence = 40

// Sentences that stand alone.
const (
	sayNoted         = "好的，记下了。"
	sayAskAgain      = "好的，请重新说。"
	sayMustAnswer    = "这一项必须填写，不能跳过。"
	saySkipped       = "好的，这一项跳过。"
	sayNothingBack   = "这已经是第一项了。"
	sayCancelled     = "好的，已经不办了，填的内容不会提交。"
	sayCancelledEnd  = "以后想办，随时跟我说。"
	sayRefused       = "这个操作现在做不了。"
	sayNoExplain     = "这一项没有更多说明。"
	sayWhichItem     = "请说要改哪一项，比如“改手机号”？"
	sayNextPage      = "这几项对吗？"
	sayConfirmAll    = "都对的话，现在提交吗？"
	sayNotSubmitted  = "提交没有成功，填的内容已保存。"
	sayRetrySubmit   = "稍后说“提交”再试一次，好吗？"
	sayNoSubmitter   = "现在不能在线提交，填的内容已保存。"
	sayCallHotline   = "请拨打12333，由工作人员帮您办理。"
	saySignIn        = "在线办理要先登录。"
	saySignInAsk     = "请在App里登录后，再跟我说一次，好吗？"
	sayHandoffKeep   = "填的内容已保存，回来说“继续”就行。"
	sayNoValue       = "没有听清，请再说一遍。"
	sayReadSummary   = "都填好了，我把内容念一遍，好吗？"
	sayQuestionLater = "您的问题请等表填完再问我。"
)

// sayStart introduces a form.
func sayStart(title string) string { return "现在为您办理" + title + "。" }

// sayResume reminds which form is being filled when a person comes back.
func sayResume(title string) string { return "我们接着填" + title + "。" }

// askField is the question for a field.
func askField(f content.Field) string {
	label := strings.TrimPrefix(f.Label, "您的")
	switch f.Type {
	case content.FieldYesNo:
		return f.Label + "？"
	case content.FieldChoice:
		opts := make([]string, len(f.Options))
		for i, o := range f.Options {
			opts[i] = o.Label
		}
		q := "请选" + label + "：" + strings.Join(opts[:len(opts)-1], "、") + "，还是" + opts[len(opts)-1] + "？"
		if len(opts) == 1 || runeLen(q) > maxSentence {
			return "请选" + label + "，说第几个就行，好吗？"
		}
		return q
	case content.FieldIDNumber, content.FieldBankCard, content.FieldPhone:
		return "请一位一位说" + maybeYour(f.Label) + "，好吗？"
	case content.FieldDate:
		return "请说" + maybeYour(f.Label) + "，要说年月日，好吗？"
	case content.FieldYearMonth:
		return "请说" + maybeYour(f.Label) + "，说年和月就行，好吗？"
	}
	return "请说" + maybeYour(f.Label) + "，好吗？"
}

// maybeYour keeps the label as written: labels already say whose value it is.
func maybeYour(label string) string { return label }

// sayOptionsShown precedes a choice whose options are too long to say in one sentence.
func sayOptionsShown(f content.Field) string {
	return label0(f) + "有" + strconv.Itoa(len(f.Options)) + "种，选项在屏幕上。"
}

func label0(f content.Field) string { return strings.TrimPrefix(f.Label, "您的") }

// readBack asks whether a value was heard right.
func readBack(f content.Field, display string) string {
	return "您说的是" + display + "，对吗？"
}

// readBackPrefill offers a value from the profile.
func readBackPrefill(f content.Field, display string) string {
	return maybeYour(f.Label) + "是" + display + "，对吗？"
}

// sayBack introduces the previous field asked again.
func sayBack(f content.Field) string { return "回到上一项：" + label0(f) + "。" }

// sayCorrect introduces a field being changed.
func sayCorrect(f content.Field) string { return "好的，改" + label0(f) + "。" }

// sayProblem is the reason a value was refused, one short sentence.
func sayProblem(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return sayNoValue
	}
	return msg
}

// Field rule messages.
func sayTooShort(f content.Field, n int) string {
	return label0(f) + "至少要" + strconv.Itoa(n) + "个字。"
}
func sayTooLong(f content.Field, n int) string {
	return label0(f) + "最多" + strconv.Itoa(n) + "个字。"
}
func sayNotMatching(f content.Field) string { return label0(f) + "的格式不对。" }
func sayTooSmall(f content.Field, v float64) string {
	return label0(f) + "不能小于" + strconv.FormatFloat(v, 'f', -1, 64) + "。"
}
func sayTooLarge(f content.Field, v float64) string {
	return label0(f) + "不能大于" + strconv.FormatFloat(v, 'f', -1, 64) + "。"
}
func sayDateRule(f content.Field, rule string) string {
	return label0(f) + content.DateRules[rule] + "。"
}
func sayNeedDay(f content.Field) string { return label0(f) + "要说到几号。" }

// summarySentences reads the values back as sentences of at most maxSentence characters.
func summarySentences(items []summaryItem) []string {
	var out []string
	cur := ""
	for _, it := range items {
		part := it.label + "：" + it.value
		switch {
		case cur == "":
			cur = part
		case runeLen(cur+"，"+part+"。") <= maxSentence:
			cur += "，" + part
		default:
			out = append(out, cur+"。")
			cur = part
		}
	}
	if cur != "" {
		out = append(out, cur+"。")
	}
	return out
}

// summaryItem is one value in the summary.
type summaryItem struct{ label, value string }

// saySubmitted gives the application number.
func saySubmitted(id string) string { return "已经提交，申请编号是" + id + "。" }

// sayHotline gives the hotline and, when it fits in the same sentence, the office hours of the
// form's guide: 人工电话12333，工作日上午9:00-12:00，下午14:00-17:00。
func sayHotline(hours string) string {
	if i := strings.IndexAny(hours, "（("); i > 0 {
		hours = hours[:i]
	}
	hours = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(hours), " ", ""), "法定工作日", "工作日")
	s := "人工电话12333，" + hours + "。"
	if hours == "" || runeLen(s) > maxSentence {
		return "人工电话12333。"
	}
	return s
}

// sayAgain asks the field again after the person was offered a hotline.
func sayAgain(f content.Field) string { return "也可以再说一遍" + label0(f) + "，好吗？" }

// sayExplain is the help of a field, cut to sentences of at most maxSentence characters; at
// most two are said.
func sayExplain(help string) []string {
	var out []string
	for _, s := range splitSentences(help) {
		if runeLen(s) <= maxSentence {
			out = append(out, s)
		} else {
			for _, part := range strings.Split(strings.TrimSuffix(s, "。"), "，") {
				if p := part + "。"; runeLen(p) <= maxSentence && len(out) < 2 {
					out = append(out, p)
				}
			}
		}
		if len(out) >= 2 {
			break
		}
	}
	return out[:min(len(out), 2)]
}

// Display forms of values, as read back.
var cnDigits = []string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// sayYear reads a year digit by digit: 1953 → 一九五三.
func sayYear(y string) string {
	var b strings.Builder
	for _, r := range y {
		if r >= '0' && r <= '9' {
			b.WriteString(cnDigits[r-'0'])
		}
	}
	return b.String()
}

// saySmall reads 1–31 as people say it: 3 → 三, 10 → 十, 15 → 十五, 23 → 二十三.
func saySmall(n int) string {
	switch {
	case n < 10:
		return cnDigits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + cnDigits[n-10]
	case n%10 == 0:
		return cnDigits[n/10] + "十"
	}
	return cnDigits[n/10] + "十" + cnDigits[n%10]
}

// sayDate reads YYYY-MM or YYYY-MM-DD: 一九五三年三月五日.
func sayDate(v string) string {
	parts := strings.Split(v, "-")
	if len(parts) < 2 {
		return v
	}
	m, _ := strconv.Atoi(parts[1])
	s := sayYear(parts[0]) + "年" + saySmall(m) + "月"
	if len(parts) == 3 {
		d, _ := strconv.Atoi(parts[2])
		s += saySmall(d) + "日"
	}
	return s
}

// sayYesNo reads a yes/no answer.
func sayYesNo(v string) string {
	if v == "yes" {
		return "是"
	}
	return "不是"
}

// saySkippedValue is the summary's word for a skipped optional field.
const saySkippedValue = "不填"

func runeLen(s string) int { return len([]rune(s)) }

// splitSentences cuts text after 。？！ (keeping them).
func splitSentences(text string) []string {
	var out []string
	start := 0
	rs := []rune(text)
	for i, r := range rs {
		if r == '。' || r == '？' || r == '！' || r == '；' {
			s := strings.TrimSpace(string(rs[start : i+1]))
			if r == '；' {
				s = strings.TrimSuffix(s, "；") + "。"
			}
			if s != "" && s != "。" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
		out = append(out, rest+"。")
	}
	return out
}

// join puts sentences into one reply.
func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.String()
}
