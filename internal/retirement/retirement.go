// Package retirement encodes the gradual raising of the statutory retirement age (渐进式延迟法定退休年龄)
// as pure functions: given a retirement category and a birth month it computes the original and
// the new statutory retirement age and month, the flexible retirement window and the minimum
// contribution years for a monthly pension, together with the legal basis of each figure.
//
// Sources:
//   - 全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定 (adopted 2024-09-13, in force
//     2025-01-01), which approves
//   - 国务院关于渐进式延迟法定退休年龄的办法 (the 办法), articles 第一条 to 第三条, and its annexes
//     附件1 男职工延迟法定退休年龄对照表, 附件2 原法定退休年龄五十五周岁的女职工延迟法定退休年龄对照表,
//     附件3 原法定退休年龄五十周岁的女职工延迟法定退休年龄对照表, 附件4 提高最低缴费年限情况表.
//
// The package does no I/O and never reads the clock; ValidateBirth takes "now" as a parameter.
package retirement

import (
	"fmt"
)

// Category is the retirement category (人员类别) that decides the original statutory retirement
// age and the pace of the delay.
type Category string

// The three categories of 《国务院关于渐进式延迟法定退休年龄的办法》第一条.
const (
	// Male is 男职工: original age 60, delayed 1 month per 4 months of birth to at most 63 (附件1).
	Male Category = "male"
	// Female50 is 原法定退休年龄为五十周岁的女职工 (typically 女工人): original age 50, delayed 1 month
	// per 2 months of birth to at most 55 (附件3).
	Female50 Category = "female50"
	// Female55 is 原法定退休年龄为五十五周岁的女职工 (typically 女干部): original age 55, delayed 1 month
	// per 4 months of birth to at most 58 (附件2).
	Female55 Category = "female55"
)

// Categories lists every category in display order.
var Categories = []Category{Male, Female55, Female50}

// Valid reports whether c is one of the three known categories.
func (c Category) Valid() bool {
	_, ok := rules[c]
	return ok
}

// Name returns the Chinese name of the category as the law words it, e.g. "男职工", or "" for an
// unknown category.
func (c Category) Name() string {
	return rules[c].name
}

// ParseCategory parses a category key. Only the exact keys "male", "female50" and "female55" are
// accepted; anything else returns an error wrapping ErrCategory.
func ParseCategory(s string) (Category, error) {
	c := Category(s)
	if !c.Valid() {
		return "", fmt.Errorf("%w: %q (want male, female50 or female55)", ErrCategory, s)
	}
	return c, nil
}

// rule is the delay schedule of one category.
type rule struct {
	name        string // Chinese name used in sentences
	originalAge int    // 原法定退休年龄, in years
	stepMonths  int    // one month of delay per stepMonths months of birth
	maxDelay    int    // cap on the delay, in months
	annex       string // the annexed table of the category
	article1    string // the part of 第一条 that concerns the category
}

// The two sentences of 《国务院关于渐进式延迟法定退休年龄的办法》第一条 on the pace of the delay.
const (
	article1FourMonths = "从2025年1月1日起，男职工和原法定退休年龄为五十五周岁的女职工，法定退休年龄每四个月延迟一个月，分别逐步延迟至六十三周岁和五十八周岁。"
	article1TwoMonths  = "从2025年1月1日起，原法定退休年龄为五十周岁的女职工，法定退休年龄每二个月延迟一个月，逐步延迟至五十五周岁。"
)

// The figures are 《国务院关于渐进式延迟法定退休年龄的办法》第一条 ("每四个月延迟一个月 …
// 逐步延迟至六十三周岁和五十八周岁；… 每二个月延迟一个月，逐步延迟至五十五周岁") and the first
// rows of its annexed tables: 附件1 starts with births in 1965年1月, 附件2 with 1970年1月 and 附件3
// with 1975年1月, each at "+1个月" (retirement in 2025年2月, the first month after the 决定 took
// effect on 2025-01-01). The caps are reached by births in 1976年9月 (附件1, 63岁),
// 1981年9月 (附件2, 58岁) and 1984年11月 (附件3, 55岁); the tables end with 1976年12月, 1981年12月
// and 1984年12月, and later births keep the capped age.
var rules = map[Category]rule{
	Male:     {"男职工", 60, 4, 36, "附件1 男职工延迟法定退休年龄对照表", article1FourMonths},
	Female55: {"原法定退休年龄55周岁的女职工", 55, 4, 36, "附件2 原法定退休年龄五十五周岁的女职工延迟法定退休年龄对照表", article1FourMonths},
	Female50: {"原法定退休年龄50周岁的女职工", 50, 2, 60, "附件3 原法定退休年龄五十周岁的女职工延迟法定退休年龄对照表", article1TwoMonths},
}

// firstCohort is the first birth month whose retirement age is delayed (the first row of the
// annexed table): the cohort that reaches the original age in ReformStart, 2025年1月.
func (r rule) firstCohort() YearMonth { return ReformStart.AddMonths(-12 * r.originalAge) }

// lastRow is the last birth month listed in the annexed table: December of the year in which the
// delay reaches its cap.
func (r rule) lastRow() YearMonth {
	return YearMonth{Year: r.firstCohort().AddMonths((r.maxDelay - 1) * r.stepMonths).Year, Month: 12}
}

// delay returns the months by which the statutory retirement age of a person of this rule born
// in month b is delayed (办法第一条 and the annexed tables): none before the first cohort, then one
// month for each started block of stepMonths birth months, up to maxDelay.
func (r rule) delay(b YearMonth) int {
	n := r.firstCohort().MonthsUntil(b)
	if n < 0 {
		return 0
	}
	return min(n/r.stepMonths+1, r.maxDelay)
}

// FlexibleMonths is the longest flexible early or late retirement, three years
// (《国务院关于渐进式延迟法定退休年龄的办法》第三条: "提前时间最长不超过三年", "延迟时间最长不超过三年").
const FlexibleMonths = 36

// ReformStart is the month the 决定 took effect (2025年1月1日). Flexible retirement is a rule of the
// reform, so it is only described (Sentence) for people reaching their statutory retirement age on
// or after this month; the fields of Retirement are computed for everyone.
var ReformStart = YearMonth{Year: 2025, Month: 1}

// Basis is one piece of the legal basis of a result: the law, the article or annex, and its text.
type Basis struct {
	Law     string `json:"law"`
	Article string `json:"article"`
	Text    string `json:"text"`
}

// Names of the two instruments cited in Basis.
const (
	LawDecision = "全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定"
	LawMeasures = "国务院关于渐进式延迟法定退休年龄的办法"
)

// Retirement is the result of Compute for one category and birth month. All months are calendar
// months; a person retires in the month they reach the age (the annexed tables' 改革后退休时间).
type Retirement struct {
	// Category is the retirement category the figures were computed for.
	Category Category
	// Birth is the birth month.
	Birth YearMonth
	// OriginalAge is the original statutory retirement age (原法定退休年龄): 60, 55 or 50.
	OriginalAge Age
	// OriginalMonth is the month the original age is reached: Birth + OriginalAge.
	OriginalMonth YearMonth
	// DelayMonths is the delay in months (the tables' 延迟月数), 0 for births before the first cohort.
	DelayMonths int
	// RetirementAge is the new statutory retirement age (改革后法定退休年龄).
	RetirementAge Age
	// RetirementMonth is the month the new age is reached (改革后退休时间): Birth + RetirementAge.
	RetirementMonth YearMonth
	// EarliestFlexibleMonth is the earliest flexible early retirement (弹性提前退休): three years
	// before RetirementMonth but never before OriginalMonth (办法第三条).
	EarliestFlexibleMonth YearMonth
	// LatestFlexibleMonth is the latest flexible late retirement (弹性延迟退休): three years after
	// RetirementMonth (办法第三条).
	LatestFlexibleMonth YearMonth
	// MinContributionYears is the minimum contribution years for a monthly pension in the calendar
	// year of RetirementMonth (办法第二条, 附件4): 15, 15.5, 16 … 20.
	MinContributionYears float64
	// Basis lists the provisions the figures come from.
	Basis []Basis
}

// Compute applies the rules to a category and a birth month. It fails with an error wrapping
// ErrCategory for an unknown category, or ErrBirth for a birth that is not a real month or is
// before 1930-01. It does not reject births in the future; see ValidateBirth.
func Compute(c Category, birth YearMonth) (Retirement, error) {
	r, ok := rules[c]
	if !ok {
		return Retirement{}, fmt.Errorf("%w: %q", ErrCategory, string(c))
	}
	if err := checkBirth(birth); err != nil {
		return Retirement{}, err
	}
	orig := r.originalAge * 12
	d := r.delay(birth)
	out := Retirement{
		Category:        c,
		Birth:           birth,
		OriginalAge:     ageFromMonths(orig),
		OriginalMonth:   birth.AddMonths(orig),
		DelayMonths:     d,
		RetirementAge:   ageFromMonths(orig + d),
		RetirementMonth: birth.AddMonths(orig + d),
	}
	// 办法第三条: early by at most three years, and not below the original statutory age.
	out.EarliestFlexibleMonth = out.RetirementMonth.AddMonths(-FlexibleMonths)
	if out.EarliestFlexibleMonth.Before(out.OriginalMonth) {
		out.EarliestFlexibleMonth = out.OriginalMonth
	}
	// 办法第三条: late by at most three years.
	out.LatestFlexibleMonth = out.RetirementMonth.AddMonths(FlexibleMonths)
	out.MinContributionYears = MinContributionYears(out.RetirementMonth.Year)
	out.Basis = basisFor(r, out)
	return out, nil
}

// MinContributionYears returns the minimum contribution years for a monthly basic pension
// (职工按月领取基本养老金最低缴费年限) in a calendar year, per 《国务院关于渐进式延迟法定退休年龄的办法》
// 第二条 ("从2030年1月1日起 … 由十五年逐步提高至二十年，每年提高六个月") and 附件4 提高最低缴费年限情况表:
// 15 up to 2029, 15.5 in 2030, 16 in 2031 … 20 in 2039 and later.
func MinContributionYears(year int) float64 {
	if year < 2030 {
		return 15
	}
	return min(15+0.5*float64(year-2029), 20)
}

// tableRow describes where the birth month of res falls in the category's annexed table.
func (r rule) tableRow(res Retirement) string {
	switch {
	case res.Birth.Before(r.firstCohort()):
		return fmt.Sprintf("对照表自%s出生起，%s出生的不延迟，法定退休年龄为原法定退休年龄%s。",
			r.firstCohort().Text(), res.Birth.Text(), res.OriginalAge.Text())
	case res.Birth.After(r.lastRow()):
		return fmt.Sprintf("对照表止于%s出生（已延迟至%s），此后出生的法定退休年龄为%s，延迟%d个月。",
			r.lastRow().Text(), res.RetirementAge.Text(), res.RetirementAge.Text(), res.DelayMonths)
	}
	return fmt.Sprintf("出生时间%s：改革后法定退休年龄%s，改革后退休时间%s，延迟月数%d。",
		res.Birth.Text(), res.RetirementAge.Text(), res.RetirementMonth.Text(), res.DelayMonths)
}

// basisFor lists the provisions behind a result for a category.
func basisFor(r rule, res Retirement) []Basis {
	return []Basis{
		{
			Law:     LawDecision,
			Article: "一",
			Text:    "同步启动延迟男、女职工的法定退休年龄，用十五年时间，逐步将男职工的法定退休年龄从原六十周岁延迟至六十三周岁，将女职工的法定退休年龄从原五十周岁、五十五周岁分别延迟至五十五周岁、五十八周岁。",
		},
		{Law: LawMeasures, Article: "第一条", Text: r.article1},
		{
			Law:     LawMeasures,
			Article: r.annex,
			Text:    r.tableRow(res),
		},
		{
			Law:     LawMeasures,
			Article: "第三条",
			Text:    "职工达到最低缴费年限，可以自愿选择弹性提前退休，提前时间最长不超过三年，且退休年龄不得低于女职工五十周岁、五十五周岁及男职工六十周岁的原法定退休年龄。职工达到法定退休年龄，所在单位与职工协商一致的，可以弹性延迟退休，延迟时间最长不超过三年。",
		},
		{
			Law:     LawMeasures,
			Article: "第二条、附件4 提高最低缴费年限情况表",
			Text:    "从2030年1月1日起，将职工按月领取基本养老金最低缴费年限由十五年逐步提高至二十年，每年提高六个月。",
		},
	}
}
