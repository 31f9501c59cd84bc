package formflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shebao/internal/db"
)

// Migrations are the form sessions' table. The values are stored with the session (they are
// what will be submitted); nothing else keeps them, and they are never logged. Times are Unix
// milliseconds so that one definition serves SQLite and PostgreSQL.
var Migrations = []db.Migration{
	{
		Name: "form sessions",
		SQL: `CREATE TABLE form_sessions (
	id TEXT PRIMARY KEY,
	subject TEXT NOT NULL,
	form_code TEXT NOT NULL,
	form_version INTEGER NOT NULL,
	state TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX form_sessions_subject ON form_sessions (subject, state, updated_at);`,
	},
}

// store is the SQL storage of form sessions.
type store struct{ db *db.DB }

// active returns the person's form session being filled (asking or confirming), the most
// recently used if there were ever more than one, or nil.
func (s *store) active(ctx context.Context, subject string) (*Session, error) {
	return s.one(ctx, `SELECT body FROM form_sessions WHERE subject = ? AND state IN ('asking', 'confirming')
		ORDER BY updated_at DESC LIMIT 1`, subject)
}

// get returns a form session by id, or nil.
func (s *store) get(ctx context.Context, id string) (*Session, error) {
	return s.one(ctx, `SELECT body FROM form_sessions WHERE id = ?`, id)
}

// one runs a query selecting one session body and decodes it; no row is nil, not an error.
func (s *store) one(ctx context.Context, query string, args ...any) (*Session, error) {
	var body string
	err := s.db.QueryRow(ctx, query, args...).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load form session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal([]byte(body), &sess); err != nil {
		return nil, fmt.Errorf("load form session: %w", err)
	}
	return &sess, nil
}

// save inserts or updates a form session.
func (s *store) save(ctx context.Context, sess *Session, now time.Time) error {
	sess.UpdatedAt = now
	body, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	ms := now.UnixMilli()
	_, err = s.db.Exec(ctx, `INSERT INTO form_sessions (id, subject, form_code, form_version, state, body, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body, updated_at = excluded.updated_at`,
		sess.ID, sess.Subject, sess.Code, sess.Version, sess.State, string(body), sess.CreatedAt.UnixMilli(), ms)
	if err != nil {
		return fmt.Errorf("save form session: %w", err)
	}
	return nil
}
