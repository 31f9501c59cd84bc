package notify

import (
	"context"
	"fmt"
	"time"

	"shebao/internal/beijing"
	"shebao/internal/db"
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

// Segments is where campaigns find their people. The applications feature's profile store
// provides it at merge; PeopleView is notify's own minimal version over notify_people.
type Segments interface {
	// Count is how many people seg holds at now (a campaign's preview).
	Count(ctx context.Context, seg string, now time.Time) (int, error)
	// Page returns up to limit members of seg at now whose identity subject sorts after after,
	// in ascending order of subject: a campaign's cursor is the last subject it reached.
	Page(ctx context.Context, seg string, now time.Time, after string, limit int) ([]Member, error)
}

// PeopleView answers Segments from the notify_people table: one row per person with what the
// segments need — the date the next 资格认证 falls due (YYYY-MM-DD), whether they are a
// 城乡居民医保 resident and the last year they paid for, their birth month (YYYY-MM) and
// retirement category (male, female50, female55). The profile store of the applications feature
// must provide the same facts (or fill this table).
type PeopleView struct{ DB *db.DB }

// Person is one row of the view, for loading it.
type Person struct {
	Person              string
	CertificationDue    string // YYYY-MM-DD or ""
	ResidentInsured     bool
	ResidentPaidThrough int    // last year paid
	Birth               string // YYYY-MM or ""
	RetirementCategory  string // male, female50, female55 or ""
}

// PutPeople upserts rows of the view.
func (v *PeopleView) PutPeople(ctx context.Context, ps ...Person) error {
	for _, p := range ps {
		if _, err := v.DB.Exec(ctx, `INSERT INTO notify_people (person, certification_due, resident_insured, resident_paid_through, birth, retirement_category)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (person) DO UPDATE SET certification_due = excluded.certification_due,
			resident_insured = excluded.resident_insured, resident_paid_through = excluded.resident_paid_through,
			birth = excluded.birth, retirement_category = excluded.retirement_category`,
			p.Person, p.CertificationDue, b2i(p.ResidentInsured), p.ResidentPaidThrough, p.Birth, p.RetirementCategory); err != nil {
			return fmt.Errorf("notify: people view: %w", err)
		}
	}
	return nil
}

func (v *PeopleView) where(seg string, now time.Time) (string, []any, error) {
	today := beijing.In(now)
	switch seg {
	case SegmentCertificationDue:
		return `certification_due <> '' AND certification_due >= ? AND certification_due <= ?`,
			[]any{today.Format(time.DateOnly), today.AddDate(0, 0, 30).Format(time.DateOnly)}, nil
	case SegmentResidentUnpaid:
		return `resident_insured = 1 AND resident_paid_through < ?`, []any{today.Year() + 1}, nil
	case SegmentRetirementSoon:
		return `birth <> '' AND retirement_category <> ''`, nil, nil
	}
	return "", nil, fmt.Errorf("notify: unknown segment %q", seg)
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
func (v *PeopleView) Count(ctx context.Context, seg string, now time.Time) (int, error) {
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
	w, args, err := v.where(seg, now)
	if err != nil {
		return 0, err
	}
	var n int
	err = v.DB.QueryRow(ctx, `SELECT count(*) FROM notify_people WHERE `+w, args...).Scan(&n)
	return n, err
}

// Page implements Segments.
func (v *PeopleView) Page(ctx context.Context, seg string, now time.Time, after string, limit int) ([]Member, error) {
	w, args, err := v.where(seg, now)
	if err != nil {
		return nil, err
	}
	soon := beijing.In(now).AddDate(0, 0, 7).Format(time.DateOnly)
	var out []Member
	for len(out) < limit {
		rows, err := v.DB.Query(ctx, `SELECT person, certification_due, birth, retirement_category FROM notify_people
			WHERE person > ? AND `+w+` ORDER BY person LIMIT ?`, append(append([]any{after}, args...), limit)...)
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			var p, due, birth, cat string
			if err := rows.Scan(&p, &due, &birth, &cat); err != nil {
				rows.Close()
				return nil, err
			}
			n++
			after = p
			if seg == SegmentRetirementSoon && !retiresSoon(birth, cat, now) {
				continue
			}
			if len(out) < limit {
				out = append(out, Member{Person: p, Critical: seg == SegmentCertificationDue && due <= soon})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n < limit {
			break
		}
	}
	return out, nil
}
