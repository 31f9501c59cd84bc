package notify

import (
	"context"
	"fmt"
	"time"

	"shebao/internal/beijing"
	"shebao/internal/person"
	"shebao/internal/retirement"
)

// Segments of people a campaign can reach.
const (
	SegmentCertificationDue = "certification_due_30d"     // 养老金领取资格认证 due in the next 30 days
	SegmentResidentUnpaid   = "resident_unpaid_next_year" // 城乡居民医保参保人 not yet paid for next year
	SegmentRetirementSoon   = "retirement_in_3_months"    // reaching statutory retirement age within 3 months
)

// SegmentNames are the segments with their Chinese names for the console.
var SegmentNames = map[string]string{
	SegmentCertificationDue: "30天内到期的养老金领取资格认证",
	SegmentResidentUnpaid:   "尚未缴纳下一年度城乡居民医保的参保人",
	SegmentRetirementSoon:   "3个月内达到法定退休年龄的人员",
}

// Member is one person in a segment; Critical marks those for whom the reminder may go by SMS
// (资格认证 due within 7 days).
type Member struct {
	Person   string
	Critical bool
}

// Segments is where campaigns find their people. PersonSegments answers it from the person store.
type Segments interface {
	// Count is how many people seg holds at now (a campaign's preview).
	Count(ctx context.Context, seg string, now time.Time) (int, error)
	// Page returns up to limit members of seg at now whose identity subject sorts after after,
	// in ascending order of subject: a campaign's cursor is the last subject it reached.
	Page(ctx context.Context, seg string, now time.Time, after string, limit int) ([]Member, error)
}

// PersonSegments answers Segments from the person store (internal/person): the last 资格认证
// (due a year later), the 城乡居民医保 facts, and the birth month and retirement category.
type PersonSegments struct{ People *person.Store }

// certifiedFor is the last-certified date of a person due on due (a year before).
func certifiedFor(due time.Time) string { return due.AddDate(-1, 0, 0).Format(time.DateOnly) }

func (v *PersonSegments) selection(seg string, now time.Time) (person.Selection, error) {
	today := beijing.In(now)
	switch seg {
	case SegmentCertificationDue:
		return person.Selection{CertifiedFrom: certifiedFor(today), CertifiedTo: certifiedFor(today.AddDate(0, 0, 30))}, nil
	case SegmentResidentUnpaid:
		return person.Selection{ResidentUnpaidFor: today.Year() + 1}, nil
	case SegmentRetirementSoon:
		return person.Selection{RetirementFacts: true}, nil
	}
	return person.Selection{}, fmt.Errorf("notify: unknown segment %q", seg)
}

// retiresSoon reports whether p reaches retirement age within three months of now (this month
// through the third month after it) under internal/retirement.
func retiresSoon(birth, category string, now time.Time) bool {
	b, err := retirement.ParseYearMonth(birth)
	if err != nil {
		return false
	}
	c, err := retirement.ParseCategory(category)
	if err != nil {
		return false
	}
	r, err := retirement.Compute(c, b)
	if err != nil {
		return false
	}
	t := beijing.In(now)
	this := retirement.YearMonth{Year: t.Year(), Month: int(t.Month())}
	d := this.MonthsUntil(r.RetirementMonth)
	return d >= 0 && d <= 3
}

// Count implements Segments.
func (v *PersonSegments) Count(ctx context.Context, seg string, now time.Time) (int, error) {
	if seg == SegmentRetirementSoon {
		n, after := 0, ""
		for {
			ms, err := v.Page(ctx, seg, now, after, 5000)
			if err != nil || len(ms) == 0 {
				return n, err
			}
			n += len(ms)
			after = ms[len(ms)-1].Person
		}
	}
	sel, err := v.selection(seg, now)
	if err != nil {
		return 0, err
	}
	return v.People.CountPeople(ctx, sel)
}

// Page implements Segments.
func (v *PersonSegments) Page(ctx context.Context, seg string, now time.Time, after string, limit int) ([]Member, error) {
	sel, err := v.selection(seg, now)
	if err != nil {
		return nil, err
	}
	critical := certifiedFor(beijing.In(now).AddDate(0, 0, 7)) // due within 7 days
	var out []Member
	for len(out) < limit {
		fs, err := v.People.SelectPeople(ctx, sel, after, limit)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			after = f.Subject
			if seg == SegmentRetirementSoon && !retiresSoon(f.BirthMonth, f.Category, now) {
				continue
			}
			if len(out) < limit {
				out = append(out, Member{Person: f.Subject, Critical: seg == SegmentCertificationDue && f.LastCertified <= critical})
			}
		}
		if len(fs) < limit {
			break
		}
	}
	return out, nil
}
