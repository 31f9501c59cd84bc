package assistant

import (
	"fmt"
	"strings"
	"unicode"

	"shebao/content"
)

// Composed is an answer drafted from guide elements, before the number check.
type Composed struct {
	Text      string
	Citations []Citation
	Sources   []string // the cited elements' text: the only sources of its figures
}

// elderListLimit is how many list items (materials, conditions) elder mode puts in an answer;
// 0: all of them, read three at a time by shapeElder.
const elderListLimit = 0

// ComposeExtractive answers from guide g alone: the elements asked about (or the best matching
// FAQ, or the summary and steps), each in short sentences, with a citation per element. It is
// the no-model answer and the fallback whenever a model's answer fails a check.
func ComposeExtractive(g *content.Guide, question string, elems []Element, elder bool) Composed {
	var c Composed
	if faq, score := bestFAQ(g, question); faq >= 0 && (score >= 0.6 || score >= 0.4 && len(elems) == 0) {
		c.Text = sentence(g.FAQ[faq].A)
		c.cite(g, ElemFAQ)
		return c
	}
	if len(elems) == 0 {
		elems = []Element{ElemSummary, ElemSteps}
		if elder {
			elems = elems[:1]
		}
	}
	var b strings.Builder
	for _, e := range elems {
		t := elementAnswer(g, e, elder)
		if t == "" {
			continue
		}
		b.WriteString(t)
		c.cite(g, e)
	}
	c.Text = b.String()
	if c.Text == "" {
		c.Text = sentence(g.Summary)
		c.cite(g, ElemSummary)
	}
	return c
}

func (c *Composed) cite(g *content.Guide, e Element) {
	for _, x := range c.Citations {
		if x.Code == g.Code && x.Element == string(e) {
			return
		}
	}
	c.Citations = append(c.Citations, Citation{Code: g.Code, Title: g.Name, Element: string(e), Label: e.Label()})
	// the guide's name is part of every answer and may hold figures (e.g. 12333)
	c.Sources = append(c.Sources, g.Name, ElementText(g, e))
}

// elementAnswer says one element of g in short sentences, the way a person at the counter would.
func elementAnswer(g *content.Guide, e Element, elder bool) string {
	name := g.Name
	switch e {
	case ElemSummary:
		return sentence(g.Summary)
	case ElemConditions:
		items := trimAll(g.Conditions)
		return "办理" + name + "，需要符合这些条件：" + joinList(items, elder, "其他条件请看办事指南") + "。"
	case ElemMaterials:
		var items []string
		for _, m := range g.Materials {
			items = append(items, materialText(m))
		}
		return "办理" + name + "，需要准备：" + joinList(items, elder, "其他材料请看办事指南") + "。"
	case ElemSteps:
		var details []string
		for _, s := range g.Steps {
			d := trimStop(s.Detail)
			if d == "" {
				d = trimStop(s.Title)
			}
			details = append(details, d)
		}
		switch len(details) {
		case 0:
			return ""
		case 1:
			return "办理" + name + "：" + details[0] + "。"
		}
		var b strings.Builder
		b.WriteString("办理" + name + "：先" + details[0] + "；")
		for _, d := range details[1 : len(details)-1] {
			b.WriteString("然后" + d + "；")
		}
		b.WriteString("最后" + details[len(details)-1] + "。")
		return b.String()
	case ElemChannels:
		var items []string
		for _, ch := range g.Channels {
			items = append(items, ch.Type.Name()+"："+trimStop(ch.Where))
		}
		return name + "可以这样办：" + joinList(items, elder, "") + "。"
	case ElemLocations:
		var items []string
		for _, l := range g.Locations {
			items = append(items, locationText(l))
		}
		return name + "的办理地点：" + joinList(items, elder, "") + "。"
	case ElemTimeLimit:
		st, pr := trimStop(g.TimeLimit.Statutory), trimStop(g.TimeLimit.Promised)
		if strings.Contains(pr, "待核实") || pr == "" { // an unconfirmed promise is not said
			pr, st = st, ""
		}
		if strings.Contains(st, "待核实") {
			st = ""
		}
		if pr == "" {
			return ""
		}
		if st == pr || st == "" {
			return name + "的办理时限是" + pr + "。"
		}
		if elder {
			return name + "的承诺时限是" + pr + "。"
		}
		return name + "的承诺时限是" + pr + "，法定时限是" + st + "。"
	case ElemVisits:
		if g.Visits == 0 {
			return "办理" + name + "不用跑现场。"
		}
		return fmt.Sprintf("办理%s最多跑%d次。", name, g.Visits)
	case ElemFee:
		s := "办理" + name + "：" + sentence(g.Fee.Standard)
		if g.Fee.Basis != "" && !elder {
			s += "依据是" + sentence(g.Fee.Basis)
		}
		return s
	case ElemDelivery:
		return sentence(g.Delivery)
	case ElemPhone:
		return "咨询" + name + "，可以拨打" + trimStop(g.Phone) + "。"
	case ElemComplaint:
		return "对办理有意见，可以通过" + trimStop(g.Complaint) + "反映。"
	case ElemBasis:
		var items []string
		for i, bs := range g.Basis {
			if i == 2 || elder && i == 1 {
				break
			}
			s := bs.Law + bs.Article
			if bs.Text != "" {
				s += "规定：" + trimStop(bs.Text)
			}
			items = append(items, s)
		}
		return name + "的依据是" + strings.Join(items, "；") + "。"
	case ElemFAQ:
		if len(g.FAQ) > 0 {
			return sentence(g.FAQ[0].A)
		}
	}
	return ""
}

// joinList joins list items with semicolons. Elder mode says the whole list: the elder rules
// (shapeElder) read it three items at a time ("还有两项，要听吗？"). When the list limit applies
// (elderListLimit), it points to the guide for the rest, without counting them.
func joinList(items []string, elder bool, more string) string {
	if elder && elderListLimit > 0 && len(items) > elderListLimit {
		s := strings.Join(items[:elderListLimit], "；")
		if more != "" {
			s += "。" + more
		}
		return s
	}
	return strings.Join(items, "；")
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if t := trimStop(s); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// bestFAQ returns the index of the FAQ whose question is most like q, and the similarity (Dice
// coefficient of character bigrams), or -1.
func bestFAQ(g *content.Guide, q string) (int, float64) {
	best, score := -1, 0.0
	qb := bigrams(q)
	for i, f := range g.FAQ {
		if s := dice(qb, bigrams(f.Q)); s > score {
			best, score = i, s
		}
	}
	return best, score
}

// filler are words that carry no meaning for matching.
var filler = []string{"请问", "我想问一下", "我想问", "想问一下", "问一下", "那个", "就是", "一下", "您好", "你好", "麻烦", "咨询"}

// bigrams returns the set of adjacent character pairs of the Han, letter and digit characters of s.
func bigrams(s string) map[string]bool {
	for _, f := range filler {
		s = strings.ReplaceAll(s, f, "")
	}
	out := map[string]bool{}
	var rs []rune
	flush := func() {
		for i := 0; i+1 < len(rs); i++ {
			out[string(rs[i:i+2])] = true
		}
		if len(rs) == 1 {
			out[string(rs)] = true
		}
		rs = rs[:0]
	}
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, unicode.ToLower(r))
		} else if r == ' ' {
			flush()
		}
	}
	flush()
	return out
}

func dice(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}

// guideSuggestions offers follow-up questions about the same guide: elements not yet asked.
func guideSuggestions(g *content.Guide, asked []Element) []string {
	templates := []struct {
		e Element
		q string
	}{
		{ElemMaterials, "要带什么材料？"}, {ElemChannels, "能在手机上办吗？"}, {ElemTimeLimit, "要多长时间？"},
		{ElemLocations, "在哪里办？"}, {ElemConditions, "需要什么条件？"}, {ElemSteps, "怎么办理？"}, {ElemFee, "收费吗？"},
	}
	isAsked := func(e Element) bool {
		for _, a := range asked {
			if a == e {
				return true
			}
		}
		return false
	}
	var out []string
	for _, t := range templates {
		if len(out) == 3 {
			break
		}
		if isAsked(t.e) || t.e == ElemChannels && len(g.Channels) == 0 {
			continue
		}
		out = append(out, g.Name+t.q)
	}
	return out
}
