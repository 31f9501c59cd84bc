package assistant

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"shebao/content"
)

// passageCache keeps the passages of each guide version, so that a turn does not split the
// same guides again.
type passageCache struct {
	mu sync.Mutex
	m  map[string]*guidePassages
}

// guidePassages are the passages of one guide version and the words of its name and aliases.
type guidePassages struct {
	guide    *content.Guide
	passages []Passage
	names    map[string]bool // bigrams of name and aliases
	// nameSets are the bigrams of the name and of each alias apart: a thing asked (最低工资) is
	// named by one of them, not by words of two (社保最低基数, 工资基数)
	nameSets []map[string]bool
	all      map[string]bool // bigrams of every passage, name and aliases
	// moving: the guide is about moving across places (关系转移接续, 异地就医): its figures are
	// for one who moves
	moving bool
	// phrases are the name, its parts (办理退休 of 待遇申领（办理退休）) and the aliases, as a
	// question would write them: one of them in a question names the guide.
	phrases []string
}

// namedBonus is the prior a guide gains per character of its name (at most eight) written out in
// the question.
const namedBonus = 0.015

// namedAmong returns the one retrieved guide whose name (or part or alias) the question writes
// out at greater length than any other's, and that length; -1 when none or a tie: a name
// several guides share (养老保险) names none of them.
func namedAmong(q question, gps []*guidePassages) (int, int) {
	best, bestLen, tie := -1, 0, false
	for i, gp := range gps {
		n := gp.named(q.norm)
		switch {
		case n > bestLen:
			best, bestLen, tie = i, n, false
		case n == bestLen && n > 0:
			tie = true
		}
	}
	if tie {
		return -1, 0
	}
	return best, bestLen
}

// namePartSeparator splits a guide's name into the parts a question may name alone.
var namePartSeparator = regexp.MustCompile(`[（）()、，,：:\s]+`)

// named is the length in characters of the longest name, part or alias of the guide the
// question writes out (0 when none of at least four characters: 交医保 names no guide).
func (gp *guidePassages) named(q string) int {
	best := 0
	for _, ph := range gp.phrases {
		if n := utf8.RuneCountInString(ph); n > best && strings.Contains(q, ph) {
			best = n
		}
	}
	return best
}

func (c *passageCache) get(g *content.Guide) *guidePassages {
	key := g.Code + "@" + strconv.Itoa(g.Version) + "@" + strconv.FormatInt(g.UpdatedAt.UnixNano(), 36) +
		"@" + strconv.Itoa(len(g.Summary)+len(g.FAQ)+len(g.Conditions))
	c.mu.Lock()
	gp := c.m[key]
	c.mu.Unlock()
	if gp != nil {
		return gp
	}
	gp = newGuidePassages(g)
	c.mu.Lock()
	if c.m == nil || len(c.m) > 4096 {
		c.m = map[string]*guidePassages{} // a publish wave: start again rather than grow
	}
	c.m[key] = gp
	c.mu.Unlock()
	return gp
}

func newGuidePassages(g *content.Guide) *guidePassages {
	gc := *g
	gp := &guidePassages{guide: &gc, passages: GuidePassages(&gc), names: map[string]bool{}, all: map[string]bool{}, moving: crossing.MatchString(g.Name)}
	for _, n := range append([]string{g.Name}, g.Aliases...) {
		set := bigrams(topicText(n))
		gp.nameSets = append(gp.nameSets, set)
		for k := range set {
			gp.names[k] = true
			gp.all[k] = true
		}
		for _, part := range append(namePartSeparator.Split(n, -1), n) {
			if part = strings.ReplaceAll(part, "缴", "交"); utf8.RuneCountInString(part) >= 4 && !slices.Contains(gp.phrases, part) {
				gp.phrases = append(gp.phrases, part)
			}
		}
	}
	for i := range gp.passages {
		for k := range gp.passages[i].grams {
			gp.all[k] = true
		}
	}
	return gp
}

// howMuch are the words that ask "how many" or "how long": they say what kind of figure is
// asked, never what it is about.
var howMuch = regexp.MustCompile(`(多少|几)(个)?(年|月|天|日|次|岁|位|种|项|工作日|块|元|钱)?|多久|多长(时间)?|多大(岁数|年纪|年龄)?|啥时候|什么时候`)

// question is what a turn knows about a guide question.
type question struct {
	text string
	norm string // text with 缴 as 交, as guide names are matched
	// insurance is the one insurance the question names (pension, medical …), or ""
	insurance string
	topic     map[string]bool // bigrams of what it is about (question words removed)
	// weight of each topic bigram: words the retrieved guides never use are mostly bigrams
	// across two words ("西生" of 陕西生娃) and count less; see weigh.
	weight map[string]float64
	asks   []askKind
	facts  []Figure        // figures the person said about their own case (交了8年, 60岁)
	thing  map[string]bool // bigrams of the benefit or base whose figure is asked (医疗补助金), if named
	// thingName is the name whose last six characters thing holds, or ""
	thingName string
	// thingKind are the bigrams of the kind of thing named (补助金, 起付线): a kind no retrieved
	// guide speaks of is not in the guides, whatever the words before it match.
	thingKind map[string]bool
	// fee is the charge whose amount is asked (年费, 体检费, 手续费), or "": a passage that does
	// not name it gives another charge's amount.
	fee    string
	named  []string // years and places outside the province the question names
	grades uint16   // the disability grades the question names (gradesIn)
	// movedFrom are the places of named where the person only was or goes (在广东交了8年,
	// 从深圳转回): a passage about moving across provinces speaks of them.
	movedFrom map[string]bool
	// alt are, for the topic bigrams of a term people say (媳妇), the bigrams of each word the
	// guides say it with (配偶): a set holding all of one such word covers the bigram.
	alt map[string][][]string
	// retrieved is how many of the candidate guides search found; those after them are linked
	// from them (0: all were found).
	retrieved int
	// kin are the relatives the question asks about, in the guides' words (配偶 for 媳妇).
	kin []string
	// national: the question asks the nation's rule (国家规定的产假), not the province's.
	national bool
	// document: the question names a document to bring (户口本, 证明): a figure about it (男50
	// 周岁以上要交户口簿) is in the materials
	document bool
	// procedures are the procedures the question names (转移, 备案 …)
	procedures []string
	// groups are the groups of people the question names (低保 of 低保户)
	groups []string
	// stays: the question speaks of no other place, nor of moving or care elsewhere
	stays bool
	// full is the whole question, when text is one clause of it (repeatedAsks)
	full string
	// choice: the question asks which of two figures holds (按98天发还是按158天发).
	choice bool
	// ac is what fits needs to know of text, read once for every kind asked (askContext)
	ac *askContext
}

// askContext returns what fits needs to know of the question: read once when planAnswer has
// read it for this text, else now.
func (q question) askContext() *askContext {
	if q.ac != nil && q.ac.text == q.text {
		return q.ac
	}
	return newAskContext(q.text)
}

func newQuestion(q string) question {
	moved := movedFrom(q)
	words := guideWords.Replace(q)
	about := howMuch.ReplaceAllString(words, " ")
	for place := range moved {
		// where the person came from or goes to (从深圳转回) is not what they ask about: the
		// passages on moving across provinces never name the place
		about = strings.ReplaceAll(about, place, " ")
	}
	topic := bigrams(queryTopic(about))
	for k := range topic {
		if utf8.RuneCountInString(k) < 2 {
			delete(topic, k)
		}
	}
	asks := figureAsks(q)
	thingName, thing, thingKind := askedThings(words)
	return question{text: q, norm: strings.ReplaceAll(q, "缴", "交"), insurance: onlyInsurance(q), topic: topic, asks: asks, facts: factsIn(q), thingName: thingName, thing: thing, thingKind: thingKind, fee: askedFee(q), named: namedIn(q), grades: gradesIn(q), movedFrom: moved, kin: kinIn(strings.ReplaceAll(q, "娃", "子女")), full: q, document: documentNamed.MatchString(q), procedures: proceduresIn(q), groups: groupsIn(q), stays: len(moved) == 0 && !crossing.MatchString(q) && !elsewhereWords.MatchString(q), choice: choiceAsk.MatchString(q), national: strings.Contains(q, "国家") || strings.Contains(q, "全国")}
}

// factsIn returns the figures a person says of their own case in s (交了仨年, 60岁); a figure said
// as a bound (不到5年, 超过10年) keeps the word of the bound in its Text, for toldIn.
func factsIn(s string) []Figure {
	s = numeralsToDigits(spokenDigits.Replace(s))
	figs := Figures(s)
	at := 0
	for i, f := range figs {
		j := strings.Index(s[at:], f.Text)
		if j < 0 {
			continue
		}
		j += at
		if m := boundBefore.FindString(s[:j]); m != "" {
			figs[i].Text = m + f.Text
		}
		at = j + len(f.Text)
	}
	return figs
}

// belowWords and aboveWords say that a figure the person tells is a bound of their case
// (不到5年, 超过10年).
const (
	belowWords = `不到|不满|不足|没到|没满|没有|未满|未到|少于|低于|不够`
	aboveWords = `超过|多于|高于|超了`
)

// boundBefore finds the word of a bound just before a figure (交社保不到5年).
var boundBefore = regexp.MustCompile(`(` + belowWords + `|` + aboveWords + `)$`)

// guideWords says in the guides' words what people call otherwise, for what a question is
// about: 冒领 (taking a dead relative's pension) is what the law calls 骗取, 三胎 its 第三个子女.
var guideWords = strings.NewReplacer("冒领", "骗取", "三胎", "第三个子女", "二胎", "第二个子女")

// documentNamed finds a document a question names (户口本, 身份证, 诊断证明, 发票).
var documentNamed = regexp.MustCompile(`户口本|户口簿|身份证|证明|病历|发票|照片|结婚证|出生证|死亡证`)

// spokenDigits are the everyday words for two and three (俩, 仨) in the facts a person tells.
var spokenDigits = strings.NewReplacer("仨", "三", "俩", "两")

// thingPattern finds the name of a benefit, fee or base in a question: 一次性工伤医疗补助金,
// 缴费基数下限, 护理费.
var thingPattern = regexp.MustCompile(`(\p{Han}{0,8}?(补助金|抚恤金|救济金|养老金|津贴|补贴|补助|护理费|最低工资|基数|返还|起付线|封顶线|支付限额|费率|押金|所得税|个税|滞纳金|利息|限额|额度))`)

// degreeBefore finds, in the name askedThing finds, a word of degree or amount with the verb
// that may follow it (最少给, 一共能拿, 最高): what is named after it is the thing asked.
// 最低 and 最高 with no verb after them are part of a name (最低工资, 最高支付限额).
var degreeBefore = regexp.MustCompile(`.*((最少|最多|至少|起码|一共|总共|大概|大约|具体|一般)(能|可以|会|要|得)?(给|发|补|领|拿|交|缴|扣|报)?|(最高|最低)(能|可以|会|要|得)?(给|发|补|领|拿|交|缴|扣|报))`)

// bareThing are the things a question may name in two characters alone (费率是多少): the
// passage that answers must name them too.
var bareThing = map[string]bool{"费率": true}

// askedThingName returns the last (at most six characters) of the longest benefit name in q:
// the thing whose figure is asked; or "".
func askedThingName(q string) string {
	best := thingNamed(q)
	// 超过多长时间养老金就停: the words that ask are not the thing's name
	if locs := howMuch.FindAllStringIndex(best, -1); len(locs) > 0 && utf8.RuneCountInString(best[locs[len(locs)-1][1]:]) >= 3 {
		best = best[locs[len(locs)-1][1]:]
	}
	if i := strings.LastIndex(best, "的"); i >= 0 {
		best = best[i+len("的"):] // 生孩子的津贴: the thing is 津贴, what comes before 的 only says whose
	}
	// 是按基数, 那个缴费基数: the words before 是, 按, 那个 ask about the thing, they do not name it
	for _, w := range []string{"是", "按", "照", "那个", "这个", "那", "这"} {
		if i := strings.LastIndex(best, w); i >= 0 {
			best = best[i+len(w):]
		}
	}
	// 要交滞纳金, 能领抚恤金: a verb before the thing says what is done with it, not its name
	for _, w := range []string{"要交", "要缴", "得交", "交了", "能领", "能拿", "领了", "给的"} {
		if i := strings.LastIndex(best, w); i >= 0 && utf8.RuneCountInString(best[i+len(w):]) >= 3 {
			best = best[i+len(w):]
		}
	}
	// 政府最少给补贴, 一共能拿补助金: a word of degree or amount (最少, 一共) and the verb after
	// it say how much is asked, not what: the thing is named after them
	if loc := degreeBefore.FindStringIndex(best); loc != nil {
		best = best[loc[1]:]
	}
	rs := []rune(best)
	if len(rs) < 3 && !bareThing[best] {
		return ""
	}
	if len(rs) > 6 {
		rs = rs[len(rs)-6:]
	}
	return string(rs)
}

// feeNamed finds a charge a question names (体检费, 银行卡年费); feeNotNamed are the words
// ending in 费 that name no charge (缴费, 收费, 免费 …).
var (
	feeNamed    = regexp.MustCompile(`\p{Han}{2}费`)
	feeNotNamed = regexp.MustCompile(`(缴|交|收|付|花|免|自|经|欠|扣|补|浪|消|学|话|路|保|社|医)费$`)
)

// askedFee returns the charge whose amount q asks (体检费多少), or "".
func askedFee(q string) string {
	for _, loc := range feeNamed.FindAllStringIndex(q, -1) {
		m := q[loc[0]:loc[1]]
		if feeNotNamed.MatchString(m) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(q[loc[1]:]); r == '用' || r == '率' {
			continue // 医疗费用, 费率: not one charge
		}
		return strings.TrimPrefix(m, string([]rune(m)[:1])) // the charge's own two characters (检费 of 体检费)
	}
	return ""
}

// askedThings returns the thing whose figure is asked (askedThingName), its bigrams and the
// bigrams of its kind (补助金 of 一次性工伤医疗补助金); "", nil, nil when q names none.
func askedThings(q string) (string, map[string]bool, map[string]bool) {
	name := askedThingName(q)
	if name == "" {
		return "", nil, nil
	}
	return name, bigrams(name), bigrams(thingPattern.FindStringSubmatch(thingNamed(q))[2])
}

// thingNamed returns the longest benefit name thingPattern finds in q; a pension (养老金) only
// when q names no other: "领着农村养老金，高龄补贴给多少" asks for the 补贴.
func thingNamed(q string) string {
	best, pension := "", ""
	for _, m := range thingPattern.FindAllString(q, -1) {
		if strings.HasSuffix(m, "养老金") {
			if utf8.RuneCountInString(m) > utf8.RuneCountInString(pension) {
				pension = m
			}
			continue
		}
		if utf8.RuneCountInString(m) > utf8.RuneCountInString(best) {
			best = m
		}
	}
	if best == "" {
		return pension
	}
	return best
}

// unknownWeight is the weight of a question bigram that none of the retrieved guides uses. A
// colloquial question tells much of the person's story in such words (钢管砸了, 拖着不管) around
// the few that name the matter: they weigh less than a third of a word the guides use.
const unknownWeight = 0.3

// weigh sets the weight of each topic bigram from the words of the retrieved guides.
func (q *question) weigh(gps []*guidePassages) {
	q.weight = make(map[string]float64, len(q.topic))
	for k := range q.topic {
		df := 0
		for _, gp := range gps {
			if q.in(gp.all, k) {
				df++
			}
		}
		if df == 0 {
			q.weight[k] = unknownWeight
			continue
		}
		// A word every retrieved guide uses (单位, 材料, 社保) tells them apart less than one
		// only some use (退休): weigh by the inverse share of the guides that use it.
		q.weight[k] = 0.5 + 0.5*math.Log2(1+float64(len(gps))/float64(df))
	}
}

// kinWords are the words the guides name a relative by: a figure is often given for each (配偶每月
// 40%，其他亲属每人每月30%).
var kinWords = []string{"配偶", "子女", "父母", "老人", "孤儿", "兄弟姐妹", "祖父母", "孙子女"}

// kinIn returns the kin words of s. A question's 娃 (one character: the synonym table's terms
// have two or more) is read as 子女 by newQuestion.
func kinIn(s string) []string { return wordsIn(s, kinWords) }

// wordsIn returns the words of list that s contains, in list's order.
func wordsIn(s string, list []string) []string {
	var out []string
	for _, w := range list {
		if strings.Contains(s, w) {
			out = append(out, w)
		}
	}
	return out
}

// forKin scores a passage for the relative the question asks about: a passage that names them
// gains, one that names only other relatives loses.
func (q question) forKin(p *Passage) float64 {
	if len(q.kin) == 0 {
		return 0
	}
	named := kinIn(p.Lead + p.Text)
	if len(named) == 0 {
		return 0
	}
	for _, k := range q.kin {
		if slices.Contains(named, k) {
			return kinBonus
		}
	}
	return -kinBonus
}

// groups are the groups of people a rule gives its own figure (低保对象个人只交110元): the
// person who says they belong to one asks that figure.
var groups = []string{"低保", "特困", "孤儿", "残疾", "易返贫", "脱贫", "五保", "退役军人", "优抚"}

// forGroup scores a passage for the group of people the question says the person is in: a
// passage that names it gains.
func (q question) forGroup(p *Passage) float64 {
	for _, g := range q.groups {
		if strings.Contains(p.Text, g) || strings.Contains(p.Lead, g) {
			return groupBonus
		}
	}
	return 0
}

// groupsIn returns the groups of people s names.
func groupsIn(s string) []string { return wordsIn(s, groups) }

// groupBonus is what a figure passage gains for naming the group of people asked about.
const groupBonus = 0.2

// kinBonus is what a figure passage gains for naming the relative asked about.
const kinBonus = 0.1

// alternate adds the guides' words for the question's terms (GuideWording) as alternates of
// the terms' topic bigrams.
func (q *question) alternate(terms [][2]string) {
	for _, t := range terms {
		for _, k := range kinIn(t[1]) {
			if !slices.Contains(q.kin, k) {
				q.kin = append(q.kin, k) // 媳妇 → 配偶
			}
		}
		var exp []string
		for k := range bigrams(t[1]) {
			exp = append(exp, k)
		}
		if len(exp) == 0 {
			continue
		}
		sort.Strings(exp)
		for k := range bigrams(t[0]) {
			if !q.topic[k] {
				continue
			}
			if q.alt == nil {
				q.alt = map[string][][]string{}
			}
			q.alt[k] = append(q.alt[k], exp)
		}
	}
}

// in reports whether set holds topic bigram k or all of one of its alternates.
func (q question) in(set map[string]bool, k string) bool {
	if set[k] {
		return true
	}
	for _, exp := range q.alt[k] {
		all := true
		for _, e := range exp {
			all = all && set[e]
		}
		if all {
			return true
		}
	}
	return false
}

// said reports whether the person said a figure with this unit (their age, their years).
func (q question) said(unit string) bool {
	for _, f := range q.facts {
		if strings.TrimPrefix(f.Unit, "周") == unit {
			return true
		}
	}
	return false
}

// coverage is the weighted share of the question's topic bigrams found in any of sets.
func (q question) coverage(sets ...map[string]bool) float64 {
	// Weights are summed as integers (hundredths): a float sum in map order would differ from
	// run to run in the last bit and break ties differently.
	total, n := 0, 0
	for k := range q.topic {
		w := 100
		if q.weight != nil {
			w = int(q.weight[k]*100 + 0.5)
		}
		total += w
		for _, s := range sets {
			if q.in(s, k) {
				n += w
				break
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// coverage2 returns, in one pass, the coverage by a alone and by a and b together.
func (q question) coverage2(a, b map[string]bool) (float64, float64) {
	total, na, nab := 0, 0, 0
	for k := range q.topic {
		w := 100
		if q.weight != nil {
			w = int(q.weight[k]*100 + 0.5)
		}
		total += w
		if q.in(a, k) {
			na += w
			nab += w
		} else if q.in(b, k) {
			nab += w
		}
	}
	if total == 0 {
		return 0, 0
	}
	return float64(na) / float64(total), float64(nab) / float64(total)
}

// scoredPassage is a passage ranked for a question.
type scoredPassage struct {
	p     *Passage
	gp    *guidePassages
	score float64
	topic float64 // coverage of the question's topic by the passage and its guide's name
	fit   float64
}

// rankPassages ranks the passages of the guides (best guide first) for one kind of figure
// asked, or by topic alone when kind is "". Passages that cannot answer the kind are left out.
// With limit 1 it returns the best passage only, without sorting the rest.
func rankPassages(q question, gps []*guidePassages, kind askKind, limit int) []scoredPassage {
	var out []scoredPassage
	namedGuide, namedLen := namedAmong(q, gps)
	var ac *askContext
	if kind != "" {
		ac = q.askContext()
	}
	for gi, gp := range gps {
		prior := [3]float64{0.12, 0.05, 0}[min(gi, 2)]
		if gi >= 3 {
			prior = -0.1
		}
		gcov := q.coverage(gp.names)
		// A time limit, fee or phone number is the whole guide's: it says nothing of the topic
		// itself, so the guide's words rank it (the 时限 of 办理退休 for "退休的材料交上去了
		// 多少天办完"), at half weight.
		wcov := -1.0
		// A guide the question names (异地就医备案, 社保卡补领) is where its answer is: a longer
		// name written out says so more surely.
		if gi == namedGuide {
			prior += namedBonus * float64(min(namedLen, 8))
		}
		for i := range gp.passages {
			p := &gp.passages[i]
			fit := 0.5
			if kind != "" {
				if fit = fits(kind, p, ac); fit == 0 {
					continue
				}
				switch p.Element {
				case ElemMaterials:
					if !q.document {
						fit /= 2 // things to bring: rarely where a figure asked for is, unless one is asked about
					}
				case ElemChannels, ElemLocations, ElemComplaint, ElemDelivery:
					fit /= 2 // lists of places: rarely where a figure asked for is
				}
			}
			pcov, topic := q.coverage2(p.grams, gp.names)
			switch p.Element {
			case ElemTimeLimit, ElemFee, ElemPhone, ElemVisits:
				if wcov < 0 {
					wcov = 0.5 * q.coverage(gp.all)
				}
				pcov = max(pcov, wcov) // ranks among them; whether it answers is still its own topic
			}
			score := 0.6*fit + pcov + 0.35*gcov + prior
			if kind != "" {
				score += q.forKin(p) + q.forGroup(p)
			}
			if kind != "" && p.Element == ElemBasis {
				// the law sets the national frame (国家设100元至2000元档次); the guide's own
				// text says what applies in the province, and goes first when both fit as well
				score -= basisPenalty
			}
			if (kind == askMoney || kind == askRatio) && q.otherInsurance(p) {
				continue // 养老、失业、工伤保险缴费基数 is not the 医保 base asked
			}
			if p.Element == ElemTimeLimit && q.otherProcedure(p) {
				continue // 参保登记's time limit is not the time a 转移 takes
			}
			if p.city != "" && !strings.Contains(q.text, p.city) {
				continue // a city's own rule, for a question that does not name the city
			}
			if kind != "" && q.stays && (p.elsewhere || gp.moving) {
				score -= crossingPenalty // 5种门诊慢特病可以在外省直接结算 is the rule for going elsewhere
			}
			if kind != "" && !q.national && p.national {
				score -= nationalPenalty // the nation's frame (国家设100元至2000元档次), when the province's is asked
			}
			if !q.mentionsAll(p) || kind != "" && (!q.sameGrade(p) || q.otherCity(p)) {
				if kind != "" {
					continue // a figure for another year, place or grade is not the one asked for
				}
				score -= 1
			}
			if kind != "" && q.saysOwn(p) {
				if q.echoes(p, kind) {
					score -= echoPenalty // it only says back what the person said (原来55岁)
				} else {
					score += ownNumber // the rule or table that holds the person's own number (交2000那一档)
				}
			}
			if p.tierBy != "" && q.said(p.tierBy) && kind != "" && pcov >= minFigureTopic-ownTierTopic {
				if _, _, ok := selectTier(p.Text, q.facts); ok {
					score += 0.5 // the rule for the person's own case
				}
			}
			sp := scoredPassage{p: p, gp: gp, score: score, topic: topic, fit: fit}
			if limit == 1 {
				if len(out) == 0 {
					out = append(out, sp)
				} else if sp.score > out[0].score {
					out[0] = sp
				}
				continue
			}
			out = append(out, sp)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// crossingPenalty is taken from a figure passage that gives the rule for care, work or moving
// elsewhere (跨省, 外省, 异地), of a guide not about it, for a question that speaks of none.
const crossingPenalty = 0.3

// elsewhereWords find a question speaking of another place (外地, 省外, 老家).
var elsewhereWords = regexp.MustCompile(`外|老家|回去|转|迁|搬|出差|旅游|探亲|随子女|跨`)

// nationalPenalty is taken from a figure passage that gives the nation's rule alone, for a
// question that does not ask the nation's: the guides are the province's, and where they give
// both, the province's figure (陕西省定档次200…3000元) is the one that applies.
const nationalPenalty = 0.1

// nationalOnly reports whether text says the nation's rule (国家设, 国家规定) and names no province.
func nationalOnly(text string) bool {
	return strings.Contains(text, "国家") && !strings.Contains(text, "陕西") && !strings.Contains(text, "省定") && !strings.Contains(text, "本省")
}

// clauseSeparator splits a sentence into its clauses.
var clauseSeparator = regexp.MustCompile(`[，；。]`)

// toBeAnnounced reports whether the passage says that what the question asks is still to be
// announced: its clause that says so (陕西开始实施的时间待公布) is more about the question than
// the clauses with a figure of the kind asked, or there are none. "国家计划哪年推广到全国" is still
// answered by 国家计划2026年推广到全国 of the same sentence.
func (q question) toBeAnnounced(p *Passage, kind askKind) bool {
	if !p.undetermined {
		return false
	}
	var said, figure []string
	for _, c := range clauseSeparator.Split(p.Text, -1) {
		if announcedLater(c) {
			said = append(said, c)
			continue
		}
		for _, f := range Figures(c) {
			if unitFits(kind, f) && !q.saidFigure(f) {
				figure = append(figure, c) // a clause with a figure of the kind asked, not the person's own
				break
			}
		}
	}
	if len(figure) == 0 {
		return true
	}
	return q.coverage(bigrams(strings.Join(said, "，"))) > q.coverage(bigrams(strings.Join(figure, "，")))
}

// saidFigure reports whether the person said figure f (2027 of "2027年的居民医保交多少").
func (q question) saidFigure(f Figure) bool {
	for _, x := range q.facts {
		if x.Value == f.Value && x.Unit == f.Unit {
			return true
		}
	}
	return false
}

// firstPhoneTopic is the topic coverage the phone number of the first guide found needs less
// than minFigureTopic: the question's other words tell the person's case, the number is the
// guide's.
const firstPhoneTopic = 0.1

// ownTierTopic is the topic coverage a figure passage whose rule has a tier for the person's
// own case needs less than minFigureTopic: the person told their case at length (我哥在单位
// 上班还没退就病故了，社保交了7年), in words no rule uses.
const ownTierTopic = 0.15

// ownTier reports whether the passage is a rule with tiers, one of which holds for a fact the
// person said of their case.
func (q question) ownTier(p *Passage) bool {
	if p.tierBy == "" || !q.said(p.tierBy) {
		return false
	}
	_, _, ok := selectTier(p.Text, q.facts)
	return ok
}

// ownNumberTopic is the topic coverage a figure passage that holds the person's own number
// needs less than minFigureTopic.
const ownNumberTopic = 0.05

// basisPenalty is taken from the score of a passage of the legal basis for a figure asked.
const basisPenalty = 0.03

// ownNumber is the bonus of a passage that holds a number the person said of their own case.
const ownNumber = 0.15

// saysOwn reports whether the passage holds a number the person said (2000 of 交2000那一档, 8年)
// with the same unit, or without one on either side; years (2026年) and small numbers (1, 一个月)
// say nothing of the person's case.
func (q question) saysOwn(p *Passage) bool {
	for _, f := range q.facts {
		if len(f.Value) < 2 || f.Unit == "年" && len(f.Value) == 4 {
			continue
		}
		for _, figs := range [2][]Figure{p.figs, p.askedFigs} { // not append: p.figs is shared by every turn
			for _, pf := range figs {
				if pf.Value == f.Value && (pf.Unit == f.Unit || f.Unit == "" || pf.Unit == "" || pf.Unit == "元" && f.Unit == "") {
					return true
				}
			}
		}
	}
	return false
}

// echoPenalty is taken from a passage whose figures of the kind asked are all numbers the
// person said: "原来55岁退休的延到多少岁" is not answered by 原来55岁.
const echoPenalty = 0.5

// echoes reports whether every figure of the passage that can answer kind is one the person
// said.
func (q question) echoes(p *Passage, kind askKind) bool {
	n := 0
	for _, pf := range p.durs {
		if !unitFits(kind, pf) {
			continue
		}
		n++
		said := false
		for _, f := range q.facts {
			said = said || f.Value == pf.Value && strings.TrimPrefix(f.Unit, "周") == strings.TrimPrefix(pf.Unit, "周")
		}
		if !said {
			return false
		}
	}
	return n > 0
}

// yearPattern finds years said in a question (2027年).
var yearPattern = regexp.MustCompile(`(19|20)\d\d年`)

// elsewhere are places outside the province: a figure for them is not in a Shaanxi guide.
var elsewhere = []string{"北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
	"福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "甘肃", "青海", "台湾", "内蒙古",
	"广西", "西藏", "宁夏", "新疆", "香港", "澳门", "深圳", "广州", "杭州", "南京", "武汉", "成都", "苏州", "郑州", "长沙",
	"青岛", "厦门", "东莞", "宁波", "无锡", "大连", "沈阳", "哈尔滨", "济南", "合肥", "福州", "昆明", "兰州", "太原", "石家庄",
	// other prefecture-level cities people move between (a name that is also an everyday word is left out)
	"佛山", "珠海", "汕头", "惠州", "江门", "湛江", "茂名", "肇庆", "揭阳", "温州", "嘉兴", "湖州", "绍兴", "金华", "台州",
	"徐州", "常州", "南通", "扬州", "盐城", "泰州", "连云港", "芜湖", "蚌埠", "阜阳", "泉州", "漳州", "莆田", "南昌", "赣州",
	"九江", "烟台", "潍坊", "淄博", "临沂", "威海", "洛阳", "开封", "南阳", "新乡", "许昌", "信阳", "周口", "商丘", "驻马店",
	"宜昌", "襄阳", "荆州", "十堰", "株洲", "湘潭", "衡阳", "岳阳", "南宁", "柳州", "桂林", "海口", "三亚", "绵阳", "德阳",
	"宜宾", "南充", "泸州", "贵阳", "遵义", "大理", "拉萨", "西宁", "银川", "乌鲁木齐", "呼和浩特", "包头", "鄂尔多斯", "唐山",
	"保定", "邯郸", "廊坊", "沧州", "邢台", "张家口", "运城", "临汾", "晋城", "长治", "鞍山", "长春", "齐齐哈尔", "大庆",
	"天水", "庆阳", "平凉", "酒泉", "白银", "定西", "陇南"}

// mentionsAll reports whether a passage (or its guide) speaks of the year and the place the
// question names: a question about 2027 or 上海 is not answered by a Shaanxi figure for 2026.
func (q question) mentionsAll(p *Passage) bool {
	if len(q.named) == 0 {
		return true
	}
	src := p.Title + p.Lead + p.Text
	for _, n := range q.named {
		if !strings.Contains(src, n) && !(q.movedFrom[n] && crossing.MatchString(src)) && !yearWithin(src, n) {
			return false
		}
	}
	return true
}

// yearBound finds a year that bounds a rule from above (2029年以前退休的, 2029年及以前).
var yearBound = regexp.MustCompile(`((?:19|20)\d\d)年(及)?(以前|之前|前)`)

// yearWithin reports whether text says a rule for the years before a year after y (4 digits):
// 2029年以前 holds 2028. A rule from a year on (2030年起) is left out: a later year's figure
// may still be announced otherwise.
func yearWithin(text, y string) bool {
	if len(y) != 4 || y[0] < '0' || y[0] > '9' {
		return false
	}
	for _, m := range yearBound.FindAllStringSubmatch(text, -1) {
		if m[1] > y || m[1] == y && m[2] != "" { // 2029年以前 holds 2028, 2028年及以前 holds 2028
			return true
		}
	}
	return false
}

// cities are the cities of the province: a figure a passage gives for one (西安7天) is not the
// figure of another the question names (宝鸡).
var cities = []string{"西安", "宝鸡", "咸阳", "渭南", "汉中", "延安", "榆林", "安康", "商洛", "铜川", "杨凌"}

// otherCity reports whether the question names cities of the province and the passage names
// others only.
func (q question) otherCity(p *Passage) bool {
	asked := false
	for _, c := range cities {
		asked = asked || strings.Contains(q.text, c)
	}
	if !asked {
		return false
	}
	src := p.Lead + p.Text
	other := false
	for _, c := range cities {
		if strings.Contains(src, c) {
			if strings.Contains(q.text, c) {
				return false
			}
			other = true
		}
	}
	return other
}

// crossing finds the words of moving across provinces: a passage that speaks of them answers
// for any province the person comes from or goes to.
var crossing = regexp.MustCompile(`跨省|外省|省外|异地|外地|转移|转入|转出|转回|非户籍`)

// movedFrom returns the places outside the province the question puts the person in or sends
// them to (在广东交了8年, 从深圳转回, 去北京看病) without asking for the place's own figures
// (上海的失业金, 深圳那边的基数).
func movedFrom(q string) map[string]bool {
	var out map[string]bool
	for _, place := range elsewhere {
		i := strings.Index(q, place)
		if i < 0 {
			continue
		}
		if hukouThere.MatchString(q[:i]) && !ownOf.MatchString(q[i+len(place):]) {
			// 户口在甘肃: the person's household is registered there; the passages on joining
			// outside one's 户籍地 speak of it
			if out == nil {
				out = map[string]bool{}
			}
			out[place] = true
			continue
		}
		if !strings.ContainsAny(q, "转回搬迁") && !staysThere.MatchString(q[i+len(place):]) {
			continue
		}
		before, after := q[:i], q[i+len(place):]
		if !(strings.HasSuffix(before, "在") || strings.HasSuffix(before, "从") || strings.HasSuffix(before, "去") ||
			strings.HasSuffix(before, "到") || strings.HasSuffix(before, "回")) {
			continue
		}
		if ownOf.MatchString(after) || strings.Count(q, place) > 1 {
			continue // the place's own figures are asked
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[place] = true
	}
	return out
}

// hukouThere finds, before a place, that the person's household is registered there (户口在,
// 老家是).
var hukouThere = regexp.MustCompile(`(户口|户籍|老家)(在|是)?$`)

// staysThere finds, after a place, what the person does there (去北京看病, 在甘肃打工): the
// passages on care or work in another province speak of it.
var staysThere = regexp.MustCompile(`^\p{Han}{0,4}?(看病|就医|住院|治病|治疗|打工|上班|工作|居住|生活|养老|定居)`)

// ownOf finds, after a place, words that ask for the place's own figures (上海的, 那边的).
var ownOf = regexp.MustCompile(`^(市|省)?(那边|那里|那儿|当地)?的`)

// sameGrade reports whether a passage that names disability grades names one the question
// names: "七级…几个月" is not answered by 九级的…9个月 nor by 一级至四级.
func (q question) sameGrade(p *Passage) bool {
	return q.grades == 0 || p.grades == 0 || q.grades&p.grades != 0
}

// namedIn returns the years (without 年), the places outside the province and the added schemes
// a question names.
func namedIn(q string) []string {
	var out []string
	for _, y := range yearPattern.FindAllString(q, -1) {
		out = append(out, strings.TrimSuffix(y, "年"))
	}
	for _, place := range elsewhere {
		if strings.Contains(q, place) {
			out = append(out, place)
		}
	}
	for _, m := range localOffice.FindAllStringSubmatch(q, -1) {
		if !genericArea.MatchString(m[1]) {
			out = append(out, m[1])
		}
	}
	if cityOwn.MatchString(q) {
		for _, c := range cities {
			if strings.Contains(q, c) {
				out = append(out, c) // 渭南市里另外补多少: that city's own figure
			}
		}
	}
	if m := addedScheme.FindString(q); m != "" {
		out = append(out, addedSchemeName[m])
	}
	return out
}

// cityOwn finds words asking a city's or county's own figure (市里另外再给补多少, 县上).
var cityOwn = regexp.MustCompile(`(市|县|区)(里|上|里头)(另外|额外|再|还|自己)`)

// addedScheme finds a scheme added on top of the basic insurance (大病保险 of 居民医保): a figure
// of the basic scheme (个人缴费400元) is not its figure, so the passage must name it.
var addedScheme = regexp.MustCompile(`大病保险|大病医保`)

// addedSchemeName is the guides' name of each way addedScheme finds.
var addedSchemeName = map[string]string{"大病保险": "大病保险", "大病医保": "大病保险"}

// localOffice finds a county or district office the question names (秦都区医保局, 周至县的):
// the guides give the province's figures, not one office's number or address.
var localOffice = regexp.MustCompile(`(\p{Han}{2}(区|县))(医保局|医疗保障局|人社局|社保局|社保中心|社保所|经办|政务|的|那边)`)

// genericArea finds words ending in 区 or 县 that name no place (社区, 所在县).
var genericArea = regexp.MustCompile(`(社|地|城|园|小|辖|市|郊|山|景|片|校|矿|林|街|本|所在|当地|各|本地|统筹)(区|县)$`)

// schemes are the pairs of insurance schemes a question tells apart: a figure of 居民医保 does
// not answer a question about 职工医保.
var schemes = [][2]string{{"职工", "居民"}}

// schemeWords says the residents' schemes by their everyday names as 居民 (农村养老保险 is 城乡居民
// 养老保险), for otherScheme.
var schemeWords = strings.NewReplacer("农村养老", "居民养老", "新农保", "居民养老", "新农合", "居民医保", "合作医疗", "居民医保")

// employerPaysFor finds that an employer pays the person's contributions (单位给交, 公司给交社保);
// selfPaying that the person pays them alone (灵活就业, 打零工, 个体).
var (
	employerPaysFor = regexp.MustCompile(`(单位|公司|厂里|厂子|老板)(给|帮)(我|俺)?(交|缴)|员工|在(单位|公司|厂里|厂子)上班`)
	selfPaying      = regexp.MustCompile(`灵活就业|零工|个体|自己交|自己缴|自个儿交|自由职业|跑滴滴|跑外卖|送外卖`)
)

// otherScheme reports whether the question names one scheme of a pair and the passage's guide
// is about the other one alone.
func (q question) otherScheme(sp scoredPassage) bool {
	name := sp.gp.guide.Name
	qt := schemeWords.Replace(q.full)
	for _, pair := range schemes {
		for i, asked := range pair {
			other := pair[1-i]
			if strings.Contains(qt, asked) && !strings.Contains(qt, other) &&
				strings.Contains(name, other) && !strings.Contains(name, asked) && !strings.Contains(sp.p.Text, asked) {
				return true
			}
		}
	}
	// an employer pays for the person (单位给交社保): a guide of those who pay for themselves
	// (灵活就业) is another scheme's
	if employerPaysFor.MatchString(q.full) && !selfPaying.MatchString(q.full) && strings.Contains(name, "灵活就业") {
		return true
	}
	// the insurance the question names alone, against a guide of another insurance alone
	if q.insurance == "" {
		return false
	}
	inGuide := insuranceOf(name)
	if _, ok := insurances[string(sp.gp.guide.Category)]; ok && len(inGuide) == 0 {
		// a name that names no insurance (渐进式延迟法定退休年龄) is of its category's
		inGuide = map[string]bool{string(sp.gp.guide.Category): true}
	}
	return len(inGuide) > 0 && !inGuide[q.insurance] && !insuranceOf(sp.p.Text)[q.insurance]
}

// procedures are the kinds of procedure a time limit is of: a guide's time limit is its own
// procedure's (办理参保登记，10个工作日), not another's the question names (跨县转移).
var procedures = []string{"转移", "转入", "转出", "备案", "认定", "鉴定", "挂失", "解挂", "补领", "换领", "注销", "变更", "认证", "结算", "复查", "接续"}

// institution finds the name of a body that carries a procedure's name (鉴定委员会): it names
// who acts, not the procedure asked.
var institution = regexp.MustCompile(`\p{Han}{2}(委员会|机构|中心)`)

// otherProcedure reports whether the question names procedures and the time limit's guide
// and passage name none of them.
func (q question) otherProcedure(p *Passage) bool {
	for _, w := range q.procedures {
		if strings.Contains(p.Title, w) || strings.Contains(p.Text, w) {
			return false
		}
	}
	return len(q.procedures) > 0
}

// proceduresIn returns the procedures q names, leaving out the names of bodies (鉴定委员会).
func proceduresIn(q string) []string { return wordsIn(institution.ReplaceAllString(q, ""), procedures) }

// otherInsurance reports whether the question names one insurance and the passage lists others
// only (养老、失业、工伤保险缴费基数 for a 医保 question).
func (q question) otherInsurance(p *Passage) bool {
	if q.insurance == "" {
		return false
	}
	named := insuranceOf(p.Text)
	return len(named) >= 1 && !named[q.insurance]
}

// insurances are the five insurances and the words they are named by.
var insurances = map[string][]string{
	"pension":      {"养老"},
	"medical":      {"医保", "医疗保险", "医疗费"},
	"unemployment": {"失业"},
	"injury":       {"工伤", "工亡", "因工"}, // 工亡, 因工死亡: a death at work is the injury insurance's
	"maternity":    {"生育"},
}

// insuranceOf returns the insurances a text names.
func insuranceOf(s string) map[string]bool {
	out := map[string]bool{}
	for k, words := range insurances {
		for _, w := range words {
			if strings.Contains(s, w) {
				out[k] = true
				break
			}
		}
	}
	return out
}

// onlyInsurance returns the one insurance a text names, or "" when it names none or several.
func onlyInsurance(s string) string {
	m := insuranceOf(s)
	if len(m) != 1 {
		return ""
	}
	for k := range m {
		return k
	}
	return ""
}

// exclusion finds what a passage says it leaves out: 不含医保, 不包括个人账户.
var exclusion = regexp.MustCompile(`(不含|不包括|不包含|不算)(\p{Han}{2,4})`)

// excluded reports whether the passage says it leaves out what the question asks about
// ("每月约930元（只算养老保险，不含医保）" for a question about 医保).
func (q question) excluded(p *Passage) bool {
	if !strings.Contains(p.Text, "不") {
		return false
	}
	for _, m := range exclusion.FindAllStringSubmatch(p.Text, -1) {
		if strings.Contains(q.text, m[2]) {
			return true
		}
	}
	return false
}

// Thresholds of the passage answer. A figure passage must cover this share of what the
// question is about; below it the guides do not say.
const (
	minFigureTopic  = 0.3
	minElementTopic = 0.3
	// minThing is the share of the named benefit's words the figure passage must hold.
	minThing = 0.6
)

// known keeps the bigrams some retrieved guide uses: the others mostly span two words.
func known(g map[string]bool, gps []*guidePassages) map[string]bool {
	out := make(map[string]bool, len(g))
	for k := range g {
		for _, gp := range gps {
			if gp.all[k] {
				out[k] = true
				break
			}
		}
	}
	return out
}

// coverageOf is the share of the bigrams of want found in any of sets.
func coverageOf(want map[string]bool, sets ...map[string]bool) float64 {
	if len(want) == 0 {
		return 1
	}
	n := 0
	for k := range want {
		for _, s := range sets {
			if s[k] {
				n++
				break
			}
		}
	}
	return float64(n) / float64(len(want))
}

// otherThing reports whether the passage names benefits of the kind asked (补助金) and none of
// them is the one asked: "工亡补助金今年是多少钱" gives the figure of another 补助金 than the
// 丧葬补助金 asked, though the guide's aliases name that one too.
//
// It holds for a kind that several benefits share (qualifiedKinds), and for a benefit the
// retrieved guides name as asked (丧葬补助金): a loose name (工伤补助金) may be any of them. A
// guide that names the thing asked by its name or an alias (技能提升补贴 for 考证补贴) says it in
// other words; a kind named bare (按60%返还) names no other thing.
func (q question) otherThing(thing map[string]bool, sp scoredPassage, gps []*guidePassages) bool {
	if q.thingName == "" {
		return false
	}
	m := thingPattern.FindStringSubmatch(q.thingName)
	if m == nil || !qualifiedKinds[m[2]] {
		return false
	}
	rs := []rune(q.thingName)
	n := utf8.RuneCountInString(m[2]) + 2
	if len(rs) < n {
		return false // the kind asked bare (多少补贴)
	}
	name := string(rs[len(rs)-n:]) // 丧葬补助金: the kind and the two characters before it
	for _, ns := range sp.gp.nameSets {
		if coverageOf(thing, ns) >= minThing {
			return false
		}
	}
	g := sp.gp.guide
	text := sp.p.Lead + "。" + sp.p.Text
	if strings.Contains(text, name) || strings.Contains(g.Name+"、"+strings.Join(g.Aliases, "、"), name) || !guidesSay(gps, name) {
		return false
	}
	for _, pm := range thingPattern.FindAllStringSubmatch(text, -1) {
		if pm[2] == m[2] && utf8.RuneCountInString(pm[1]) >= n {
			return true // another benefit of the kind (工亡补助金)
		}
	}
	return false
}

// qualifiedKinds are the kinds of benefit several benefits share, told apart by the words
// before them (丧葬补助金, 工亡补助金, 伤残补助金).
var qualifiedKinds = map[string]bool{"补助金": true, "抚恤金": true, "津贴": true, "补贴": true, "补助": true, "基数": true}

// guidesSay reports whether a passage of the guides says name.
func guidesSay(gps []*guidePassages, name string) bool {
	for _, gp := range gps {
		for i := range gp.passages {
			if p := &gp.passages[i]; strings.Contains(p.Text, name) || strings.Contains(p.Lead, name) {
				return true
			}
		}
	}
	return false
}

// thingCoverage is the share of the thing's bigrams a passage names, with its guide's name or
// one of its aliases.
func thingCoverage(thing map[string]bool, sp scoredPassage) float64 {
	best := coverageOf(thing, sp.p.grams)
	for _, ns := range sp.gp.nameSets {
		best = max(best, coverageOf(thing, sp.p.grams, ns))
	}
	return best
}

// linkedTopic is the topic coverage a figure passage of a linked (not retrieved) guide needs
// beyond minFigureTopic.
const linkedTopic = 0.1

// linked reports whether gp is among the guides added by link rather than found by search.
func (q question) linked(gp *guidePassages, gps []*guidePassages) bool {
	if q.retrieved == 0 {
		return false
	}
	for i := q.retrieved; i < len(gps); i++ {
		if gps[i] == gp {
			return true
		}
	}
	return false
}

// figureAnswer is the answer to one kind of figure asked.
type figureAnswer struct {
	kind      askKind
	topic     float64
	sentences []string
	cited     []*Passage
	asksBack  bool
}

// answerFigure picks the best passage for one kind of figure and says it: the figure first, in
// one sentence with its condition; for a rule with tiers, the person's tier when they said
// the fact, else the rule and a question for the fact.
func answerFigure(q question, gps []*guidePassages, kind askKind, followUp bool) (figureAnswer, bool) {
	ranked := rankPassages(q, gps, kind, 0)
	if len(ranked) == 0 {
		return figureAnswer{}, false
	}
	// The best passage that is about what was asked: a passage of another guide that holds a
	// figure of the kind but none of the question's words (a 时限 of 失业金 for a 社保卡 question)
	// is passed over, not taken and then refused.
	best := ranked[0]
	bestAt := 0
	answers := func(sp scoredPassage) bool {
		if q.otherScheme(sp) || q.excluded(sp.p) {
			return false
		}
		need := minFigureTopic
		if q.linked(sp.gp, gps) {
			need += linkedTopic // a guide search did not find must be more plainly about it
		}
		if q.saysOwn(sp.p) {
			need -= ownNumberTopic // it holds the person's own number: it is about their case
		}
		if q.ownTier(sp.p) {
			need -= ownTierTopic // its rule has a tier for the case the person told (交了7年)
		}
		if kind == askPhone && sp.p.Element == ElemPhone && sp.gp == gps[0] {
			need -= firstPhoneTopic // the number of the guide search put first
		}
		return sp.topic >= need && sp.score >= 0.5
	}
	if !followUp {
		found := false
		for i, sp := range ranked {
			if answers(sp) {
				best, bestAt, found = sp, i, true
				break
			}
		}
		if !found || q.toBeAnnounced(best.p, kind) || leftToOffice(q, gps, kind) && best.p.deferred == "" {
			// the passage that would answer says the figure is still to be announced: the
			// guides do not give it, and a neighbouring figure would answer another question
			return figureAnswer{}, false
		}
	}
	// The charge whose amount is asked must be the one the passage names: 工本费20元 is not the
	// 年费 asked about.
	if q.fee != "" && (kind == askMoney || kind == askFee) && !strings.Contains(best.p.Lead+best.p.Text, q.fee) &&
		!strings.Contains(best.gp.guide.Name, q.fee) {
		return figureAnswer{}, false
	}
	// The benefit whose figure is asked must be the one the passage (or its guide) speaks of:
	// the 伤残补助金 of one passage is not the 医疗补助金 asked about.
	if q.thing != nil {
		// A benefit or term none of the retrieved guides speaks of (起付线) is not in them.
		k := known(q.thing, gps)
		if len(k) == 0 || len(known(q.thingKind, gps)) == 0 || thingCoverage(k, best) < minThing || q.otherThing(k, best, gps) {
			return figureAnswer{}, false
		}
	}
	// Another guide speaks of what was asked but the figure passage does not: the guides do
	// not give the figure ("一次性工伤医疗补助金具体给多少" where only its rule is written).
	if about := rankPassages(q, gps, "", 1); len(about) > 0 {
		top := q.coverage(about[0].p.grams)
		switch {
		case best.p.Element == ElemTimeLimit, best.p.Element == ElemFee, best.p.Element == ElemPhone, best.p.Element == ElemVisits:
		case best.gp == gps[0], q.ownTier(best.p):
			// (or it holds the tier for the case the person told: about them, in a rule's words)
			// the figure is in the guide search put first: that another guide speaks of the
			// topic more (打零工 of 灵活就业) does not make the first one's figure another's
		default:
			if top >= 0.5 && q.coverage(best.p.grams) < 0.4*top && about[0].p.Code != best.p.Code {
				return figureAnswer{}, false
			}
		}
	}
	fa := figureAnswer{kind: kind, cited: []*Passage{best.p}, topic: best.topic}
	if !followUp {
		if also := corroborating(ranked[bestAt+1:], best, kind, answers); also != nil {
			fa.cited = append(fa.cited, also) // another guide says the same figure for the same question
		}
	}
	text := strings.TrimSpace(best.p.Text)
	if tier, unit, ok := selectTier(text, q.facts); ok {
		fa.sentences = append(fa.sentences, "按您说的情况，适用这一档："+trimStop(tier)+"。")
	} else if unit != "" && !followUp && noTierFor(text, q.facts) {
		// the rule has tiers by what the person told (60岁139个月 …), none for their case (61岁):
		// the guides do not give their figure, and another tier's would answer another case
		return figureAnswer{}, false
	} else if unit != "" && !q.said(unit) {
		fa.sentences = append(fa.sentences, shorten(text, kind))
		if ask := askQuestion[unit]; ask != "" {
			fa.sentences = append(fa.sentences, ask)
			fa.asksBack = true
		}
	} else {
		fa.sentences = append(fa.sentences, shorten(text, kind))
	}
	if best.p.Unverified && !strings.Contains(strings.Join(fa.sentences, ""), "核定为准") {
		fa.sentences[0] = trimStop(fa.sentences[0]) + "，具体以经办机构核定为准。"
	}
	return fa, true
}

// leftToOffice reports whether a passage of gps leaves the figure asked to the office: its
// matter left to the office (Passage.deferred) asks the same kind of figure, about the thing
// asked (生育保险基金按多少天支付津贴，请以经办机构的核定为准 for "生育津贴按98天还是158天发").
// A figure of another sentence would answer what the guide does not.
func leftToOffice(q question, gps []*guidePassages, kind askKind) bool {
	for _, gp := range gps {
		for i := range gp.passages {
			p := &gp.passages[i]
			if p.deferred == "" || !slices.Contains(p.deferKinds, kind) {
				continue
			}
			matter := bigrams(p.deferred)
			// the person asks which of the figures they heard holds (按98天还是158天), about the
			// thing the guide leaves open; or the question is plainly about that matter
			if q.choice && q.thing != nil && coverageOf(q.thing, matter) >= minThing || q.coverage(matter) >= minDeferred {
				return true
			}
		}
	}
	return false
}

// minDeferred is the topic coverage a matter left to the office needs to be the one asked
// when the question names no benefit.
const minDeferred = 0.5

// corroborationMargin is how much lower than the answer's passage a passage of another guide
// may rank and still be cited with it for saying the same figure.
const corroborationMargin = 0.3

// corroborating returns a passage of another guide, ranked close below the answer's, that
// answers the question with the same figure of the kind asked (the 30日 of 职工参保登记 and of
// 单位参保登记): citing it too names both guides that say it. nil when there is none.
func corroborating(rest []scoredPassage, best scoredPassage, kind askKind, answers func(scoredPassage) bool) *Passage {
	want := map[Figure]bool{}
	for _, f := range best.p.durs {
		if unitFits(kind, f) {
			want[Figure{Value: f.Value, Unit: f.Unit}] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	for _, sp := range rest {
		if sp.score < best.score-corroborationMargin {
			return nil
		}
		if sp.p.Code == best.p.Code || !answers(sp) {
			continue
		}
		for _, f := range sp.p.durs {
			if want[Figure{Value: f.Value, Unit: f.Unit}] {
				return sp.p
			}
		}
	}
	return nil
}

// shorten keeps the clauses of a long sentence that hold a figure of the kind asked (with the
// clause before them, which often holds the condition).
func shorten(s string, kind askKind) string {
	if utf8.RuneCountInString(s) <= 80 {
		return sentence(s)
	}
	clauses := strings.Split(trimStop(s), "；")
	if len(clauses) < 2 {
		return sentence(s)
	}
	var keep []string
	for _, c := range clauses {
		for _, f := range Figures(c) {
			if unitFits(kind, f) {
				keep = append(keep, c)
				break
			}
		}
	}
	if len(keep) == 0 {
		return sentence(s)
	}
	return strings.Join(keep, "；") + "。"
}

// tierSeparator separates the tiers of a rule and the pieces of a tier.
var tierSeparator = regexp.MustCompile(`[；，、]`)

// tierCond finds the conditions of a tier: 满5年不满10年, 10年以上, 不足1年, 60岁.
var tierCond = regexp.MustCompile(`(满|不满|不足|未满|不超过|超过|以上|以下|以内|低于|高于)?(\d+(?:\.\d+)?)(年|岁|周岁|个月|元)(以上|以下|以内|及以上)?`)

// ruleTier is one tier of a rule: its condition on one unit and its text.
type ruleTier struct {
	lo, hi float64 // lo ≤ v < hi; -1 = open
	exact  bool    // v == lo (60岁139个月)
	unit   string
	pieces []string
	head   string // the words before the condition in its first piece (累计交)
}

// tierOf reads the condition of a piece of a rule, if it starts a tier.
func tierOf(piece, unit string) (ruleTier, bool) {
	t := ruleTier{lo: -1, hi: -1}
	found := false
	for _, m := range tierCond.FindAllStringSubmatchIndex(piece, -1) {
		pre, post := sub(piece, m, 1), sub(piece, m, 4)
		v, _ := strconv.ParseFloat(sub(piece, m, 2), 64)
		u := strings.TrimPrefix(sub(piece, m, 3), "周")
		if u == "个月" {
			u = "月"
		}
		if unit != "" && u != unit || found && u != t.unit {
			continue // the tier's outcome (18个月) after its condition
		}
		switch {
		case pre == "满" || pre == "超过" || pre == "高于" || post == "以上" || post == "及以上":
			t.lo = v
		case pre == "不满" || pre == "不足" || pre == "未满" || pre == "低于" || post == "以下" || post == "以内":
			t.hi = v
		case pre == "不超过":
			t.hi = math.Nextafter(v, math.Inf(1)) // v itself is within
		case u == "岁" && !found && outcomeAfter(piece, m[1]):
			t.lo, t.hi, t.exact = v, v, true // 60岁139个月: an age with its outcome
		default:
			continue
		}
		if !found {
			t.head = piece[:m[0]]
		}
		found, t.unit = true, u
	}
	return t, found
}

// outcomeAfter reports whether a figure of another kind follows position i of piece: the
// outcome of a tier whose condition ends at i.
func outcomeAfter(piece string, i int) bool {
	for _, f := range Figures(piece[i:]) {
		if f.Unit != "岁" {
			return true
		}
	}
	return false
}

// selectTier finds, in a rule with tiers ("累计交满1年不满5年，最多领12个月；满5年不满10年最多
// 18个月；满10年最多24个月"), the one tier whose condition holds for a fact the person said. It
// returns the tier with the rule's head and subject; when the rule has tiers but no fact fits,
// it returns the unit the tiers are by.
func selectTier(s string, facts []Figure) (string, string, bool) {
	tiers, lead, unit := ruleTiers(s)
	if len(tiers) < 2 {
		return "", "", false
	}
	for _, v := range toldIn(facts, unit) {
		match := -1
		for i, t := range tiers {
			if t.holds(v) {
				if match >= 0 {
					match = -2 // two tiers hold: not the person's case alone
					break
				}
				match = i
			}
		}
		if match < 0 {
			continue
		}
		t := tiers[match]
		text := strings.Join(t.pieces, "，")
		if head := tiers[0].head; head != "" && !strings.HasPrefix(text, head) && t.head == "" {
			text = head + text
		}
		if len(lead) > 0 {
			if l := lead[len(lead)-1]; utf8.RuneCountInString(l) <= 24 && len(Figures(l)) == 0 {
				text = l + "，" + text
			}
		}
		return strings.TrimSpace(text), unit, true
	}
	return "", unit, false
}

// holds reports whether the tier's condition holds for value v.
func (t ruleTier) holds(v float64) bool {
	return t.exact && v == t.lo || !t.exact && (t.lo < 0 || v >= t.lo) && (t.hi < 0 || v < t.hi)
}

// noTierFor reports whether a rule in tiers has none for the case the person told: they said a
// figure in the tiers' unit (61岁) and no tier holds for it (60岁139个月, 55岁170个月 …).
func noTierFor(s string, facts []Figure) bool {
	tiers, _, unit := ruleTiers(s)
	if len(tiers) < 2 {
		return false
	}
	told := toldIn(facts, unit)
	for _, v := range told {
		for _, t := range tiers {
			if t.holds(v) {
				return false
			}
		}
	}
	return len(told) > 0
}

// toldIn returns the values of the figures the person said in unit (周岁 counts as 岁).
func toldIn(facts []Figure, unit string) []float64 {
	var out []float64
	for _, f := range facts {
		if strings.TrimPrefix(f.Unit, "周") != unit {
			continue
		}
		if v, err := strconv.ParseFloat(f.Value, 64); err == nil {
			switch {
			case belowSaid.MatchString(f.Text):
				v -= 0.5 // 不到5年: less than 5 years, the tier 不满5年
			case aboveSaid.MatchString(f.Text):
				v += 0.5 // 超过10年: the tier 10年以上
			}
			out = append(out, v)
		}
	}
	return out
}

// belowSaid and aboveSaid find a figure the person said as a bound of their case (不到5年,
// 超过10年), in the Text factsIn gives it.
var (
	belowSaid = regexp.MustCompile(`^(` + belowWords + `)`)
	aboveSaid = regexp.MustCompile(`^(` + aboveWords + `)`)
)

// ruleTiers splits a rule into its tiers, the pieces before the first tier and the unit the
// tiers are by.
func ruleTiers(s string) ([]ruleTier, []string, string) {
	s = trimStop(s)
	pieces := tierSeparator.Split(s, -1)
	if len(pieces) < 2 {
		return nil, nil, ""
	}
	var tiers []ruleTier
	var lead []string // pieces before the first tier
	unit := ""
	for _, pc := range pieces {
		if t, ok := tierOf(pc, unit); ok {
			if unit == "" {
				unit = t.unit
			}
			t.pieces = []string{pc}
			tiers = append(tiers, t)
			continue
		}
		if len(tiers) == 0 {
			lead = append(lead, pc)
			continue
		}
		last := &tiers[len(tiers)-1]
		last.pieces = append(last.pieces, pc)
	}
	return tiers, lead, unit
}

func sub(s string, m []int, i int) string {
	if m[2*i] < 0 {
		return ""
	}
	return s[m[2*i]:m[2*i+1]]
}

// elementTopic reports how well a guide covers what the question is about: the share of the
// question's topic words found anywhere in the guide.
// A question that names nothing of the guide's name and whose own words the guide mostly does
// not use (住房公积金怎么提出来) is about something else, however its chatter matches. What it
// names of the guide's name is weighed as everywhere (a word no retrieved guide uses weighs
// less) and read with the guides' words for the question's (瘫在 → 行动不便, 上门 → 上门服务):
// a colloquial question says many words no guide writes (老汉, 炕上) around the few it shares.
func elementTopic(q question, gp *guidePassages) float64 {
	if q.coverage(gp.names) < 0.25 && coverageOf(q.topic, gp.all) < 0.4 {
		return 0
	}
	return q.coverage(gp.all)
}

// Offers of the hotline that end every answer.
const (
	offerHotline      = "如需进一步咨询，可以拨打12333。"
	offerHotlineElder = "有疑问请打12333。"
)

// withOffer ends an answer with the offer of 12333, unless the answer already offers it.
func withOffer(text string, elder bool) string {
	text = strings.TrimSpace(text)
	if strings.Contains(text, Hotline) {
		return text
	}
	if elder {
		return text + offerHotlineElder
	}
	return text + offerHotline
}

// withElderOffer adds the short offer of 12333 to an elder-mode reply within the elder rules:
// a reply that ends with its one question keeps the question last, with the offer just before it
// when that leaves at most two sentences before the question; a reply with no room left keeps the 转人工 button (shapeElder) as its offer, and one that already names a person or
// 12333 is left alone.
func withElderOffer(text string) string {
	text = strings.TrimSpace(text)
	if strings.Contains(text, Hotline) || strings.Contains(text, "转人工") || strings.Contains(text, "人工") {
		return text
	}
	parts := splitSentences(text)
	if !strings.HasSuffix(text, "？") {
		if len(parts) >= 2 {
			return text
		}
		return withOffer(text, true)
	}
	if len(parts) > 2 {
		return text
	}
	return strings.Join(parts[:len(parts)-1], "") + offerHotlineElder + parts[len(parts)-1]
}

// notInGuides is the reply when no passage answers the question: plainly that the guides do not
// say it, and the closest guide.
func notInGuides(closest *content.Guide) string {
	if closest == nil {
		return "办事指南里没有这个问题的答案，我不能替您猜。"
	}
	return "办事指南里没有这个问题的答案，我不能替您猜。和您问的最接近的是“" + closest.Name + "”。"
}

// answerPlan is what a guide question will be answered with.
type answerPlan struct {
	none     bool           // no passage answers it: say so
	figures  []figureAnswer // one per kind of figure asked and answered
	missing  []askKind      // kinds asked that no passage answers, while another was answered
	asksBack bool           // the answer asks for a fact (the tier of a rule)
	topic    float64        // the least topic coverage of the figure passages
}

// products are schemes beside the five social insurances that people ask about in the same
// breath (长期护理保险, 企业年金, 惠民保): the guides speak of them rarely, and a figure or a step of
// the basic schemes is not theirs.
var products = regexp.MustCompile(`长期护理保险|长护险|护理保险|企业年金|职业年金|惠民保|商业保险|商业养老|补充医疗保险|大额医疗|住房公积金|公积金`)

// otherProduct reports whether the question names such a scheme and none of the guides
// searched uses its name.
func otherProduct(q string, gps []*guidePassages) bool {
	for _, m := range products.FindAllString(q, -1) {
		used := false
		for _, gp := range gps {
			all := true
			for k := range bigrams(m) {
				all = all && gp.all[k]
			}
			used = used || all
		}
		if !used {
			return true
		}
	}
	return false
}

// planAnswer decides how to answer q from the passages of the retrieved guides (best first):
// with the passages that hold the figures asked for, with the elements asked about, or by
// saying that the guides do not say.
// A follow-up ("那要带什么材料？") names no topic of its own: it is about the previous guide.
func planAnswer(q question, gps []*guidePassages, followUp bool) answerPlan {
	var p answerPlan
	if len(gps) == 0 {
		p.none = true
		return p
	}
	if len(q.asks) > 0 {
		q.ac = newAskContext(q.text) // the same for every kind asked
	}
	if !followUp && otherProduct(q.text, gps) {
		return answerPlan{none: true}
	}
	for _, k := range q.asks {
		if neverInGuides(k) {
			return answerPlan{none: true}
		}
		if fa, ok := answerFigure(q, gps, k, followUp); ok {
			if len(p.figures) == 0 || fa.topic < p.topic {
				p.topic = fa.topic
			}
			p.figures = append(p.figures, fa)
			p.asksBack = p.asksBack || fa.asksBack
		} else {
			p.missing = append(p.missing, k)
		}
	}
	if !followUp && len(p.figures) > 0 {
		// a second question of a kind already asked (产假多少天？难产再加几天？): answered from
		// its own clause's words
		for _, ra := range repeatedAsks(q.text) {
			c := ra.clause
			sub := q
			sub.text, sub.norm = c, strings.ReplaceAll(c, "缴", "交")
			sub.asks = ra.asks
			sub.topic = map[string]bool{}
			// an elliptical clause (最高一档呢) is about what the clause it follows asked
			for k := range bigrams(queryTopic(howMuch.ReplaceAllString(guideWords.Replace(ra.context+c), " "))) {
				if q.topic[k] {
					sub.topic[k] = true // the clause's own words, weighed as in the whole question
				}
			}
			// 55岁退休的又是多少个月: the case this clause tells comes before the question's others
			sub.facts = append(factsIn(c), q.facts...)
			if name, th, kind := askedThings(c); th != nil {
				sub.thing, sub.thingKind, sub.thingName = th, kind, name
			}
			for _, k := range sub.asks {
				if neverInGuides(k) {
					continue
				}
				if fa, ok := answerFigure(sub, gps, k, false); ok {
					p.figures = append(p.figures, fa)
					p.topic = min(p.topic, fa.topic)
				} else {
					p.missing = append(p.missing, k)
				}
			}
		}
	}
	switch {
	case len(q.asks) > 0 && len(p.figures) == 0:
		p.none = true
	case len(q.asks) == 0 && !followUp && elementTopic(q, gps[0]) < minElementTopic:
		p.none = true
	}
	return p
}

// askClause splits a question into the clauses that may each ask a figure.
var askClause = regexp.MustCompile(`[，,？?；;。！!]`)

// askAgain is a clause that asks again a kind of figure an earlier clause asked.
type askAgain struct {
	clause  string
	asks    []askKind
	context string // the clause whose question an elliptical clause asks again, or ""
}

// repeatedAsks returns the clauses of q, after the first, that ask only kinds of figure an
// earlier clause asked already (陕西产假多少天？难产再加几天？): figureAsks reads each kind once.
// An elliptical clause (最低一档交多少？最高一档呢？, 要是满四个月流产呢？) asks what the clause
// before it asked, of its own case.
func repeatedAsks(q string) []askAgain {
	several := strings.Count(q, "多少")+strings.Count(q, "几")+strings.Count(q, "多久")+strings.Count(q, "多长") >= 2
	if !several && !strings.Contains(q, "呢") {
		return nil // one asking word asks one thing
	}
	var out []askAgain
	seen := map[askKind]bool{}
	var last string
	var lastAsks []askKind
	for _, c := range askClause.Split(q, -1) {
		ks := figureAsks(c)
		if len(ks) == 0 {
			if lastAsks != nil && elliptical.MatchString(c) && !ownQuestion.MatchString(c) {
				out = append(out, askAgain{clause: c, asks: lastAsks, context: last})
			}
			continue
		}
		last, lastAsks = c, ks
		if !several {
			continue
		}
		again := true
		for _, k := range ks {
			again = again && seen[k]
			seen[k] = true
		}
		if again {
			out = append(out, askAgain{clause: c, asks: ks})
		}
	}
	return out
}

// elliptical finds a clause that asks by 呢 alone (最高一档呢, 要是满四个月流产呢); ownQuestion
// finds the words of a question of its own (咋办呢, 能不能…呢).
var (
	elliptical  = regexp.MustCompile(`\p{Han}{2,14}呢$`)
	ownQuestion = regexp.MustCompile(`咋|怎|什么|啥|哪|吗|能不能|是不是|有没有|要不要|会不会|行不行|可不可以|为`)
)

// compose writes the planned answer: the figure passages, or (for questions about an element
// rather than a figure) the extractive answer from the best guide.
func (p answerPlan) compose(g *content.Guide, question string, elems []Element, elder bool) Composed {
	if len(p.figures) == 0 {
		return ComposeExtractive(g, question, elems, elder)
	}
	var c Composed
	var b strings.Builder
	seen := map[string]bool{}
	for _, fa := range p.figures {
		for i, s := range fa.sentences {
			if i == 0 && len(fa.cited) > 0 {
				s = withSubject(fa.cited[0], s)
			}
			if !seen[s] {
				seen[s] = true
				b.WriteString(s)
			}
		}
		for _, cp := range fa.cited {
			c.citePassage(cp)
		}
	}
	if len(p.missing) > 0 {
		b.WriteString("您问的另一点，办事指南里没有写到。")
	}
	c.Text = b.String()
	return c
}

// withSubject names the guide before a sentence that does not say what it is about (时限,
// 收费, 电话 elements: "不收费。").
func withSubject(p *Passage, s string) string {
	switch p.Element {
	case ElemTimeLimit, ElemFee, ElemVisits, ElemPhone:
		if !strings.Contains(s, p.Title) {
			return "办理" + p.Title + "，" + s
		}
	}
	return s
}

// citePassage cites the element of a passage; the passage (not the whole element) is the
// source of the figures said from it.
func (c *Composed) citePassage(p *Passage) {
	c.Sources = append(c.Sources, p.Source())
	for _, x := range c.Citations {
		if x.Code == p.Code && x.Element == string(p.Element) {
			return
		}
	}
	c.Citations = append(c.Citations, p.Citation())
}
