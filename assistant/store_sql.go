package assistant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"shebao/internal/db"
	logevent "shebao/internal/event"
	"shebao/internal/eventlog"
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
	{
		// Replicas: which server holds the session's connection (attached_prev is the one before,
		// written in the same update), and the turn in progress with the time by which its server
		// must have ended it; past that another server ends it with turn_interrupted.
		Name: "sessions across replicas",
		SQL: `ALTER TABLE assistant_sessions ADD COLUMN attached_to TEXT NOT NULL DEFAULT '';
ALTER TABLE assistant_sessions ADD COLUMN attached_prev TEXT NOT NULL DEFAULT '';
ALTER TABLE assistant_sessions ADD COLUMN turn_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE assistant_sessions ADD COLUMN turn_until BIGINT NOT NULL DEFAULT 0;`,
	},
}

// store is the SQL storage of sessions and events. With events set, frames stored for a session
// whose connection is held by another server append an logevent.ChatSession to the log, in the same
// transaction, so that server sends them.
type store struct {
	db       *db.DB
	events   *eventlog.Log
	instance string // this server, as recorded in attached_to
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
	_, err := s.db.Exec(ctx, `INSERT INTO assistant_sessions (id, subject, last_seq, state, created_at, updated_at, attached_to)
		VALUES (?, ?, 0, '{}', ?, ?, ?)`, id, subject, ms, ms, s.instance)
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

// appendSpec is what appendEvents stores besides the events.
type appendSpec struct {
	state   *string          // the session state to store; nil keeps the stored one
	msg     *receivedMessage // the message the events answer, or nil
	endTurn string           // the turn the events end ('' none): the stored turn in progress is cleared if it is this one
	orphan  bool             // store only if endTurn is still in progress and past its time (another server died with it)
}

// errTurnAlive: an orphan's events were not stored because its turn ended or is not yet overdue.
var errTurnAlive = errors.New("turn still in progress or ended")

// appendEvents stores evs under the session's next seqs, which the store assigns (so that servers
// sharing it never reuse one), with what spec says, in one transaction. It returns the stored
// events, numbered and encoded, and whether it announced them to the server holding the
// session's connection (deliver the log after).
func (s *store) appendEvents(ctx context.Context, sessionID string, evs []event, spec appendSpec, now time.Time) ([]storedEvent, bool, error) {
	ms := now.UnixMilli()
	var out []storedEvent
	var announced bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		out, announced = out[:0], false
		if spec.orphan {
			res, err := tx.Exec(ctx, `UPDATE assistant_sessions SET turn_msg = '' WHERE id = ? AND turn_msg = ? AND turn_until < ?`, sessionID, spec.endTurn, ms)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return errTurnAlive
			}
		}
		if m := spec.msg; m != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO assistant_messages (session_id, client_id, text, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (session_id, client_id) DO NOTHING`, sessionID, m.clientID, m.masked, ms); err != nil {
				return err
			}
		}
		var state sql.NullString
		if spec.state != nil {
			state = sql.NullString{String: *spec.state, Valid: true}
		}
		var last int64
		var attached string
		if err := tx.QueryRow(ctx, `UPDATE assistant_sessions SET last_seq = last_seq + ?, state = COALESCE(?, state), updated_at = ?,
			turn_msg = CASE WHEN turn_msg = ? THEN '' ELSE turn_msg END
			WHERE id = ? RETURNING last_seq, attached_to`, len(evs), state, ms, spec.endTurn, sessionID).Scan(&last, &attached); err != nil {
			return err
		}
		for i, ev := range evs {
			h := ev.header()
			h.Seq = last - int64(len(evs)) + 1 + int64(i)
			body, err := json.Marshal(ev)
			if err != nil {
				return fmt.Errorf("encode %s event: %w", h.Type, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assistant_events (session_id, seq, type, body, created_at) VALUES (?, ?, ?, ?, ?)`,
				sessionID, h.Seq, h.Type, string(body), ms); err != nil {
				return err
			}
			out = append(out, storedEvent{seq: h.Seq, typ: h.Type, body: body})
		}
		if attached != "" && attached != s.instance && s.events != nil && len(evs) > 0 {
			announced = true
			return s.announce(ctx, tx, now, sessionID, chatNews{Kind: newsFrames})
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errTurnAlive) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("store events of session: %w", err)
	}
	return out, announced, nil
}

// chatNews is the payload of an logevent.ChatSession.
type chatNews struct {
	Kind string `json:"kind"`         // newsFrames or newsAttached
	By   string `json:"by,omitempty"` // newsAttached: the instance that holds the connection now
}

const (
	newsFrames   = "frames"
	newsAttached = "attached"
)

// announce appends an logevent.ChatSession for sessionID inside tx; the server delivers it after
// the commit (Service.deliver).
func (s *store) announce(ctx context.Context, tx *db.Tx, now time.Time, sessionID string, n chatNews) error {
	return eventlog.AppendJSON(ctx, tx, now, logevent.ChatSession, sessionID, n)
}

// attachRow is a session as a connection attaches to it.
type attachRow struct {
	sessionRow
	prev      string // the instance that held its connection before ('' none); another one was told
	turnMsg   string // the turn in progress ('' none)
	turnUntil int64  // unix ms by which its server must end it
}

// attach records that this server holds the session's connection and returns the session. A
// signed-in subject adopts an anonymous session (it knows the session's id, which only the client
// that opened it was given). errNoSession: no such session, or someone else's.
func (s *store) attach(ctx context.Context, id, subject string, now time.Time) (attachRow, error) {
	r := attachRow{sessionRow: sessionRow{ID: id}}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE assistant_sessions SET attached_prev = attached_to, attached_to = ?, updated_at = ?,
			subject = CASE WHEN subject = '' THEN ? ELSE subject END
			WHERE id = ? AND (subject = '' OR subject = ?)
			RETURNING subject, last_seq, state, attached_prev, turn_msg, turn_until`, s.instance, now.UnixMilli(), subject, id, subject).
			Scan(&r.Subject, &r.LastSeq, &r.State, &r.prev, &r.turnMsg, &r.turnUntil)
		if err != nil {
			return err
		}
		if r.prev != "" && r.prev != s.instance && s.events != nil {
			return s.announce(ctx, tx, now, id, chatNews{Kind: newsAttached, By: s.instance})
		}
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoSession
	}
	if err != nil {
		return r, fmt.Errorf("attach session: %w", err)
	}
	return r, nil
}

// attachedTo returns the instance that holds the session's connection.
func (s *store) attachedTo(ctx context.Context, id string) (string, error) {
	var at string
	err := s.db.QueryRow(ctx, `SELECT attached_to FROM assistant_sessions WHERE id = ?`, id).Scan(&at)
	return at, err
}

// turnClaim is the outcome of claimTurn.
type turnClaim struct {
	ok       bool   // msgID is the session's turn in progress now
	last     int64  // ok: the stored last seq
	state    string // ok: the stored state
	answered bool   // not ok: msgID was answered already, or is the turn in progress
	current  string // not ok: the turn in progress
	until    int64  // not ok: unix ms by which its server must end it
}

// claimTurn records msgID as the session's turn in progress until until, unless a turn is in
// progress or msgID was answered already.
func (s *store) claimTurn(ctx context.Context, id, msgID string, until time.Time) (turnClaim, error) {
	var c turnClaim
	err := s.db.QueryRow(ctx, `UPDATE assistant_sessions SET turn_msg = ?, turn_until = ?
		WHERE id = ? AND turn_msg = ''
		AND NOT EXISTS (SELECT 1 FROM assistant_messages WHERE session_id = ? AND client_id = ?)
		RETURNING last_seq, state`, msgID, until.UnixMilli(), id, id, msgID).Scan(&c.last, &c.state)
	if err == nil {
		c.ok = true
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("claim turn: %w", err)
	}
	var n int
	err = s.db.QueryRow(ctx, `SELECT turn_msg, turn_until, (SELECT count(*) FROM assistant_messages WHERE session_id = ? AND client_id = ?)
		FROM assistant_sessions WHERE id = ?`, id, msgID, id).Scan(&c.current, &c.until, &n)
	if err != nil {
		return c, fmt.Errorf("claim turn: %w", err)
	}
	c.answered = c.current == msgID || n > 0
	return c, nil
}

// releaseTurn clears the session's turn in progress if it is msgID (a turn that ended without
// events: cancelled, empty, failed).
func (s *store) releaseTurn(ctx context.Context, id, msgID string) error {
	if _, err := s.db.Exec(ctx, `UPDATE assistant_sessions SET turn_msg = '' WHERE id = ? AND turn_msg = ?`, id, msgID); err != nil {
		return fmt.Errorf("release turn: %w", err)
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

// eventsAfter returns the events after seq, oldest first, at most limit of the newest ones, and
// whether older ones were left out.
func (s *store) eventsAfter(ctx context.Context, sessionID string, after int64, limit int) ([]storedEvent, bool, error) {
	out, err := s.scanEvents(ctx, `SELECT seq, body FROM assistant_events WHERE session_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?`,
		sessionID, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	gap := len(out) > limit
	if gap {
		out = out[:limit]
	}
	slices.Reverse(out)
	return out, gap, nil
}

// eventsFrom returns the events after seq, oldest first, at most limit.
func (s *store) eventsFrom(ctx context.Context, sessionID string, after int64, limit int) ([]storedEvent, error) {
	return s.scanEvents(ctx, `SELECT seq, body FROM assistant_events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		sessionID, after, limit)
}

// scanEvents runs q, which selects seq and body.
func (s *store) scanEvents(ctx context.Context, q string, args ...any) ([]storedEvent, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var ev storedEvent
		var b string
		if err := rows.Scan(&ev.seq, &b); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		ev.body = []byte(b)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return out, nil
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
