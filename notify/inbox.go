package notify

import (
	"context"
	"fmt"
	"time"

	"shebao/internal/apperr"
)

// NoticePage is one page of a person's inbox.
type NoticePage struct {
	Notices []Notice `json:"notices"`
	Unread  int      `json:"unread"`
	Total   int      `json:"total"`
	Page    int      `json:"page"`
	Limit   int      `json:"limit"`
}

// Notices returns page (from 1) of person's inbox, unread first, newest first within each.
func (s *Service) Notices(ctx context.Context, person string, page, limit int) (NoticePage, error) {
	out := NoticePage{Page: page, Limit: limit, Notices: []Notice{}}
	if err := s.db.QueryRow(ctx, `SELECT count(*), coalesce(sum(CASE WHEN read_at = 0 THEN 1 ELSE 0 END), 0)
		FROM notify_notices WHERE person = ?`, person).Scan(&out.Total, &out.Unread); err != nil {
		return out, fmt.Errorf("notify: inbox count: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, title, body, link, key, urgent, created_at, read_at FROM notify_notices
		WHERE person = ? ORDER BY CASE WHEN read_at = 0 THEN 0 ELSE 1 END, id DESC LIMIT ? OFFSET ?`,
		person, limit, (page-1)*limit)
	if err != nil {
		return out, fmt.Errorf("notify: inbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n Notice
		var created, read int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.Key, (*flag)(&n.Urgent), &created, &read); err != nil {
			return out, err
		}
		n.KindName = n.Kind.Name()
		n.CreatedAt = time.UnixMicro(created).UTC()
		if read > 0 {
			t := time.UnixMicro(read).UTC()
			n.ReadAt = &t
		}
		out.Notices = append(out.Notices, n)
	}
	return out, rows.Err()
}

// MarkRead marks person's notice id read (again is harmless); another person's id is not found.
func (s *Service) MarkRead(ctx context.Context, person string, id int64) error {
	res, err := s.db.Exec(ctx, `UPDATE notify_notices SET read_at = CASE WHEN read_at = 0 THEN ? ELSE read_at END
		WHERE id = ? AND person = ?`, s.now().UnixMicro(), id, person)
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NoticeNotFound, "")
	}
	return nil
}

// UnreadSQL counts a person's unread notices (one argument, the person; one row of one column,
// unread) from the inbox index alone, for other stores' read-only queries over the same store:
// the home screen reads it in its one query (application.Service.Home).
const UnreadSQL = `SELECT count(*) AS unread FROM notify_notices WHERE person = ? AND read_at = 0`

// UnreadSQL returns the constant UnreadSQL: the Service as a bff.UnreadCounter whose count the
// home screen can read in its own query.
func (s *Service) UnreadSQL() string { return UnreadSQL }

// UnreadCount is how many of person's notices are unread (for /me/home).
func (s *Service) UnreadCount(ctx context.Context, person string) (int, error) {
	var n int
	err := s.db.QueryRowPrepared(ctx, UnreadSQL, person).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: unread count: %w", err)
	}
	return n, nil
}
