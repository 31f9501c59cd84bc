package assistant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shebao/internal/db"
)

// Migrations are the assistant's tables: sessions, their durable events (the replay log) and the
// messages received (masked), which make message ids idempotent. Times are Unix milliseconds so
// that one definition serves SQLite and PostgreSQL.
var Migrations = []db.Migration{
	{
		Name: "sessions, events, messages",
		SQL: `CREATE TABLE assistant_sessions (
	id TEXT PRIMARY KEY,
	subject TEXT NOT NULL DEFAULT '',
	last_seq BIGINT NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT '{}',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX assistant_sessions_updated ON assistant_sessions (updated_at);
CREATE TABLE assistant_events (
	session_id TEXT NOT NULL,
	seq BIGINT NOT NULL,
	type TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (session_id, seq)
);
CREATE TABLE assistant_messages (
	session_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	text TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (session_id, client_id)
);`,
	},
	{
		// Questions the guides could not answer, with the closest guide ('' when none was
		// found): the 办事堵点 report shows them to editors by guide.
		Name: "unanswered questions",
		SQL: `CREATE TABLE assistant_unanswered (
	guide_code TEXT NOT NULL,
	question TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX assistant_unanswered_created ON assistant_unanswered (created_at);`,
	},
}

// store is the SQL storage of sessions and events.
type store struct {
	db *db.DB
}

// sessionRow is a stored session.
type sessionRow struct {
	ID      string
	Subject string
	LastSeq int64
	State   string // JSON of sessionState
}

var errNoSession = errors.New("session not found")

func (s *store) createSession(ctx context.Context, id, subject string, now time.Time) error {
	ms := now.UnixMilli()
	_, err := s.db.Exec(ctx, `INSERT INTO assistant_sessions (id, subject, last_seq, state, created_at, updated_at)
		VALUES (?, ?, 0, '{}', ?, ?)`, id, subject, ms, ms)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (s *store) session(ctx context.Context, id string) (sessionRow, error) {
	r := sessionRow{ID: id}
	err := s.db.QueryRow(ctx, `SELECT subject, last_seq, state FROM assistant_sessions WHERE id = ?`, id).
		Scan(&r.Subject, &r.LastSeq, &r.State)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoSession
	}
	if err != nil {
		return r, fmt.Errorf("load session: %w", err)
	}
	return r, nil
}

// storedEvent is one durable event to store.
type storedEvent struct {
	seq  int64
	typ  string
	body []byte
}

// receivedMessage is a user message (masked) stored with the events that answer it.
type receivedMessage struct {
	clientID string
	masked   string
}

// appendEvents stores events of a session, and the message they answer if msg is not nil, and
// moves the session's last_seq and state on, in one transaction.
func (s *store) appendEvents(ctx context.Context, sessionID string, evs []storedEvent, state string, msg *receivedMessage, now time.Time) error {
	ms := now.UnixMilli()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if msg != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO assistant_messages (session_id, client_id, text, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (session_id, client_id) DO NOTHING`, sessionID, msg.clientID, msg.masked, ms); err != nil {
				return err
			}
		}
		var last int64
		for _, ev := range evs {
			if _, err := tx.Exec(ctx, `INSERT INTO assistant_events (session_id, seq, type, body, created_at) VALUES (?, ?, ?, ?, ?)`,
				sessionID, ev.seq, ev.typ, string(ev.body), ms); err != nil {
				return err
			}
			last = ev.seq
		}
		_, err := tx.Exec(ctx, `UPDATE assistant_sessions SET last_seq = ?, state = ?, updated_at = ? WHERE id = ?`,
			last, state, ms, sessionID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store events of session: %w", err)
	}
	return nil
}

// recentMessageIDs returns the client ids of the last limit messages of a session, so that a
// message resent after a restart is recognised.
func (s *store) recentMessageIDs(ctx context.Context, sessionID string, limit int) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT client_id FROM assistant_messages WHERE session_id = ? ORDER BY created_at DESC LIMIT ?`, sessionID, limit)
	if err != nil {
		return nil, fmt.Errorf("read message ids: %w", err)
	}
	ids, err := db.Column[string](rows)
	if err != nil {
		return nil, fmt.Errorf("read message ids: %w", err)
	}
	return ids, nil
}

func (s *store) saveState(ctx context.Context, sessionID, state string, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE assistant_sessions SET state = ?, updated_at = ? WHERE id = ?`, state, now.UnixMilli(), sessionID)
	if err != nil {
		return fmt.Errorf("save session state: %w", err)
	}
	return nil
}

// eventsAfter returns the bodies of the events after seq, oldest first, at most limit of the
// newest ones, and whether older ones were left out.
func (s *store) eventsAfter(ctx context.Context, sessionID string, after int64, limit int) ([][]byte, bool, error) {
	rows, err := s.db.Query(ctx, `SELECT body FROM assistant_events WHERE session_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?`,
		sessionID, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, false, fmt.Errorf("read events: %w", err)
		}
		out = append(out, []byte(b))
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read events: %w", err)
	}
	gap := len(out) > limit
	if gap {
		out = out[:limit]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, gap, nil
}

// prune deletes sessions not used since before, with their events and messages.
func (s *store) prune(ctx context.Context, before time.Time) (int64, error) {
	ms := before.UnixMilli()
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		sub := `SELECT id FROM assistant_sessions WHERE updated_at < ?`
		if _, err := tx.Exec(ctx, `DELETE FROM assistant_events WHERE session_id IN (`+sub+`)`, ms); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM assistant_messages WHERE session_id IN (`+sub+`)`, ms); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM assistant_sessions WHERE updated_at < ?`, ms)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}
