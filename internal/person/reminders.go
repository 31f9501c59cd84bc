package person

import (
	"fmt"
	"time"

	"shebao/internal/retirement"
)

// Reminder is something due for a person, computed from their profile and the date.
type Reminder struct {
	Kind      string `json:"kind"` // certification, medical_payment, retirement
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	DueOn     string `json:"due_on"` // YYYY-MM-DD (the first of the month for a month)
	GuideCode string `json:"guide_code"`
	Urgent    bool   `json:"urgent,omitempty"` // due within 7 days or overdue
}

// Guide codes the reminders point to (seed corpus).
const (
	GuideCertification  = "SX-YL-012" // 养老金领取资格认证
	GuideMedicalPayment = "SX-YB-005" // 城乡居民基本医疗保险缴费
	GuideRetirement     = "SX-YL-008" // 职工基本养老保险待遇申领（办理退休）
)

// The 城乡居民医保 collection period (集中缴费期) as the seed guide states it for 2026: autumn to
// 25 December. Each year's dates are announced by the 医保 and tax authorities; the reminder says so.
const (
	medicalWindowStartMonth = time.September
	medicalWindowEndMonth   = time.December
	medicalWindowEndDay     = 25
)

// How far ahead reminders show.
const (
	certificationLead = 60 * 24 * time.Hour
	retirementLead    = 12 // months
)

// Reminders lists what is due for p on now (Beijing time is the caller's concern), soonest first.
func Reminders(p Profile, now time.Time) []Reminder {
	out := []Reminder{}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if last, err := time.Parse("2006-01-02", p.LastCertified); err == nil {
		due := last.AddDate(1, 0, 0)
		if due.Sub(today) <= certificationLead {
			r := Reminder{Kind: "certification", Title: "养老金领取资格认证", GuideCode: GuideCertification, DueOn: due.Format("2006-01-02"),
				Detail: fmt.Sprintf("您上次认证是%s，请在%s前完成本年度认证，可在手机上刷脸办理。", cn(last), cn(due))}
			if due.Before(today) {
				r.Detail = fmt.Sprintf("您上次认证是%s，已超过一年未认证，请尽快完成认证，以免养老金暂停发放。", cn(last))
			}
			r.Urgent = due.Sub(today) <= 7*24*time.Hour
			out = append(out, r)
		}
	}
	if m := today.Month(); m >= medicalWindowStartMonth && m <= medicalWindowEndMonth {
		end := time.Date(today.Year(), medicalWindowEndMonth, medicalWindowEndDay, 0, 0, 0, 0, time.UTC)
		if !today.After(end) {
			out = append(out, Reminder{Kind: "medical_payment", Title: "城乡居民医保缴费", GuideCode: GuideMedicalPayment, DueOn: end.Format("2006-01-02"),
				Detail: fmt.Sprintf("%d年度城乡居民医保集中缴费期一般在当年秋冬，截止日期以医保和税务部门公告为准（上一年度为12月25日）。", today.Year()+1),
				Urgent: end.Sub(today) <= 7*24*time.Hour})
		}
	}
	if r, ok := retirementReminder(p, today); ok {
		out = append(out, r)
	}
	sortByDue(out)
	return out
}

func retirementReminder(p Profile, today time.Time) (Reminder, bool) {
	c, err := retirement.ParseCategory(p.Category)
	if err != nil {
		return Reminder{}, false
	}
	b, err := retirement.ParseYearMonth(p.BirthMonth)
	if err != nil {
		return Reminder{}, false
	}
	r, err := retirement.Compute(c, b)
	if err != nil {
		return Reminder{}, false
	}
	now := retirement.YearMonth{Year: today.Year(), Month: int(today.Month())}
	if r.RetirementMonth.Before(now) || now.AddMonths(retirementLead).Before(r.RetirementMonth) {
		return Reminder{}, false
	}
	return Reminder{Kind: "retirement", Title: "即将到达法定退休年龄", GuideCode: GuideRetirement,
		DueOn: fmt.Sprintf("%04d-%02d-01", r.RetirementMonth.Year, r.RetirementMonth.Month),
		Detail: fmt.Sprintf("按您的出生年月（%s）和人员类别（%s），您将于%s到达法定退休年龄，可提前准备办理退休的材料。",
			b.Text(), c.Name(), r.RetirementMonth.Text())}, true
}

func cn(t time.Time) string { return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day()) }

func sortByDue(rs []Reminder) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].DueOn < rs[j-1].DueOn; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}
