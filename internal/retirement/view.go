package retirement

import (
	"fmt"
	"strings"
)

// RetirementView is the JSON form of a Retirement for the API: months as "YYYY-MM", ages as
// {"years","months"}, the age also as Chinese text, and min_contribution_years as a number.
type RetirementView struct {
	Category              Category `json:"category"`
	Birth                 string   `json:"birth"`
	OriginalAge           Age      `json:"original_age"`
	OriginalMonth         string   `json:"original_month"`
	DelayMonths           int      `json:"delay_months"`
	RetirementAge         Age      `json:"retirement_age"`
	RetirementAgeText     string   `json:"retirement_age_text"`
	RetirementMonth       string   `json:"retirement_month"`
	EarliestFlexibleMonth string   `json:"earliest_flexible_month"`
	LatestFlexibleMonth   string   `json:"latest_flexible_month"`
	MinContributionYears  float64  `json:"min_contribution_years"`
	Basis                 []Basis  `json:"basis"`
}

// View returns the JSON-friendly view of r. Basis is never nil, so it encodes as an array.
func (r Retirement) View() RetirementView {
	basis := make([]Basis, len(r.Basis))
	copy(basis, r.Basis)
	return RetirementView{
		Category:              r.Category,
		Birth:                 r.Birth.String(),
		OriginalAge:           r.OriginalAge,
		OriginalMonth:         r.OriginalMonth.String(),
		DelayMonths:           r.DelayMonths,
		RetirementAge:         r.RetirementAge,
		RetirementAgeText:     r.RetirementAge.Text(),
		RetirementMonth:       r.RetirementMonth.String(),
		EarliestFlexibleMonth: r.EarliestFlexibleMonth.String(),
		LatestFlexibleMonth:   r.LatestFlexibleMonth.String(),
		MinContributionYears:  r.MinContributionYears,
		Basis:                 basis,
	}
}

// Sentence summarises r in one Chinese sentence for the CLI and chat, e.g.
// "按男职工计算，1970年1月出生，原法定退休年龄60岁（2030年1月），延迟16个月，法定退休年龄为61岁4个月，
// 2031年5月退休；弹性提前最早2030年1月，弹性延迟最晚2034年5月；按月领取养老金最低缴费年限为16年。"
// For people who reached their statutory retirement age before the reform took effect
// (ReformStart) the flexible window is left out, since the reform's flexible retirement did not
// exist for them.
func (r Retirement) Sentence() string {
	var b strings.Builder
	fmt.Fprintf(&b, "按%s计算，%s出生，原法定退休年龄%s（%s），", r.Category.Name(), r.Birth.Text(),
		r.OriginalAge.Text(), r.OriginalMonth.Text())
	if r.DelayMonths > 0 {
		fmt.Fprintf(&b, "延迟%d个月，", r.DelayMonths)
	} else {
		b.WriteString("不延迟，")
	}
	fmt.Fprintf(&b, "法定退休年龄为%s，%s退休；", r.RetirementAge.Text(), r.RetirementMonth.Text())
	if !r.RetirementMonth.Before(ReformStart) {
		fmt.Fprintf(&b, "弹性提前最早%s，弹性延迟最晚%s；", r.EarliestFlexibleMonth.Text(), r.LatestFlexibleMonth.Text())
	}
	fmt.Fprintf(&b, "按月领取养老金最低缴费年限为%s。", YearsText(r.MinContributionYears))
	return b.String()
}

// YearsText formats a number of years that is a multiple of half a year: 16 → "16年",
// 15.5 → "15年6个月".
func YearsText(y float64) string {
	months := int(y*12 + 0.5)
	if months%12 == 0 {
		return fmt.Sprintf("%d年", months/12)
	}
	return fmt.Sprintf("%d年%d个月", months/12, months%12)
}
