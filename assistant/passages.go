package assistant

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"shebao/content"
)

// Passage is one citable piece of a guide: a sentence of an element, a list item of its
// element, or a sentence of an FAQ answer with its question. Answers are built from passages
// and their figures are checked against the passages they cite.
type Passage struct {
	Code    string  // the guide's code
	Title   string  // the guide's name
	Element Element // the element the passage belongs to
	Item    int     // the list item, FAQ pair, time limit (0 statutory, 1 promised) … within the element
	Sent    int     // the sentence within the item
	Text    string  // the sentence as the public may read it (editors' notes removed)
	Lead    string  // what the sentence belongs to: the FAQ question, the step title, the law
	// Unverified reports that the guide marks the figure as not yet confirmed (待核实): it is
	// said with 以经办机构核定为准.
	Unverified bool

	figs []Figure // the figures of Text
	// askedFigs are the figures of an FAQ question (社保只交了13年，怎么办): the case its answer is
	// for.
	askedFigs []Figure
	durs      []Figure        // the figures of Text that are not parts of a date (2026年2月)
	outcome   bool            // Text says the length of a benefit (最多领18个月, 共158天)
	tierBy    string          // the unit of the tiers of a rule in Text (年 of 满5年不满10年), or ""
	grades    uint16          // the disability grades Lead and Text name (bit g for 七级 = 7), or 0
	grams     map[string]bool // bigrams of Text and Lead
	// undetermined reports that Text says its figure is still to be announced (待公布, 以2026年
	// 秋季的公告为准): it answers no question for the figure.
	undetermined bool
	// deferred is what Text says the office decides, asked in the guide's own words (生育保险基金
	// 按多少天支付津贴 of "…，请以经办机构的核定为准"), or "": the guide leaves that figure to the office.
	deferred string
	// city is the city whose own rule the passage gives (西安 of a guide's variant for 西安市), or
	// "": it answers only a question that names that city.
	city string
	// elsewhere: Text gives the rule for going elsewhere (跨省, 外省, 异地); national: Text gives
	// the nation's rule alone (国家设…) — both read once, for rankPassages
	elsewhere, national bool
	// deferKinds are the kinds of figure the deferred matter asks for (period of 按多少天支付).
	deferKinds []askKind
}

// Ref names the passage within the corpus: code/element/item.sentence.
func (p *Passage) Ref() string {
	return fmt.Sprintf("%s/%s/%d.%d", p.Code, p.Element, p.Item, p.Sent)
}

// Source is the text the passage's figures may be checked against: its sentence, its lead and
// the guide's name.
func (p *Passage) Source() string { return p.Title + "。" + p.Lead + "。" + p.Text }

// Citation is the element citation of the passage.
func (p *Passage) Citation() Citation {
	return Citation{Code: p.Code, Title: p.Title, Element: string(p.Element), Label: p.Element.Label()}
}

// GuidePassages splits a guide into passages, in the order of its elements.
func GuidePassages(g *content.Guide) []Passage {
	var out []Passage
	notes := verifyNotes(g)
	add := func(e Element, item int, lead, text string) {
		lead = strings.TrimSpace(lead)
		for i, s := range splitSentenceStops(text) {
			clean, flagged := publicText(s)
			if strings.TrimSpace(strings.Trim(clean, "。！？；，")) == "" {
				continue
			}
			p := Passage{Code: g.Code, Title: g.Name, Element: e, Item: item, Sent: i, Text: clean, Lead: lead, Unverified: flagged}
			p.figs = Figures(clean)
			if e == ElemFAQ {
				p.askedFigs = Figures(lead)
			}
			p.durs = Figures(datePattern.ReplaceAllString(clean, "，"))
			p.outcome = periodOutcome.MatchString(lead + clean)
			_, p.tierBy, _ = selectTier(clean, nil)
			p.grades = gradesIn(lead + clean)
			if !p.Unverified && notes != nil {
				p.Unverified = notes.mark(&p)
			}
			p.grams = bigrams(lead + " " + clean)
			p.undetermined = announcedLater(clean)
			p.elsewhere = crossing.MatchString(clean) && !crossing.MatchString(g.Name)
			p.national = nationalOnly(clean)
			if p.deferred = deferredMatter(clean); p.deferred != "" {
				p.deferKinds = figureAsks(p.deferred)
			}
			out = append(out, p)
		}
	}
	add(ElemSummary, 0, "", g.Summary)
	for i, c := range g.Conditions {
		add(ElemConditions, i, "", c)
	}
	for i, m := range g.Materials {
		add(ElemMaterials, i, "", materialText(m)+"。")
	}
	for i, s := range g.Steps {
		add(ElemSteps, i, s.Title, s.Detail)
	}
	for i, c := range g.Channels {
		add(ElemChannels, i, c.Type.Name(), c.Type.Name()+"："+sentence(c.Where))
	}
	for i, l := range g.Locations {
		add(ElemLocations, i, "", locationText(l)+"。")
	}
	// a city's own rule (西安市临时挂失有效期为7天) answers only for that city
	for i, v := range g.Variants {
		if strings.TrimSpace(v.Note) == "" {
			continue
		}
		n := len(out)
		add(ElemLocations, len(g.Locations)+i, v.City, v.Note)
		for j := n; j < len(out); j++ {
			out[j].city = strings.TrimSuffix(v.City, "市")
		}
	}
	if st := trimStop(g.TimeLimit.Statutory); st != "" {
		add(ElemTimeLimit, 0, "法定办理时限", "法定时限："+st+"。")
	}
	if pr := trimStop(g.TimeLimit.Promised); pr != "" {
		add(ElemTimeLimit, 1, "承诺办理时限", "承诺时限："+pr+"。")
	}
	add(ElemVisits, 0, "", ElementText(g, ElemVisits))
	add(ElemFee, 0, "收费标准", g.Fee.Standard)
	if g.Fee.Basis != "" {
		add(ElemFee, 1, "收费依据", "收费依据："+sentence(g.Fee.Basis))
	}
	add(ElemDelivery, 0, "", g.Delivery)
	if g.Phone != "" {
		add(ElemPhone, 0, "咨询电话", "咨询电话："+sentence(g.Phone))
	}
	if g.Complaint != "" {
		add(ElemComplaint, 0, "监督投诉", "监督投诉："+sentence(g.Complaint))
	}
	for i, b := range g.Basis {
		text := b.Text
		if text == "" {
			text = b.Law + b.Article
		}
		add(ElemBasis, i, b.Law+b.Article, text)
	}
	for i, q := range g.FAQ {
		add(ElemFAQ, i, q.Q, q.A)
	}
	return out
}

// splitSentenceStops splits s after 。！？ (not after ；: a rule in tiers stays one passage).
func splitSentenceStops(s string) []string {
	var out []string
	start := 0
	rs := []rune(strings.TrimSpace(s))
	depth := 0
	for i, r := range rs {
		switch r {
		case '（', '(':
			depth++
		case '）', ')':
			if depth > 0 {
				depth--
			}
		case '。', '！', '？':
			if depth > 0 {
				continue // a stop inside brackets belongs to the sentence
			}
			end := i + 1
			if end < len(rs) && (rs[end] == '”' || rs[end] == '」') {
				continue
			}
			out = append(out, string(rs[start:end]))
			start = end
		}
	}
	if start < len(rs) {
		out = append(out, string(rs[start:])+"。")
	}
	return out
}

// toBeAnnounced finds the words of a figure still to be announced; a hedge in brackets (办公时间
// 9:00-17:00（以当地公告为准）) gives the figure all the same and is left out by bracketed.
var (
	toBeAnnounced = regexp.MustCompile(`待公布|(尚未|还没有?|没有|未)(公布|明确|出台)|另行公布|以[^，。；（）()]{0,24}(公告|通知|公布|提示)为准`)
	bracketed     = regexp.MustCompile(`（[^）]*）|\([^)]*\)`)
)

// announcedLater reports whether s says its figure is still to be announced, outside brackets.
func announcedLater(s string) bool {
	return toBeAnnounced.MatchString(bracketed.ReplaceAllString(s, ""))
}

// deferral finds a matter a guide asks in its own words and leaves to the office: 按多少天支付
// 津贴，请以经办机构的核定为准; 是否仍需提交以当地告知为准.
var deferral = regexp.MustCompile(`([^，。；：]*(多少|几|是否|怎么|哪|还是)[^。；]*?)[，,]?(请)?以[^，。；]{0,24}为准`)

// deferredMatter returns the matter s leaves to the office (deferral), outside brackets, or "".
func deferredMatter(s string) string {
	if m := deferral.FindStringSubmatch(bracketed.ReplaceAllString(s, "")); m != nil {
		return m[1]
	}
	return ""
}

// datePattern finds dates (2026年2月, 2024年3月1日): their month and day are not durations.
var datePattern = regexp.MustCompile(`\d{4}年(\d{1,2}月(\d{1,2}日)?)?|\d{1,2}月\d{1,2}日`)

// editorMark finds the words editors use for an unconfirmed figure or a weak source. Text
// marked with them is for editors; the public hears the figure with 以经办机构核定为准.
var editorMark = regexp.MustCompile(`待核实|待确认|来源可靠性|未查到|待查证|尚待核定`)

// publicText removes editors' remarks from a sentence — bracketed remarks and clauses that
// carry an editor mark — and reports whether any was there. Content's public view may already
// have replaced them by 以经办机构核定为准; that text passes unchanged and counts as marked.
func publicText(s string) (string, bool) {
	flagged := strings.Contains(s, "核定为准")
	if !editorMark.MatchString(s) {
		return s, flagged
	}
	// bracketed remarks: （…待核实…）
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '（' || rs[i] == '(' {
			j, depth := i, 0
			for ; j < len(rs); j++ {
				if rs[j] == '（' || rs[j] == '(' {
					depth++
				} else if rs[j] == '）' || rs[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j < len(rs) && editorMark.MatchString(string(rs[i:j])) {
				i = j
				continue
			}
		}
		b.WriteRune(rs[i])
	}
	s = b.String()
	// clauses: split at ；，, drop those with a mark
	var kept []string
	var cur []rune
	var seps []rune
	flush := func(sep rune) {
		c := string(cur)
		if !editorMark.MatchString(c) {
			kept = append(kept, c)
			seps = append(seps, sep)
		}
		cur = cur[:0]
	}
	for _, r := range s {
		if r == '；' || r == '，' || r == ';' {
			flush(r)
			continue
		}
		cur = append(cur, r)
	}
	end := string(cur)
	stop := ""
	for _, p := range []string{"。", "！", "？"} {
		if strings.HasSuffix(end, p) {
			stop, end = p, strings.TrimSuffix(end, p)
		}
	}
	cur = []rune(end)
	flush(0)
	var out strings.Builder
	for i, k := range kept {
		if i > 0 {
			out.WriteRune(seps[i-1])
		}
		out.WriteString(k)
	}
	res := strings.TrimRight(out.String(), "；，;")
	if res == "" {
		return "", true
	}
	if stop == "" {
		stop = "。"
	}
	return res + stop, true
}

// guideNotes are the guide's 待核实 notes, used to mark passages whose figures they question.
type guideNotes struct {
	notes []string
	figs  [][]Figure
	grams []map[string]bool
}

func verifyNotes(g *content.Guide) *guideNotes {
	if len(g.Verify) == 0 {
		return nil
	}
	n := &guideNotes{}
	for _, v := range g.Verify {
		n.notes = append(n.notes, v)
		n.figs = append(n.figs, Figures(v))
		n.grams = append(n.grams, bigrams(v))
	}
	return n
}

// mark reports whether a note questions one of the passage's figures: the note names the same
// figure and shares words with the passage.
func (n *guideNotes) mark(p *Passage) bool {
	if len(p.figs) == 0 {
		return false
	}
	pg := bigrams(p.Text)
	for i := range n.notes {
		same := false
		for _, f := range p.figs {
			for _, nf := range n.figs[i] {
				if f.Value == nf.Value && f.Unit == nf.Unit && f.Unit != "" {
					same = true
				}
			}
		}
		if same && dice(pg, n.grams[i]) >= 0.25 {
			return true
		}
	}
	return false
}

// gradeNumeral finds one grade (七级) or a range or pair of them (一级至四级, 五至十级, 五、六级).
var gradeNumeral = regexp.MustCompile(`([一二三四五六七八九十]|10|[1-9])(级)?(至|到|-|～|、)([一二三四五六七八九十]|10|[1-9])级|([一二三四五六七八九十]|10|[1-9])级`)

// gradeValue is the number of a grade numeral.
func gradeValue(s string) int {
	if n := strings.Index("一二三四五六七八九十", s); n >= 0 && len(s) == len("一") {
		return n/len("一") + 1
	}
	n, _ := strconv.Atoi(s)
	return n
}

// gradesIn returns the disability grades (一级 … 十级) s names, as bits: a range names every
// grade in it.
func gradesIn(s string) uint16 {
	if !strings.Contains(s, "级") {
		return 0
	}
	var out uint16
	for _, m := range gradeNumeral.FindAllStringSubmatch(s, -1) {
		if m[5] != "" {
			out |= 1 << gradeValue(m[5])
			continue
		}
		lo, hi := gradeValue(m[1]), gradeValue(m[4])
		if m[3] == "、" {
			out |= 1<<lo | 1<<hi
			continue
		}
		for g := lo; g <= hi && g <= 10; g++ {
			out |= 1 << g
		}
	}
	return out
}
