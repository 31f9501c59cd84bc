package assistant

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	policy "shebao/internal/retirement"
	"shebao/internal/spoken"
)

// RetirementAsk is what a retirement question wants to know.
type RetirementAsk string

// The kinds of retirement question.
const (
	AskWhen     RetirementAsk = "when"      // 我哪年退休
	AskEarly    RetirementAsk = "early"     // 能提前退休吗
	AskMinYears RetirementAsk = "min_years" // 要交多少年
)

// RetirementFacts is what a message says about a person's retirement: all fields optional.
// It is also the pending state kept in the session while the assistant waits for an answer to
// its one question.
type RetirementFacts struct {
	Ask      RetirementAsk   `json:"ask,omitempty"`
	Sex      string          `json:"sex,omitempty"`      // male or female
	Category policy.Category `json:"category,omitempty"` // set when known
	// Signal is "50" or "55" when the message says which original age applies to a woman
	// (工人, 干部, 五十五 …), even before her sex is known.
	Signal string `json:"signal,omitempty"`
	Year   int    `json:"year,omitempty"`  // birth year
	Month  int    `json:"month,omitempty"` // birth month, 0 unknown
}

func (f RetirementFacts) empty() bool {
	return f.Sex == "" && f.Category == "" && f.Signal == "" && f.Year == 0 && f.Month == 0
}

// merge fills the unknown fields of f from g.
func (f RetirementFacts) merge(g RetirementFacts) RetirementFacts {
	if g.Ask != "" && (f.Ask == "" || g.Ask != AskWhen) {
		f.Ask = g.Ask
	}
	if g.Sex != "" {
		f.Sex = g.Sex
	}
	if g.Category != "" {
		f.Category = g.Category
	}
	if g.Signal != "" {
		f.Signal = g.Signal
		if f.Sex != "male" {
			f.Category = ""
		}
	}
	if g.Year != 0 {
		f.Year = g.Year
		if g.Month == 0 && f.Month != 0 && g.Year != f.Year {
			f.Month = 0
		}
	}
	if g.Month != 0 {
		f.Month = g.Month
	}
	return f.resolve()
}

// resolve derives the category from the sex and the female signal words.
func (f RetirementFacts) resolve() RetirementFacts {
	switch {
	case f.Sex == "male":
		f.Category = policy.Male
	case f.Sex == "female" && f.Signal == "50":
		f.Category = policy.Female50
	case f.Sex == "female" && f.Signal == "55":
		f.Category = policy.Female55
	}
	if f.Category == policy.Male && f.Sex == "" {
		f.Sex = "male"
	}
	if (f.Category == policy.Female50 || f.Category == policy.Female55) && f.Sex == "" {
		f.Sex = "female"
	}
	return f
}

var retirementCues = []string{"哪年", "哪一年", "什么时候", "啥时候", "几岁", "多大", "多少岁", "年龄", "时间", "几月",
	"哪个月", "提前", "延迟", "推迟", "弹性", "晚点", "早点", "能退", "可以退", "到点", "几时", "还有几年",
	"工人", "干部", "管理岗", "男职工", "女职工", "五十", "六十", "50岁", "55岁", "60岁", "测算", "算一下", "算算"}

var minYearsPattern = regexp.MustCompile(`(要|得|需要|必须|至少|最少|最低)(交|缴)(够|满)?(多少|几)年|(交|缴)(够|满)(多少|几)年|最低缴费年限|缴费年限(是|要|多少|几)|交多少年|缴多少年|交几年才|缴几年才`)

// IsRetirementQuestion reports whether a message asks about the statutory retirement age, early
// retirement or the minimum contribution years.
func IsRetirementQuestion(text string) bool {
	if minYearsPattern.MatchString(text) {
		return true
	}
	text = withoutReachedAge(text)
	if !strings.Contains(text, "退休") && !strings.Contains(text, "退下来") {
		return false
	}
	if strings.Contains(text, "退休金") || strings.Contains(text, "退休手续") || strings.Contains(text, "退休证") {
		// about the pension or the procedure, unless the timing is asked too
		return containsAny(text, []string{"哪年退休", "什么时候退休", "啥时候退休", "几岁退休", "提前退休", "能退休"})
	}
	return containsAny(text, retirementCues)
}

// reachedAge finds the retirement age told as reached (到了退休年龄, 退休年龄到了, 已达退休年龄).
var reachedAge = regexp.MustCompile(`(已经|已)?(到了|达到|已达|满了|过了)(法定)?退休(的)?年龄(了)?|退休年龄(已经)?到了`)

// withoutReachedAge leaves out of text the retirement age the person tells they have reached
// (到了退休年龄社保才交了12年): it is told, not asked, unless asked whether (到了退休年龄了吗).
func withoutReachedAge(text string) string {
	return reachedAge.ReplaceAllStringFunc(text, func(m string) string {
		if i := strings.Index(text, m) + len(m); strings.HasPrefix(text[i:], "吗") || strings.HasPrefix(text[i:], "没") {
			return m
		}
		return ""
	})
}

// ParseRetirementFacts reads the category and birth month from a question, in the forms people
// say them: 七零年一月, 1970年1月, 70年, 六八年的, 五三年三月; 男的, 男职工, 我爸; 女的; 工人 or
// 五十 (female, original age 50), 干部, 管理岗 or 五十五 (female, original age 55). now is used to
// read two-digit years and to reject births in the future.
func ParseRetirementFacts(text string, now time.Time) RetirementFacts {
	var f RetirementFacts
	switch {
	case strings.Contains(text, "提前") || strings.Contains(text, "早退") || strings.Contains(text, "早点退"):
		f.Ask = AskEarly
	case minYearsPattern.MatchString(text):
		f.Ask = AskMinYears
	case strings.Contains(text, "退休") || strings.Contains(text, "退下来"):
		f.Ask = AskWhen
	}
	f.Sex = parseSex(text)
	switch {
	case containsAny(text, []string{"五十五", "55岁", "55周岁", "55退"}):
		f.Signal = "55"
		if f.Sex == "" {
			f.Sex = "female" // only women had an original age of 55
		}
	case containsAny(text, []string{"五十岁", "五十周岁", "50岁", "50周岁", "五十退", "50退"}):
		f.Signal = "50"
		if f.Sex == "" {
			f.Sex = "female"
		}
	case containsAny(text, []string{"干部", "管理岗", "管理人员", "专业技术"}):
		f.Signal = "55"
	case containsAny(text, []string{"工人", "一线", "工勤"}):
		f.Signal = "50"
	}
	f.Year, f.Month = parseBirth(text, now)
	return f.resolve()
}

func parseSex(text string) string {
	male := containsAny(text, []string{"男", "我爸", "父亲", "老爸", "爸爸", "老公", "丈夫", "儿子", "老头", "先生", "大爷", "爷爷"})
	female := containsAny(text, []string{"女", "我妈", "母亲", "老妈", "妈妈", "老婆", "妻子", "媳妇", "闺女", "太太", "大妈", "阿姨", "奶奶", "姐"})
	switch {
	case male && !female:
		return "male"
	case female && !male:
		return "female"
	}
	return ""
}

// parseBirth finds a birth year (and month, 0 if not said): the first year said that a person
// asking about retirement can have been born in.
func parseBirth(text string, now time.Time) (year, month int) {
	for _, d := range spoken.YearMonths(text, func(yy int) int { return fullYear(yy, now) }) {
		if d.Year >= 1930 && d.Year <= now.Year()-14 {
			return d.Year, d.Month
		}
	}
	return 0, 0
}

// parseMonthOnly finds a month said on its own ("三月的", "3月份").
func parseMonthOnly(text string) int { return spoken.Month(text) }

// fullYear turns a two-digit year into a four-digit one: people asking about retirement were
// born in the 1900s unless the two digits are at most now-16 (workers born in the 2000s).
func fullYear(yy int, now time.Time) int {
	if yy <= now.Year()%100-16 {
		return 2000 + yy
	}
	return 1900 + yy
}

// RetirementDecisionCode is the code cited for figures computed by the retirement calculator.
const RetirementDecisionCode = "policy/retirement"

// RetirementGuideCode is the guide about the reform, cited with the decision when it exists.
const RetirementGuideCode = "SX-YL-020"

// retirementReply is the outcome of answering a retirement question.
type retirementReply struct {
	text    string
	sources []string // computed sentences and provisions: the only sources of its figures
	pending *RetirementFacts
	result  *policy.Retirement
	basis   string // the annex or article cited
}

// computedOrAsk answers with the figures when the category and the birth month are known (the
// rule sources plus the answer's own), and otherwise answers ask and waits for them.
func computedOrAsk(f RetirementFacts, ruleSources []string, ask string, answer func(policy.Retirement, policy.YearMonth) (string, []string)) retirementReply {
	if cat, birth, ok := f.complete(); ok {
		if r, err := policy.Compute(cat, birth); err == nil {
			text, sources := answer(r, birth)
			return retirementReply{text: text, sources: append(ruleSources, sources...), result: &r}
		}
	}
	p := f
	return retirementReply{text: ask, sources: ruleSources, pending: &p}
}

// answerRetirement answers from the facts known so far, or asks the one question whose answer
// changes the result.
func answerRetirement(f RetirementFacts, now time.Time) retirementReply {
	ruleSources := []string{
		"同步启动延迟男、女职工的法定退休年龄，用十五年时间，逐步将男职工的法定退休年龄从原六十周岁延迟至六十三周岁，将女职工的法定退休年龄从原五十周岁、五十五周岁分别延迟至五十五周岁、五十八周岁。",
		earlyRule, minYearsRule,
	}
	switch f.Ask {
	case AskEarly:
		return computedOrAsk(f, ruleSources,
			"可以，但有条件：职工缴满最低缴费年限，可以自愿选择弹性提前退休，提前时间最长不超过三年，而且不能早于原法定退休年龄（男职工六十周岁，女职工五十周岁或五十五周岁）。告诉我出生年月和人员类别，我帮您算最早哪个月可以退。",
			func(r policy.Retirement, birth policy.YearMonth) (string, []string) {
				return fmt.Sprintf("可以申请弹性提前退休，但要先缴满最低缴费年限。%s按%s计算，法定退休时间是%s，最早可以在%s提前退休，提前最多不超过三年，而且不能早于原法定退休年龄%s。",
						birth.Text()+"出生的，", r.Category.Name(), r.RetirementMonth.Text(), r.EarliestFlexibleMonth.Text(), r.OriginalAge.Text()),
					[]string{r.Sentence()}
			})
	case AskMinYears:
		return computedOrAsk(f, ruleSources,
			"按月领取基本养老金，目前最低要缴费满十五年。从2030年1月1日起，最低缴费年限每年提高六个月，逐步提高到二十年。具体要交多少年，看您哪一年退休；告诉我出生年月和人员类别，我帮您算。",
			func(r policy.Retirement, birth policy.YearMonth) (string, []string) {
				return fmt.Sprintf("按%s计算，%s出生的，%s退休，那一年按月领取养老金的最低缴费年限是%s。从2030年起，最低缴费年限每年提高6个月，逐步提高到20年。",
						r.Category.Name(), birth.Text(), r.RetirementMonth.Text(), policy.YearsText(r.MinContributionYears)),
					[]string{r.Sentence(), "从2030年起每年提高6个月，逐步提高到20年。"}
			})
	}
	// AskWhen
	if f.Sex == "" && f.Category == "" {
		p := f
		if f.Year == 0 {
			return retirementReply{text: "好的，我帮您算。请问您是哪年哪月出生的，是男职工还是女职工？", pending: &p}
		}
		return retirementReply{text: "请问是男职工还是女职工？", pending: &p}
	}
	if f.Category == "" { // a woman who did not say 50 or 55
		p := f
		return retirementReply{text: "请问原来是五十岁退休（一般是女工人），还是五十五岁退休（一般是女干部、管理岗位）？",
			sources: ruleSources, pending: &p}
	}
	if f.Year == 0 {
		p := f
		return retirementReply{text: "请问是哪年哪月出生的？", pending: &p}
	}
	if f.Month == 0 {
		// The month matters only if the age differs within the year.
		jan, err1 := policy.Compute(f.Category, policy.YearMonth{Year: f.Year, Month: 1})
		dec, err2 := policy.Compute(f.Category, policy.YearMonth{Year: f.Year, Month: 12})
		if err1 != nil || err2 != nil {
			return retirementReply{text: "出生年份好像不对，请再说一遍出生年月。"}
		}
		if jan.RetirementAge != dec.RetirementAge {
			p := f
			return retirementReply{text: fmt.Sprintf("%d年出生的，几月出生会影响退休时间。请问是几月出生的？", f.Year),
				sources: []string{fmt.Sprintf("%d年", f.Year)}, pending: &p}
		}
		txt := fmt.Sprintf("按%s计算，%d年出生的，法定退休年龄是%s", jan.Category.Name(), f.Year, jan.RetirementAge.Text())
		if jan.RetirementMonth.Year == dec.RetirementMonth.Year {
			txt += fmt.Sprintf("，在%d年年满这个年龄的那个月退休", jan.RetirementMonth.Year)
		} else {
			txt += "，年满这个年龄的那个月退休"
		}
		txt += "。告诉我出生月份，我可以算出具体月份和弹性退休的时间。"
		return retirementReply{text: txt, sources: append(ruleSources, jan.Sentence(), dec.Sentence(), fmt.Sprintf("%d年", f.Year)), result: &jan}
	}
	birth := policy.YearMonth{Year: f.Year, Month: f.Month}
	if err := policy.ValidateBirth(birth, now); err != nil {
		return retirementReply{text: policy.Message(err) + "。请再说一遍出生年月。", sources: []string{policy.Message(err)}}
	}
	r, err := policy.Compute(f.Category, birth)
	if err != nil {
		return retirementReply{text: policy.Message(err) + "。"}
	}
	return retirementReply{text: retirementText(r), sources: append(ruleSources, r.Sentence()), result: &r}
}

// complete returns the category and birth month when both are known.
func (f RetirementFacts) complete() (policy.Category, policy.YearMonth, bool) {
	if f.Category == "" || f.Year == 0 || f.Month == 0 {
		return "", policy.YearMonth{}, false
	}
	return f.Category, policy.YearMonth{Year: f.Year, Month: f.Month}, true
}

// retirementText says a computed result in short sentences.
func retirementText(r policy.Retirement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "按%s计算，%s出生的，法定退休年龄是%s，%s退休。", r.Category.Name(), r.Birth.Text(), r.RetirementAge.Text(), r.RetirementMonth.Text())
	if r.DelayMonths > 0 {
		fmt.Fprintf(&b, "原法定退休年龄是%s，延迟了%d个月。", r.OriginalAge.Text(), r.DelayMonths)
	} else {
		fmt.Fprintf(&b, "不延迟，按原法定退休年龄%s退休。", r.OriginalAge.Text())
	}
	if !r.RetirementMonth.Before(policy.ReformStart) {
		fmt.Fprintf(&b, "缴满最低缴费年限的，最早可以在%s弹性提前退休；单位和本人协商一致，最晚可以延迟到%s。", r.EarliestFlexibleMonth.Text(), r.LatestFlexibleMonth.Text())
	}
	fmt.Fprintf(&b, "按月领取养老金，最低要缴费满%s。", policy.YearsText(r.MinContributionYears))
	return b.String()
}

const (
	earlyRule    = "职工达到最低缴费年限，可以自愿选择弹性提前退休，提前时间最长不超过三年，且退休年龄不得低于女职工五十周岁、五十五周岁及男职工六十周岁的原法定退休年龄。"
	minYearsRule = "从2030年1月1日起，将职工按月领取基本养老金最低缴费年限由十五年逐步提高至二十年，每年提高六个月。"
)
