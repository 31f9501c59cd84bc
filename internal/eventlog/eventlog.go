// Package eventlog is the durable record of broadcast events (a guide was published, the
// synonyms changed): facts every replica and every interested part of a replica must see. No
// feature owns it. A change appends its event in the same transaction as the change (Append), so
// an event exists exactly when its change was committed.
//
// Consumption is broadcast: each consumer keeps its own position and reads the events after it,
// in order. A handler that fails leaves the position where it is, so the event is retried (after
// a short backoff) rather than marked delivered; handlers must therefore be idempotent. Positions
// live where the consumer's state lives: in memory for state rebuilt at every start (the content
// snapshot), in the event_consumers table for durable consumers, or next to the state itself (the
// search index keeps its position inside the index, so a copied index knows how far it is).
//
// In a process, Deliver after a commit hands the new events to the local consumers at once;
// Run polls the table so that events appended by other processes on the same store are seen
// within the poll interval. A Signal (PostgreSQL LISTEN/NOTIFY, Redis pub/sub) can shorten that
// wait between processes; the table stays the truth.
//
// Jobs that exactly one worker must do belong in internal/queue, not here.
package eventlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/wake"
)

// timeFormat is how times are stored: fixed width UTC, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// Migrations is the schema of the event log.
var Migrations = []db.Migration{
	{
		Name: "event log and consumer positions",
		SQL: `
CREATE TABLE event_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	topic TEXT NOT NULL,
	key TEXT NOT NULL,
	data TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TABLE event_consumers (
	name TEXT PRIMARY KEY,
	position BIGINT NOT NULL,
	updated_at TEXT NOT NULL
)`,
	},
}

// Migrate brings the event-log schema up to date. Open runs it; packages whose own migrations
// move rows into the log (content's outbox) call it first.
func Migrate(ctx context.Context, d *db.DB) error {
	return d.Migrate(ctx, "eventlog", Migrations)
}

// Append records e inside tx, the transaction of the change it reports: the event exists
// exactly when the change commits. On PostgreSQL the row is written just before commit
// (db.Tx.BeforeCommit) under a transaction-scoped advisory lock, so appenders are serialised only
// for that last step and positions become visible in order: a reader that has seen position n
// never later finds a committed event below n. SQLite has a single writer already.
func Append(ctx context.Context, tx *db.Tx, e event.Event) error {
	if e.Topic == "" {
		return errors.New("eventlog: event without a topic")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	data := string(e.Data)
	if data == "" {
		data = "null"
	}
	insert := func() error {
		if tx.Dialect() == db.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, appendLockKey); err != nil {
				return fmt.Errorf("eventlog: lock for append: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO event_log (topic, key, data, created_at) VALUES (?, ?, ?, ?)`,
			e.Topic, e.Key, data, e.At.UTC().Format(timeFormat)); err != nil {
			return fmt.Errorf("eventlog: append %s: %w", e.Topic, err)
		}
		return nil
	}
	if tx.Dialect() == db.Postgres {
		tx.BeforeCommit(insert)
		return nil
	}
	return insert()
}

// AppendJSON is Append with data marshalled from v.
func AppendJSON(ctx context.Context, tx *db.Tx, at time.Time, topic, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return Append(ctx, tx, event.Event{Topic: topic, Key: key, Data: b, At: at})
}

// appendLockKey is the PostgreSQL advisory lock that orders appends ("evlg" in ASCII).
const appendLockKey = 0x65766c67

// Signal carries "events were appended" between processes, so that they need not wait for their
// next poll. It is only a hint: a lost signal costs one poll interval, never an event.
type Signal interface {
	// Send announces that events were committed in this process.
	Send(ctx context.Context) error
	// Receive yields an announcement from any process.
	Receive() <-chan struct{}
}

// Options configure a Log.
type Options struct {
	// Poll is how often Run reads the table for events other processes appended (default 500 ms).
	Poll time.Duration
	// Signal, when set, wakes Run as soon as another process announces a commit.
	Signal Signal
	// Log receives handler failures.
	Log *slog.Logger
	// MaxBackoff caps the wait before a failing handler is retried (default 30 s).
	MaxBackoff time.Duration
}

// Log is a process's handle on the event log: it appends and reads, and drives this process's
// consumers. It implements event.Bus for in-process subscribers.
type Log struct {
	db   *db.DB
	opts Options
	log  *slog.Logger
	wake wake.Chan

	mu        sync.Mutex
	consumers []*consumer
	nextID    int

	reads atomic.Int64 // Read calls, for the tests of shared reads
}

// Open migrates the event-log schema and returns a Log over d. Nothing runs in the background
// until Run is called.
func Open(ctx context.Context, d *db.DB, o Options) (*Log, error) {
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if err := Migrate(ctx, d); err != nil {
		return nil, err
	}
	return &Log{db: d, opts: o, log: o.Log, wake: wake.New()}, nil
}

// Head returns the position of the last committed event (0 when the log is empty).
func (l *Log) Head(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := l.db.QueryRow(ctx, `SELECT max(id) FROM event_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("eventlog: head: %w", err)
	}
	return n.Int64, nil
}

// Read returns up to limit events after position, in order.
func (l *Log) Read(ctx context.Context, after int64, limit int) ([]event.Event, error) {
	l.reads.Add(1)
	rows, err := l.db.Query(ctx, `SELECT id, topic, key, data, created_at FROM event_log WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("eventlog: read after %d: %w", after, err)
	}
	defer rows.Close()
	var out []event.Event
	for rows.Next() {
		var e event.Event
		var data, at string
		if err := rows.Scan(&e.ID, &e.Topic, &e.Key, &data, &at); err != nil {
			return nil, err
		}
		e.Data = json.RawMessage(data)
		e.At, _ = time.Parse(timeFormat, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Publish appends e in a transaction of its own and delivers it to this process's consumers
// (event.Bus). Changes to stored state should instead Append in their own transaction.
func (l *Log) Publish(ctx context.Context, e event.Event) error {
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		err := Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return err
	}
	return l.Deliver(ctx)
}

// Deliver hands every committed event to this process's consumers now, then signals other
// processes. Call it after committing a transaction that appended: when it returns, local
// consumers have handled the events (or failed and will retry). A handler must not call it.
func (l *Log) Deliver(ctx context.Context) error {
	err := l.drain(ctx, false)
	if l.opts.Signal != nil {
		if serr := l.opts.Signal.Send(ctx); serr != nil {
			// The Signal logs when it goes down and comes back; per publish is noise.
			l.log.Debug("eventlog: signal other processes", "err", serr)
		}
	}
	return err
}

// DeliverFast hands every committed event to this process's Fast consumers only, now: for a
// writer whose change a person is watching, before the full Deliver (which may wait behind a
// slow consumer) runs beside the request.
func (l *Log) DeliverFast(ctx context.Context) error {
	return l.drainOnly(ctx, false, true)
}

// Wake asks Run to read the log soon, without waiting for the poll interval.
func (l *Log) Wake() { l.wake.Wake() }

// Run polls the log until ctx ends, handing new events to this process's consumers and retrying
// the failed ones once their backoff has passed.
func (l *Log) Run(ctx context.Context) {
	t := time.NewTicker(l.opts.Poll)
	defer t.Stop()
	var signals <-chan struct{}
	if l.opts.Signal != nil {
		signals = l.opts.Signal.Receive()
	}
	for l.wake.Wait(ctx.Done(), t.C, signals) {
		if err := l.drain(ctx, true); err != nil && ctx.Err() == nil {
			l.log.Debug("eventlog: poll", "err", err)
		}
	}
}

// drain brings every consumer to the head: the Fast ones first, then the others, each group one
// after the other in registration order (so the content snapshot, registered first, is current
// before the index loads from it).
func (l *Log) drain(ctx context.Context, polling bool) error {
	return l.drainOnly(ctx, polling, false)
}

// drainOnly is drain, of the Fast consumers alone when fastOnly.
func (l *Log) drainOnly(ctx context.Context, polling, fastOnly bool) error {
	l.mu.Lock()
	cs := make([]*consumer, 0, len(l.consumers))
	for _, c := range l.consumers {
		if c.Fast {
			cs = append(cs, c)
		}
	}
	if !fastOnly {
		for _, c := range l.consumers {
			if !c.Fast {
				cs = append(cs, c)
			}
		}
	}
	l.mu.Unlock()
	var errs []error
	r := reads{}
	for _, c := range cs {
		if err := l.drive(ctx, c, polling, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
