// Package queue holds jobs that exactly one worker must do, once: a scheduled publish, a push
// send, a webhook delivery, an upstream submission. It is the other half of internal/eventlog,
// whose events every consumer sees.
//
// A job is a row in the jobs table, enqueued (if wanted, in the transaction of the change that
// calls for it) under an idempotency key: enqueueing a key that exists is a no-op, whatever
// state the first job is in. A worker claims due jobs — with FOR UPDATE SKIP LOCKED on
// PostgreSQL, inside SQLite's single-writer (BEGIN IMMEDIATE) transaction there — for a lease;
// a worker that dies mid-job loses the lease when it expires and another worker takes the job
// over. Completing and failing are fenced by the claim token, so a worker that lost its lease
// cannot record anything. A failed job is retried after an exponential backoff with jitter until
// its attempts run out; then it is dead (kept for an operator, never retried by itself).
//
// At-least-once: a worker that did the work and crashed before recording it leaves a job that
// runs again after the lease. Handlers make that harmless where the receiver can deduplicate
// (a conditional UPDATE, an idempotency key sent along) and say so where it cannot.
package queue

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"shebao/internal/db"
)

// Migrations is the schema of the job queue. Times are Unix microseconds.
var Migrations = []db.Migration{
	{
		Name: "jobs",
		SQL: `
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	key TEXT NOT NULL UNIQUE,
	payload TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	run_at BIGINT NOT NULL,
	claimed_by TEXT NOT NULL DEFAULT '',
	claimed_until BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at)`,
	},
	{
		// A claim reads the due ready jobs in (run_at, id) order and the expired leases through
		// an index each: one query with an OR between them scanned the whole table, done jobs
		// included, so claims slowed down as the table grew (182 jobs/s at 5,000 jobs, O(n²) for
		// a campaign of a million).
		Name: "jobs claim indexes",
		SQL: `
CREATE INDEX jobs_ready ON jobs (state, run_at, id);
CREATE INDEX jobs_lease ON jobs (state, claimed_until)`,
	},
	{
		// A worker's first read looks for the earliest ready job of each of its kinds through
		// this index. Through jobs_ready it walked every ready job of the other kinds that fell
		// due earlier: at night, each notice held for the quiet hours is a ready job due at
		// 08:00, and every poll of the applications worker read all of them (16,502 jobs: 68%
		// of the server's CPU while webhooks arrived, found by the webhook latency benchmark).
		Name: "jobs by kind",
		SQL:  `CREATE INDEX jobs_kind_ready ON jobs (state, kind, run_at)`,
	},
}

// pickSQL selects the ids a claim takes: the jobs matching where (with one ? argument) of the
// kinds in (a list of ? arguments), in order, then a LIMIT argument.
func pickSQL(where, in string) string {
	return `SELECT id FROM jobs WHERE ` + where + ` AND kind IN (` + in + `) ORDER BY run_at, id LIMIT ?`
}

// placeholders is n ? placeholders separated by commas, for an IN list.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// firstReadySQL is a worker's first read for kinds (each a ? argument, then now and the kinds
// again): the earliest ready job's run_at over its kinds, each found through jobs_kind_ready,
// and whether one of its running jobs has an expired lease.
func firstReadySQL(kinds int) string {
	var b strings.Builder
	b.WriteString(`SELECT (SELECT min(r) FROM (`)
	for i := range kinds {
		if i > 0 {
			b.WriteString(` UNION ALL `)
		}
		b.WriteString(`SELECT (SELECT run_at FROM jobs WHERE state = 'ready' AND kind = ? ORDER BY run_at LIMIT 1) AS r`)
	}
	b.WriteString(`) k),
		(SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state = 'running' AND claimed_until <= ? AND kind IN (` + placeholders(kinds) + `) LIMIT 1) l)`)
	return b.String()
}

// State is where a job is in its life.
type State string

// The states of a job.
const (
	Ready   State = "ready"   // waiting for run_at, or for a retry
	Running State = "running" // claimed by a worker until claimed_until
	Done    State = "done"    // finished; its key stays taken
	Dead    State = "dead"    // out of attempts, or failed permanently; an operator decides
)

// Job is one unit of work.
type Job struct {
	ID          int64
	Kind        string          // which handler runs it
	Key         string          // idempotency key, unique over all jobs ever enqueued
	Payload     json.RawMessage // handler-specific
	RunAt       time.Time       // not before; zero = now
	MaxAttempts int             // 0 = the queue's default

	State        State
	Attempts     int
	LastError    string
	ClaimedBy    string
	ClaimedUntil time.Time
}

// Options configure a Queue.
type Options struct {
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Lease is how long a claim lasts before another worker may take the job over (default
	// 30 s); a running worker extends it while its handler works.
	Lease time.Duration
	// MaxAttempts is the default number of attempts before a job is dead (default 8).
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the wait before a retry: BaseBackoff·2^(attempt−1),
	// capped, with jitter (defaults 1 s and 10 min).
	BaseBackoff, MaxBackoff time.Duration
}

// Queue is the job table.
type Queue struct {
	db   *db.DB
	opts Options
}

// Open migrates the queue schema and returns the queue over d.
func Open(ctx context.Context, d *db.DB, o Options) (*Queue, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if err := d.Migrate(ctx, "queue", Migrations); err != nil {
		return nil, err
	}
	return &Queue{db: d, opts: o}, nil
}

func (q *Queue) now() int64 { return q.opts.Now().UnixMicro() }

// Enqueue adds j unless a job with its key exists; created reports which. With tx it is part of
// that transaction (the job exists exactly when the change that calls for it commits).
func (q *Queue) Enqueue(ctx context.Context, tx *db.Tx, j Job) (created bool, err error) {
	if j.Kind == "" || j.Key == "" {
		return false, errors.New("queue: a job needs a kind and a key")
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = q.opts.MaxAttempts
	}
	runAt := q.now()
	if !j.RunAt.IsZero() {
		runAt = j.RunAt.UnixMicro()
	}
	payload := string(j.Payload)
	if payload == "" {
		payload = "null"
	}
	const ins = `INSERT INTO jobs (kind, key, payload, state, max_attempts, run_at, created_at, updated_at)
		VALUES (?, ?, ?, 'ready', ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`
	args := []any{j.Kind, j.Key, payload, j.MaxAttempts, runAt, q.now(), q.now()}
	var res sql.Result
	if tx != nil {
		res, err = tx.Exec(ctx, ins, args...)
	} else {
		res, err = q.db.Exec(ctx, ins, args...)
	}
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s %s: %w", j.Kind, j.Key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Cancel removes the job with key if no worker holds it; it reports whether one was removed.
func (q *Queue) Cancel(ctx context.Context, tx *db.Tx, key string) (bool, error) {
	const del = `DELETE FROM jobs WHERE key = ? AND state = 'ready'`
	var res sql.Result
	var err error
	if tx != nil {
		res, err = tx.Exec(ctx, del, key)
	} else {
		res, err = q.db.Exec(ctx, del, key)
	}
	if err != nil {
		return false, fmt.Errorf("queue: cancel %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Get returns the job with key.
func (q *Queue) Get(ctx context.Context, key string) (Job, error) {
	var j Job
	var payload, state string
	var runAt, until int64
	err := q.db.QueryRow(ctx, `SELECT id, kind, key, payload, state, attempts, max_attempts, run_at, claimed_by, claimed_until, last_error
		FROM jobs WHERE key = ?`, key).Scan(&j.ID, &j.Kind, &j.Key, &payload, &state, &j.Attempts, &j.MaxAttempts, &runAt, &j.ClaimedBy, &until, &j.LastError)
	if err != nil {
		return j, err
	}
	j.Payload, j.State = json.RawMessage(payload), State(state)
	j.RunAt, j.ClaimedUntil = time.UnixMicro(runAt).UTC(), time.UnixMicro(until).UTC()
	return j, nil
}

// Claim is a job held by one worker until its lease ends.
type Claim struct {
	Job
	q     *Queue
	token string
}

// ErrLeaseLost is returned when a claim's lease expired and another worker took the job over:
// the holder must not record anything.
var ErrLeaseLost = errors.New("queue: lease lost to another worker")

// Claim takes up to n due jobs of the given kinds for worker: ready jobs whose run_at has come,
// and running jobs whose lease expired (their worker is presumed dead). A job whose last attempt
// was such a lost worker becomes dead instead.
func (q *Queue) Claim(ctx context.Context, worker string, kinds []string, n int) ([]*Claim, error) {
	out, _, err := q.claim(ctx, worker, kinds, n)
	return out, err
}

// claim is Claim that also returns when the earliest ready job of kinds not yet due falls due
// (zero when there is none, or when the claim found due jobs): a worker sleeps until then
// rather than a whole poll interval, so that a chain of jobs each scheduling the next a few
// milliseconds ahead (a campaign's steps) is not paced by the poll.
func (q *Queue) claim(ctx context.Context, worker string, kinds []string, n int) ([]*Claim, time.Time, error) {
	if len(kinds) == 0 || n <= 0 {
		return nil, time.Time{}, nil
	}
	b := make([]byte, 6)
	_, _ = crand.Read(b)
	token := worker + "/" + hex.EncodeToString(b)
	now := q.now()
	in := placeholders(len(kinds))
	kargs := make([]any, len(kinds))
	for i, k := range kinds {
		kargs[i] = k
	}
	lock := ""
	if q.db.Dialect == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// A read first: an idle worker's poll must not take SQLite's write lock every time. It reads
	// the earliest ready job's run_at of its kinds (due when not after now).
	var first sql.NullInt64
	var expired int
	err := q.db.QueryRow(ctx, firstReadySQL(len(kinds)),
		append(append(append([]any{}, kargs...), now), kargs...)...).Scan(&first, &expired)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: look for due jobs: %w", err)
	}
	ready := first.Valid && first.Int64 <= now
	if !ready && expired == 0 {
		var next time.Time
		if first.Valid {
			next = time.UnixMicro(first.Int64)
		}
		return nil, next, nil
	}
	var out []*Claim
	err = q.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'dead', last_error = 'lease expired on the last attempt (worker lost)', updated_at = ?
			WHERE state = 'running' AND claimed_until <= ? AND attempts >= max_attempts AND kind IN (`+in+`)`,
			append([]any{now, now}, kargs...)...); err != nil {
			return err
		}
		// Expired leases first (their worker is presumed dead), then due ready jobs in order;
		// each through its own index.
		for _, pick := range []struct {
			on    bool
			where string
		}{
			{expired > 0, `state = 'running' AND claimed_until <= ?`},
			{ready, `state = 'ready' AND run_at <= ?`},
		} {
			if !pick.on || len(out) >= n {
				continue
			}
			args := append([]any{token, now + q.opts.Lease.Microseconds(), now, now}, kargs...)
			args = append(args, n-len(out))
			rows, err := tx.Query(ctx, `UPDATE jobs SET state = 'running', attempts = attempts + 1, claimed_by = ?, claimed_until = ?, updated_at = ?
				WHERE id IN (`+pickSQL(pick.where, in)+lock+`)
				RETURNING id, kind, key, payload, attempts, max_attempts, run_at, claimed_until`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				c := &Claim{q: q, token: token}
				var payload string
				var runAt, until int64
				if err := rows.Scan(&c.ID, &c.Kind, &c.Key, &payload, &c.Attempts, &c.MaxAttempts, &runAt, &until); err != nil {
					rows.Close()
					return err
				}
				c.Payload, c.State, c.ClaimedBy = json.RawMessage(payload), Running, token
				c.RunAt, c.ClaimedUntil = time.UnixMicro(runAt).UTC(), time.UnixMicro(until).UTC()
				out = append(out, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: claim: %w", err)
	}
	return out, time.Time{}, nil
}

// fenced runs an UPDATE that only applies while this claim holds the job.
func (c *Claim) fenced(ctx context.Context, set string, args ...any) error {
	args = append(args, c.ID, c.token)
	res, err := c.q.db.Exec(ctx, `UPDATE jobs SET `+set+` WHERE id = ? AND claimed_by = ? AND state = 'running'`, args...)
	if err != nil {
		return fmt.Errorf("queue: job %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// Complete records that the job is done.
func (c *Claim) Complete(ctx context.Context) error {
	return c.fenced(ctx, `state = 'done', claimed_until = 0, last_error = '', updated_at = ?`, c.q.now())
}

// Extend renews the lease from now.
func (c *Claim) Extend(ctx context.Context) error {
	now := c.q.now()
	return c.fenced(ctx, `claimed_until = ?, updated_at = ?`, now+c.q.opts.Lease.Microseconds(), now)
}

// permanent marks an error after which retrying cannot help.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the job goes straight to dead instead of being retried.
func Permanent(err error) error { return permanent{err} }

// retryAfter asks for the next attempt after a given wait instead of the backoff (a receiver's
// Retry-After), or for a postponement that does not use up an attempt (a quiet-hours hold).
type retryAfter struct {
	err      error
	wait     time.Duration
	postpone bool
}

func (r retryAfter) Error() string { return r.err.Error() }
func (r retryAfter) Unwrap() error { return r.err }

// RetryAfter wraps err so that the job is retried after wait (at least; the receiver said when,
// e.g. HTTP 429 with Retry-After) rather than after the computed backoff. It still counts as an
// attempt.
func RetryAfter(err error, wait time.Duration) error { return retryAfter{err: err, wait: wait} }

// Postpone returns an error that puts the job back to run after wait without counting an
// attempt: the job did not fail, it is not due yet (e.g. a message held through quiet hours).
func Postpone(reason string, wait time.Duration) error {
	return retryAfter{err: errors.New(reason), wait: wait, postpone: true}
}

// Fail records a failed attempt: the job is retried after a backoff (or the wait of RetryAfter),
// or dead when its attempts are used up or err is Permanent. A Postpone is not a failure: the job
// waits and keeps its attempts.
func (c *Claim) Fail(ctx context.Context, cause error) error {
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	now := c.q.now()
	var ra retryAfter
	hasWait := errors.As(cause, &ra)
	if hasWait && ra.postpone {
		next := now + max(ra.wait, 0).Microseconds()
		return c.fenced(ctx, `state = 'ready', claimed_until = 0, run_at = ?, attempts = attempts - 1, last_error = ?, updated_at = ?`, next, msg, now)
	}
	var p permanent
	if c.Attempts >= c.MaxAttempts || errors.As(cause, &p) {
		return c.fenced(ctx, `state = 'dead', claimed_until = 0, last_error = ?, updated_at = ?`, msg, now)
	}
	wait := c.q.backoff(c.Attempts)
	if hasWait {
		wait = max(ra.wait, 0)
	}
	next := now + wait.Microseconds()
	return c.fenced(ctx, `state = 'ready', claimed_until = 0, run_at = ?, last_error = ?, updated_at = ?`, next, msg, now)
}

// Backoff is the wait before retry number attempt, for a caller that schedules a retry of its
// own (a new job carrying on what a failed part of another left).
func (q *Queue) Backoff(attempt int) time.Duration { return q.backoff(attempt) }

// backoff is the wait before retry number attempt: BaseBackoff·2^(attempt−1) capped at
// MaxBackoff, the upper half jittered so that jobs failing together do not retry together.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.opts.BaseBackoff
	for i := 1; i < attempt && d < q.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, q.opts.MaxBackoff)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
