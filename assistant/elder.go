package assistant

import (
	"strings"
	"unicode/utf8"

	"shebao/internal/spoken"
)

// Elder mode follows the 适老化 rules for what is said to an older person: sentences of at most
// MaxSpokenSentence characters, at most two sentences before a question, one question a turn and
// it comes last, at most three list items read at a time ("还有两项，要听吗？"), and a person
// (转人工) always on offer. CheckElder checks a reply against them; shapeElder makes every reply
// of elder mode fit, keeping the rest of a long answer for "要听".

// The elder rules' limits.
const (
	elderMaxStatements = 2 // sentences before the question
	elderMaxItems      = 3 // list items read in one reply
)

// ElderIssue is one broken elder rule in a reply.
type ElderIssue struct {
	Rule     string // sentence_too_long, too_many_sentences, question_not_last, list_too_long, no_handoff_offer
	Sentence string // the sentence concerned, if one
}

// CheckElder checks a reply against the elder rules: its sentences as they are said (numbers and
// symbols read out, but not cut to length as Speakable cuts them), the list items in its text,
// and the offer of a person (in what is said, a 转人工 suggestion, or a handoff).
func CheckElder(a Answer) []ElderIssue {
	var out []ElderIssue
	sents := splitSpoken(speakWords(a.Text))
	statements, questions := 0, 0
	for i, s := range sents {
		if utf8.RuneCountInString(s) > MaxSpokenSentence {
			out = append(out, ElderIssue{"sentence_too_long", s})
		}
		if isQuestion(s) {
			questions++
			if i != len(sents)-1 || questions > 1 {
				out = append(out, ElderIssue{"question_not_last", s})
			}
			continue
		}
		if questions == 0 {
			statements++
			if statements == elderMaxStatements+1 {
				out = append(out, ElderIssue{"too_many_sentences", s})
			}
		}
	}
	if n := listItems(a.Text); n > elderMaxItems {
		out = append(out, ElderIssue{Rule: "list_too_long"})
	}
	if !offersPerson(a) {
		out = append(out, ElderIssue{Rule: "no_handoff_offer"})
	}
	return out
}

// splitSpoken splits speakable text into sentences (。！？), without empty ones.
func splitSpoken(s string) []string {
	var out []string
	for _, p := range splitSentences(s) {
		if strings.Trim(p, "。！？!?；; ，") != "" {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}

func isQuestion(s string) bool { return strings.HasSuffix(s, "？") || strings.HasSuffix(s, "?") }

// listItems is the longest list in text: items separated by ；or 、 in one sentence.
func listItems(text string) int {
	best := 0
	for _, s := range strings.FieldsFunc(text, func(r rune) bool { return r == '。' || r == '？' || r == '！' }) {
		best = max(best, strings.Count(s, "；")+1, strings.Count(s, "、")+1)
	}
	return best
}

func offersPerson(a Answer) bool {
	if a.Handoff != nil {
		return true
	}
	for _, w := range []string{"转人工", "人工", "12333", "幺二三三三"} {
		if strings.Contains(a.Text, w) {
			return true
		}
	}
	for _, s := range a.Suggestions {
		if strings.Contains(s, "转人工") {
			return true
		}
	}
	return false
}

// Elder replies of the fixed routes: the same content, said within the rules.
var elderReplies = map[string]string{
	replyInjection:    "抱歉，这个我不能做。我只回答社保办事的问题。您想办什么，或者转人工？",
	replyDistress:     "听起来您很难受，我们想帮您。请马上拨打12333，或者心理援助热线12356。有危险请打110或120，要转人工吗？",
	replyHandoff:      "好的，为您转人工。请拨打12333，也可以点下面的按钮拨打。",
	replyAccount:      "您的缴费和待遇，要看系统里的记录。请在App“我的”里看个人权益记录。还想问什么，或者转人工？",
	replyGreeting:     "您好，我是陕西社保助手。我能帮您查办事指南，也能算退休年龄。您想办什么，或者转人工？",
	replyOutOfScope:   "抱歉，这个我回答不了。我只回答陕西社保办事的问题。您想问什么，或者转人工？",
	replyNotFound:     "这个问题我没找到办事指南。您可以换个说法再问，要转人工吗？",
	replyRepeatedMiss: "这个问题我还是没找到答案。建议拨打12333找人工客服，要转人工吗？",
}

// The closing questions of elder replies.
const (
	elderAskMore    = "还没说完，要接着听吗？"
	elderAskDone    = "还想了解什么，或者转人工？"
	elderSuggestion = "转人工"
)

// elderAskItems is "还有N项，要听吗？".
func elderAskItems(n int) string { return "还有" + spoken.SayCount(int64(n)) + "项，要听吗？" }

// elderUnit is one sentence to say, or one item of a list (said joined with the items next
// to it, under their lead).
type elderUnit struct {
	Text string `json:"t"`
	Item bool   `json:"i,omitempty"`
	Lead bool   `json:"h,omitempty"` // the words before a list's colon: "办理X，需要准备"
	List int    `json:"l,omitempty"` // which list of the answer an item or lead belongs to (from 1)
}

// elderRest is what is left of a long answer, said on "要听".
type elderRest struct {
	Units     []elderUnit `json:"units"`
	Route     Route       `json:"route"`
	Citations []Citation  `json:"citations,omitempty"`
	Asks      bool        `json:"asks,omitempty"`
}

// elderUnits breaks a reply into sentences and list items; a sentence too long to say in one
// breath is cut at its commas.
func elderUnits(text string) []elderUnit {
	var units []elderUnit
	list := 0
	inList := false
	for _, p := range splitSentences(text) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		endsSemi := strings.HasSuffix(p, "；")
		if endsSemi || inList {
			if !inList {
				// "办理X，需要准备：A；" → the lead "办理X，需要准备" and the item "A"
				list++
				if lead, first, ok := strings.Cut(p, "："); ok {
					if utf8.RuneCountInString(Speakable(lead)) <= MaxSpokenSentence-10 {
						units = append(units, elderUnit{Text: lead, Lead: true, List: list})
					} else {
						units = append(units, sentencesOf(lead+"。")...)
					}
					p = first
				}
			}
			item := strings.TrimRight(p, "；。")
			switch {
			case enumeration(item) != nil:
				units = append(units, enumerationUnits(enumeration(item), list)...)
			case utf8.RuneCountInString(Speakable(item)) > MaxSpokenSentence-4:
				// an item too long to join others: said as sentences of its own
				units = append(units, sentencesOf(item+"。")...)
			default:
				units = append(units, elderUnit{Text: item, Item: true, List: list})
			}
			inList = endsSemi
			continue
		}
		if parts := enumeration(p); parts != nil {
			list++
			units = append(units, enumerationUnits(parts, list)...)
			continue
		}
		units = append(units, sentencesOf(p)...)
	}
	return units
}

// enumeration splits "再带身份证、票据、清单、诊断证明。" into its parts when it names more
// things than are read at a time; nil otherwise.
func enumeration(s string) []string {
	parts := strings.Split(strings.TrimRight(s, "。！；"), "、")
	if len(parts) <= elderMaxItems {
		return nil
	}
	return parts
}

// enumerationUnits are the parts of an enumeration as items of list (a part too long to join
// others is said as sentences of its own).
func enumerationUnits(parts []string, list int) []elderUnit {
	var out []elderUnit
	for _, part := range parts {
		if utf8.RuneCountInString(Speakable(part)) > MaxSpokenSentence-4 {
			out = append(out, sentencesOf(part+"。")...)
			continue
		}
		out = append(out, elderUnit{Text: part, Item: true, List: list})
	}
	return out
}

// sentencesOf cuts one sentence into sentences short enough to say (as Speakable would).
func sentencesOf(s string) []elderUnit {
	if utf8.RuneCountInString(Speakable(s)) <= MaxSpokenSentence {
		return []elderUnit{{Text: s}}
	}
	body, end := cutEnd(s)
	var out []elderUnit
	var cur string
	for _, part := range strings.Split(body, "，") {
		next := part
		if cur != "" {
			next = cur + "，" + part
		}
		if cur != "" && utf8.RuneCountInString(Speakable(next+"。")) > MaxSpokenSentence {
			out = append(out, elderUnit{Text: cur + "。"})
			next = part
		}
		for utf8.RuneCountInString(Speakable(next+"。")) > MaxSpokenSentence && utf8.RuneCountInString(next) > 20 {
			rs := []rune(next)
			cut := len(rs) / 2
			out = append(out, elderUnit{Text: string(rs[:cut]) + "。"})
			next = string(rs[cut:])
		}
		cur = next
	}
	if cur != "" {
		out = append(out, elderUnit{Text: cur + end})
	}
	return out
}

// elderChunk takes from units what one elder reply says: at most two sentences, a list's items
// joined (at most three) under its lead, then the question. It returns the text and the units
// left.
func elderChunk(units []elderUnit, asks bool) (string, []elderUnit, int) {
	var b strings.Builder
	sentences, items := 0, 0
	var cur string // a list's lead and items being joined into one sentence
	curList, curLead := 0, false
	flush := func() {
		if cur != "" {
			b.WriteString(cur + "。")
			sentences++
			cur, curLead = "", false
		}
	}
	i := 0
	for ; i < len(units); i++ {
		u := units[i]
		switch {
		case u.Lead:
			flush()
			if sentences == elderMaxStatements {
				break
			}
			cur, curList, curLead = u.Text, u.List, true
			continue
		case u.Item:
			if items == elderMaxItems {
				break
			}
			next := u.Text
			if cur != "" && u.List == curList {
				next = cur + map[bool]string{true: "：", false: "、"}[curLead] + u.Text
			}
			if cur != "" && (u.List != curList || utf8.RuneCountInString(Speakable(next+"。")) > MaxSpokenSentence) {
				flush()
				next = u.Text
			}
			if cur == "" && sentences == elderMaxStatements {
				break
			}
			cur, curList, curLead = next, u.List, false
			items++
			continue
		default:
			flush()
			if sentences == elderMaxStatements || isQuestion(u.Text) && i < len(units)-1 {
				break
			}
			b.WriteString(u.Text)
			if isQuestion(u.Text) {
				return b.String(), units[i+1:], 0
			}
			sentences++
			continue
		}
		break
	}
	flush()
	rest := units[i:]
	left := 0
	if len(rest) > 0 && rest[0].Item {
		for _, u := range rest {
			if u.Item && u.List == rest[0].List {
				left++
			}
		}
	}
	text := strings.TrimSpace(b.String())
	switch {
	case len(rest) == 0 && (asks || isQuestion(text)):
	case len(rest) == 0:
		text += elderAskDone
	case left > 0:
		text += elderAskItems(left)
	default:
		text += elderAskMore
	}
	return text, rest, left
}

// shapeElder makes a reply of elder mode fit the rules, keeping what does not fit for the next
// "要听". Fixed replies have their own elder wording; a reply that is a question keeps it last.
func shapeElder(a Answer, st *sessionState) Answer {
	if e, ok := elderReplies[a.Text]; ok {
		a.Text = e
	} else if !a.shaped {
		text, rest, left := elderChunk(elderUnits(a.Text), a.Asks)
		a.Text = text
		if len(rest) > 0 {
			st.More = &elderRest{Units: rest, Route: a.Route, Citations: a.Citations, Asks: a.Asks}
			a.Asks = true
		}
		if left > 0 {
			// the count is the program's, not a figure of the guide
			a.sources = append(a.sources, elderAskItems(left))
		}
	}
	a.Speakable = ""
	if !containsString(a.Suggestions, elderSuggestion) {
		a.Suggestions = append([]string{elderSuggestion}, a.Suggestions...)
	}
	if len(a.Suggestions) > 3 {
		a.Suggestions = a.Suggestions[:3]
	}
	return a
}

// elderYes are the answers that ask for the rest of a long reply.
var elderYes = []string{"要", "要听", "听", "想听", "继续", "接着说", "接着", "往下说", "还有呢", "然后呢", "好", "好的", "嗯", "是", "对",
	"行", "可以", "要的", "说吧", "继续说", "接着听", "要接着听"}

// continuation says the rest of a long elder reply when the person asks for it; anything else
// drops the rest.
func (t *turn) continuation() (Answer, bool) {
	rest := t.state.More
	t.state.More = nil
	if rest == nil || !t.state.ElderMode {
		return Answer{}, false
	}
	said := strings.Trim(t.masked.Text, " ，。！？!?,.吧啊呀呢嘛哦")
	if !containsString(elderYes, said) {
		return Answer{}, false
	}
	text, more, left := elderChunk(rest.Units, rest.Asks)
	a := Answer{Route: rest.Route, Text: text, Citations: rest.Citations, Asks: rest.Asks || len(more) > 0}
	var sources []string
	for _, u := range rest.Units {
		sources = append(sources, u.Text)
	}
	if left > 0 {
		sources = append(sources, elderAskItems(left))
	}
	a.sources = sources
	if len(more) > 0 {
		t.state.More = &elderRest{Units: more, Route: rest.Route, Citations: rest.Citations, Asks: rest.Asks}
	}
	a.shaped = true
	return a, true
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
