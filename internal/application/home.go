package application

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"shebao/internal/guideuse"
	"shebao/internal/person"
)

// Home is what the home screen reads of one person, in one query: the profile fields the
// reminders and the greeting need (no personal numbers: the home screen shows none, so none is
// decrypted), the unfinished applications, the followed guides, the person's most used guides
// and, when asked for, the unread notices.
type Home struct {
	Profile    person.Profile
	InProgress []Application
	Follows    []person.Follow
	Used       []string // guide codes, most used first
	Unread     int      // unread notices, by the unreadSQL passed to Home (0 without one)
}

// homeSQL reads the four parts as one UNION ALL, each row tagged by its part and laid out in the
// columns of appColumns (text where they hold text, integers where they hold integers), so one
// round trip and one statement serve a home-screen miss. Each part keeps the index its own
// query used: the covering partial index of unfinished applications, the profile's and the
// follows' primary keys, guide_use_top.
var homeSQL = strings.Join([]string{
	`SELECT 0, ` + appColumns + ` FROM (SELECT ` + appColumns + ` FROM applications WHERE person = ? AND ` + unfinished +
		` ORDER BY created_at DESC, id DESC LIMIT ?) a`,
	`SELECT 1, name, birth_month, sex, 0, category, city, last_certified, '', '', '', 0, 0, 0, updated_at FROM person_profiles WHERE subject = ?`,
	`SELECT 2, guide_code, '', '', 0, '', '', '', '', '', '', 0, 0, seen_at, 0 FROM (SELECT guide_code, seen_at FROM person_follows WHERE subject = ? ORDER BY guide_code LIMIT 200) f`,
	`SELECT 3, guide_code, '', '', 0, '', '', '', '', '', '', 0, uses, 0, 0 FROM (` + guideuse.TopSQL + `) u`,
}, "\nUNION ALL\n")

// homeSQLWith caches homeSQL with a fifth part counting the unread notices, by the unread query
// it wraps (one text per program: notify.UnreadSQL).
var homeSQLWith sync.Map

// homeQuery is homeSQL, with a fifth part over unreadSQL when it is not empty.
func homeQuery(unreadSQL string) string {
	if unreadSQL == "" {
		return homeSQL
	}
	if q, ok := homeSQLWith.Load(unreadSQL); ok {
		return q.(string)
	}
	q := homeSQL + "\nUNION ALL\n" + `SELECT 4, '', '', '', 0, '', '', '', '', '', '', 0, unread, 0, 0 FROM (` + unreadSQL + `) n`
	homeSQLWith.Store(unreadSQL, q)
	return q
}

// Home reads subject's home-screen data: up to apps unfinished applications (newest first) and
// up to used most used guides. The profile of a person never seen is empty. unreadSQL, when not
// empty, is a query over the same store giving the person's unread notices as one row of one
// column named unread, its one argument the subject (notify.UnreadSQL): it becomes a part of the
// same query, so the home screen's miss stays one round trip.
func (s *Service) Home(ctx context.Context, subject string, apps, used int, unreadSQL string) (Home, error) {
	h := Home{Profile: person.Profile{Subject: subject, Sources: map[string]person.Source{}}, InProgress: []Application{}, Follows: []person.Follow{}}
	args := []any{subject, apps, subject, subject, subject, used, subject}
	if unreadSQL == "" {
		args = args[:6]
	}
	rows, err := s.db.QueryPrepared(ctx, homeQuery(unreadSQL), args...)
	if err != nil {
		return h, fmt.Errorf("application: home: %w", err)
	}
	defer rows.Close()
	type use struct {
		code string
		n    int64
	}
	var uses []use
	// One set of scan targets for every row (each row's own would escape to the heap: six
	// allocations a row).
	var part, n1 int
	var n2, n3, n4 int64
	var a Application
	dest := []any{&part, &a.ID, &a.Person, &a.FormCode, &a.FormVersion, &a.GuideCode, &a.GuideName, &a.Title, &a.Status, &a.Detail, &a.Office,
		&n1, &n2, &n3, &n4}
	for rows.Next() {
		a = Application{}
		if err := rows.Scan(dest...); err != nil {
			return h, fmt.Errorf("application: home: %w", err)
		}
		switch part {
		case 0:
			a.lastSeq = n1
			a.CreatedAt, a.UpdatedAt = time.UnixMicro(n3).UTC(), time.UnixMicro(n4).UTC()
			if n2 > 0 {
				t := time.UnixMicro(n2).UTC()
				a.SentAt = &t
			}
			a.decorate()
			h.InProgress = append(h.InProgress, a)
		case 1:
			p := &h.Profile
			p.Name, p.BirthMonth, p.Sex, p.Category, p.City, p.LastCertified = a.ID, a.Person, a.FormCode, a.GuideCode, a.GuideName, a.Title
			p.UpdatedAt = time.UnixMicro(n4).UTC()
		case 2:
			h.Follows = append(h.Follows, person.Follow{GuideCode: a.ID, SeenAt: time.UnixMicro(n3).UTC()})
		case 3:
			uses = append(uses, use{a.ID, n2})
		case 4:
			h.Unread = int(n2)
		}
	}
	if err := rows.Err(); err != nil {
		return h, fmt.Errorf("application: home: %w", err)
	}
	// A UNION ALL promises no order: each part is put back in the order its query asked for.
	slices.SortFunc(h.InProgress, func(x, y Application) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	slices.SortFunc(h.Follows, func(x, y person.Follow) int { return strings.Compare(x.GuideCode, y.GuideCode) })
	slices.SortFunc(uses, func(x, y use) int {
		return cmp.Or(cmp.Compare(y.n, x.n), strings.Compare(x.code, y.code))
	})
	for _, u := range uses {
		h.Used = append(h.Used, u.code)
	}
	return h, nil
}
