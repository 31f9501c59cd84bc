package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/testutil"
)

type clock = testutil.Clock

func openQ(t *testing.T, d *db.DB, c *clock) *Queue {
	t.Helper()
	q, err := Open(context.Background(), d, Options{Now: c.Now, Lease: 30 * time.Second, BaseBackoff: time.Second, MaxBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// counter counts how often each key ran.
type counter struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *counter) handle(_ context.Context, j Job) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs == nil {
		c.runs = map[string]int{}
	}
	c.runs[j.Key]++
	return nil
}

func (c *counter) n(key string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.runs[key] }

func mustGet(t *testing.T, q *Queue, key string) Job {
	t.Helper()
	j, err := q.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestEnqueueIsIdempotentByKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := testutil.NewClock(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC))
		q := openQ(t, d, c)
		created, err := q.Enqueue(ctx, nil, Job{Kind: "send", Key: "k1", Payload: []byte(`{"to":"a"}`)})
		if err != nil || !created {
			t.Fatalf("first enqueue: %v %v", created, err)
		}
		// In a transaction, as a change would; the duplicate is a no-op there too.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			created, err = q.Enqueue(ctx, tx, Job{Kind: "send", Key: "k1", Payload: []byte(`{"to":"b"}`)})
			return err
		})
		if err != nil || created {
			t.Fatalf("duplicate enqueue: created=%v err=%v", created, err)
		}
		var cnt counter
		w := q.NewWorker(WorkerOptions{Name: "w"})
		w.Handle("send", cnt.handle)
		if err := w.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		// Once done, the key stays taken.
		if created, _ := q.Enqueue(ctx, nil, Job{Kind: "send", Key: "k1"}); created {
			t.Fatal("a done job's key was enqueued again")
		}
		w.RunDue(ctx)
		if cnt.n("k1") != 1 || mustGet(t, q, "k1").State != Done || string(mustGet(t, q, "k1").Payload) != `{"to":"a"}` {
			t.Fatalf("runs %d, job %+v", cnt.n("k1"), mustGet(t, q, "k1"))
		}
	})
}

// TestWorkerKilledMidJob: worker A claims a job and never finishes (it was killed). Until the
// lease expires nobody else takes it; then worker B does, once, and A — if it comes back — can
// record nothing.
func TestWorkerKilledMidJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := testutil.NewClock(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC))
		q := openQ(t, d, c)
		if _, err := q.Enqueue(ctx, nil, Job{Kind: "publish", Key: "p1"}); err != nil {
			t.Fatal(err)
		}
		claimsA, err := q.Claim(ctx, "A", []string{"publish"}, 10)
		if err != nil || len(claimsA) != 1 {
			t.Fatalf("A claims %v %v", claimsA, err)
		}
		// Another process's queue handle, as a second replica has.
		qb := openQ(t, d, c)
		var cnt counter
		b := qb.NewWorker(WorkerOptions{Name: "B"})
		b.Handle("publish", cnt.handle)
		c.Add(29 * time.Second)
		if err := b.RunDue(ctx); err != nil || cnt.n("p1") != 0 {
			t.Fatalf("B took a job under a live lease: runs %d err %v", cnt.n("p1"), err)
		}
		c.Add(2 * time.Second) // A's lease has expired
		if err := b.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if cnt.n("p1") != 1 {
			t.Fatalf("B ran the job %d times", cnt.n("p1"))
		}
		j := mustGet(t, q, "p1")
		if j.State != Done || j.Attempts != 2 {
			t.Fatalf("after takeover: %+v", j)
		}
		if err := claimsA[0].Complete(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("A completed a job it lost: %v", err)
		}
		b.RunDue(ctx)
		if cnt.n("p1") != 1 {
			t.Fatalf("ran again: %d", cnt.n("p1"))
		}
	})
}

// TestRetriesWithBackoffThenDead: a failing job waits longer after each failure, is not claimed
// before its retry time, and after its last attempt is dead with the error kept.
func TestRetriesWithBackoffThenDead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := testutil.NewClock(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC))
		q := openQ(t, d, c)
		q.Enqueue(ctx, nil, Job{Kind: "flaky", Key: "f1", MaxAttempts: 5})
		q.Enqueue(ctx, nil, Job{Kind: "broken", Key: "b1", MaxAttempts: 3})
		q.Enqueue(ctx, nil, Job{Kind: "broken", Key: "b2", MaxAttempts: 3})
		fails := 2
		var runs int
		w := q.NewWorker(WorkerOptions{Name: "w"})
		w.Handle("flaky", func(context.Context, Job) error {
			runs++
			if fails > 0 {
				fails--
				return errors.New("upstream 503")
			}
			return nil
		})
		w.Handle("broken", func(_ context.Context, j Job) error {
			if j.Key == "b2" {
				return Permanent(errors.New("invalid address"))
			}
			return errors.New("always fails")
		})
		var waits []time.Duration
		for i := 0; i < 10 && mustGet(t, q, "f1").State != Done; i++ {
			before := c.Now()
			w.RunDue(ctx)
			j := mustGet(t, q, "f1")
			if j.State == Ready {
				waits = append(waits, j.RunAt.Sub(before))
				// Not before its time.
				c.Add(j.RunAt.Sub(c.Now()) - time.Millisecond)
				n := runs
				w.RunDue(ctx)
				if runs != n {
					t.Fatal("retried before its backoff")
				}
				c.Add(time.Millisecond)
			}
		}
		if j := mustGet(t, q, "f1"); j.State != Done || j.Attempts != 3 || runs != 3 {
			t.Fatalf("flaky: %+v runs %d", j, runs)
		}
		// Backoff 1 s then 2 s, each jittered within its upper half.
		if len(waits) < 2 || waits[0] < 500*time.Millisecond || waits[0] > time.Second || waits[1] < time.Second || waits[1] > 2*time.Second {
			t.Fatalf("waits %v", waits)
		}
		for i := 0; i < 3; i++ { // past any backoff of b1
			c.Add(time.Minute)
			w.RunDue(ctx)
		}
		if j := mustGet(t, q, "b1"); j.State != Dead || j.Attempts != 3 || j.LastError != "always fails" {
			t.Fatalf("b1: %+v", j)
		}
		if j := mustGet(t, q, "b2"); j.State != Dead || j.Attempts != 1 {
			t.Fatalf("permanent failure: %+v", j)
		}
	})
}

// TestRunAtSchedules: a job waits for its time.
func TestRunAtSchedules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := testutil.NewClock(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC))
		q := openQ(t, d, c)
		q.Enqueue(ctx, nil, Job{Kind: "publish", Key: "later", RunAt: c.Now().Add(time.Hour)})
		q.Enqueue(ctx, nil, Job{Kind: "publish", Key: "cancelled", RunAt: c.Now().Add(time.Hour)})
		if ok, err := q.Cancel(ctx, nil, "cancelled"); !ok || err != nil {
			t.Fatalf("cancel: %v %v", ok, err)
		}
		var cnt counter
		w := q.NewWorker(WorkerOptions{Name: "w"})
		w.Handle("publish", cnt.handle)
		w.RunDue(ctx)
		if cnt.n("later") != 0 {
			t.Fatal("ran early")
		}
		c.Add(time.Hour)
		w.RunDue(ctx)
		if cnt.n("later") != 1 || cnt.n("cancelled") != 0 {
			t.Fatalf("runs %v", cnt.runs)
		}
	})
}

// TestConcurrentWorkersRunEachJobOnce: two processes with three workers each drain one queue;
// every job runs exactly once.
func TestConcurrentWorkersRunEachJobOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		q1, err := Open(ctx, d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		q2, _ := Open(ctx, d, Options{})
		const n = 40
		for i := 0; i < n; i++ {
			if _, err := q1.Enqueue(ctx, nil, Job{Kind: "send", Key: fmt.Sprintf("s%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var cnt counter
		var wg sync.WaitGroup
		for i, q := range []*Queue{q1, q2} {
			w := q.NewWorker(WorkerOptions{Name: fmt.Sprintf("p%d", i), Concurrency: 3, Poll: 10 * time.Millisecond})
			w.Handle("send", cnt.handle)
			wg.Add(1)
			go func() { defer wg.Done(); w.Run(ctx) }()
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var done int
			d.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE state = 'done'`).Scan(&done)
			if done == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d done", done, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		for i := 0; i < n; i++ {
			if k := fmt.Sprintf("s%d", i); cnt.n(k) != 1 {
				t.Fatalf("%s ran %d times", k, cnt.n(k))
			}
		}
	})
}

func TestRetryAfterAndPostpone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		q := openQ(t, d, c)
		w := q.NewWorker(WorkerOptions{Name: "w"})
		var calls int
		w.Handle("k", func(context.Context, Job) error {
			calls++
			switch calls {
			case 1:
				return Postpone("quiet hours", 2*time.Hour)
			case 2:
				return RetryAfter(errors.New("429"), 90*time.Second)
			}
			return nil
		})
		if _, err := q.Enqueue(ctx, nil, Job{Kind: "k", Key: "a", MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
		if err := w.RunDue(ctx); err != nil {
			t.Fatalf("a postponement is not an error: %v", err)
		}
		j := mustGet(t, q, "a")
		if j.State != Ready || j.Attempts != 0 || !j.RunAt.Equal(c.Now().Add(2*time.Hour)) {
			t.Fatalf("postponed job: %+v", j)
		}
		c.Add(2 * time.Hour)
		_ = w.RunDue(ctx)
		j = mustGet(t, q, "a")
		if j.State != Ready || j.Attempts != 1 || !j.RunAt.Equal(c.Now().Add(90*time.Second)) {
			t.Fatalf("retry-after job: %+v", j)
		}
		c.Add(89 * time.Second)
		_ = w.RunDue(ctx)
		if calls != 2 {
			t.Fatalf("ran before Retry-After: %d calls", calls)
		}
		c.Add(time.Second)
		_ = w.RunDue(ctx)
		if j = mustGet(t, q, "a"); j.State != Done {
			t.Fatalf("job: %+v", j)
		}
	})
}

// TestFirstReadSkipsOtherKinds: a worker's first read finds the earliest ready job of its own
// kinds through jobs_kind_ready, however many ready jobs of other kinds fall due before it (the
// notices held overnight for the quiet hours are such jobs, due at 08:00), and the claim reads
// no job that is not due. Plans on 20,000 such jobs, without
// statistics (ANALYZE never ran, as on a fresh store).
func TestFirstReadSkipsOtherKinds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := testutil.NewClock(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC))
		q := openQ(t, d, c)
		ctx := context.Background()
		now := c.Now().UnixMicro()
		if _, err := d.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
			INSERT INTO jobs (kind, key, payload, state, max_attempts, run_at, created_at, updated_at)
			SELECT 'notify.deliver', 'held-' || i, '{}', 'ready', 5, ?, ?, ? FROM n`, now+int64(time.Hour/time.Microsecond), now, now); err != nil {
			t.Fatal(err)
		}
		mine := Job{Kind: "application.submit", Key: "mine", RunAt: c.Now().Add(2 * time.Hour)}
		if _, err := q.Enqueue(ctx, nil, mine); err != nil {
			t.Fatal(err)
		}
		args := []any{"application.submit", "upstream.sim.step", now, "application.submit", "upstream.sim.step"}
		var first sql.NullInt64
		var expired int
		if err := d.QueryRow(ctx, firstReadySQL(2), args...).Scan(&first, &expired); err != nil {
			t.Fatal(err)
		}
		if want := now + int64(2*time.Hour/time.Microsecond); !first.Valid || first.Int64 != want || expired != 0 {
			t.Fatalf("first read = %v, %d; want %d, 0", first, expired, want)
		}
		pick := pickSQL(`state = 'ready' AND run_at <= ?`, "?,?")
		pargs := []any{now, "application.submit", "upstream.sim.step", 8}
		var read, claim string
		if d.Dialect == db.Postgres {
			read, claim = dbtest.PostgresPlan(t, d, firstReadySQL(2), args...), dbtest.PostgresPlan(t, d, pick, pargs...)
		} else {
			read, claim = dbtest.SQLitePlan(t, d, firstReadySQL(2), args...), dbtest.SQLitePlan(t, d, pick, pargs...)
		}
		if strings.Count(read, "jobs_kind_ready") < 2 || strings.Contains(read, "Seq Scan") || strings.Contains(read, "SCAN jobs") {
			t.Errorf("the first read does not seek each kind's earliest ready job: %s", read)
		}
		// SQLite reads the due jobs in order and stops at the LIMIT; PostgreSQL, without
		// statistics, reads the due jobs of the worker's kinds alone and sorts those.
		if strings.Contains(claim, "TEMP B-TREE") || strings.Contains(claim, "SCAN jobs") || strings.Contains(claim, "Seq Scan") ||
			(d.Dialect == db.Postgres && !strings.Contains(claim, "jobs_kind_ready")) {
			t.Errorf("the claim scans more than the due jobs of its kinds: %s", claim)
		}
		t.Logf("first read: %s", read)
		t.Logf("claim: %s", claim)
	})
}
