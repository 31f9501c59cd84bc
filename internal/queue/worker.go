package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"shebao/internal/wake"
)

// Handler does one job. An error makes the job retry (or die, see Permanent); returning nil
// completes it. It should stop when ctx ends (the lease was lost or the worker is stopping).
type Handler func(ctx context.Context, j Job) error

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Name identifies the worker in claims and logs (e.g. host and pid).
	Name string
	// Concurrency is how many jobs run at once (default 1).
	Concurrency int
	// Poll is how often an idle worker looks for due jobs (default 500 ms).
	Poll time.Duration
	// Log receives job failures.
	Log *slog.Logger
}

// Worker claims due jobs of the kinds it has handlers for and runs them.
type Worker struct {
	q        *Queue
	opts     WorkerOptions
	log      *slog.Logger
	mu       sync.RWMutex
	handlers map[string]Handler
	wake     wake.Chan
}

// NewWorker returns a worker on q; add handlers with Handle before Run.
func (q *Queue) NewWorker(o WorkerOptions) *Worker {
	if o.Name == "" {
		o.Name = "worker"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Worker{q: q, opts: o, log: o.Log, handlers: map[string]Handler{}, wake: wake.New()}
}

// Handle sets the handler for jobs of kind.
func (w *Worker) Handle(kind string, h Handler) {
	w.mu.Lock()
	w.handlers[kind] = h
	w.mu.Unlock()
}

func (w *Worker) kinds() []string {
	w.mu.RLock()
	defer w.mu.RUnlock()
	ks := make([]string, 0, len(w.handlers))
	for k := range w.handlers {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Wake asks Run to look for jobs now (e.g. after enqueueing one due at once).
func (w *Worker) Wake() { w.wake.Wake() }

// minDueWait is the shortest a worker sleeps for a job falling due.
const minDueWait = 5 * time.Millisecond

// Run claims and runs jobs until ctx ends, at most Concurrency at a time, then waits for the
// running ones to finish.
func (w *Worker) Run(ctx context.Context) {
	slots := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	// t fires after a poll interval, or sooner when the earliest ready job not yet due falls due
	// before that: a job scheduled a few milliseconds ahead (a campaign's next step) runs then,
	// not up to a poll later.
	t := time.NewTimer(w.opts.Poll)
	defer t.Stop()
	for {
		wait := w.opts.Poll
		// Claim when at least a quarter of the slots are free (or all, at concurrency below 4):
		// one claim transaction then takes several jobs, where claiming each freed slot alone
		// cost a write transaction per job, the single writer's bottleneck on SQLite.
		free := w.opts.Concurrency - len(slots)
		if free > 0 && free >= (w.opts.Concurrency+3)/4 {
			claims, next, err := w.q.claim(ctx, w.opts.Name, w.kinds(), free)
			if err != nil && ctx.Err() == nil {
				w.log.Error("queue: claim", "worker", w.opts.Name, "err", err)
			}
			for _, c := range claims {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots; w.Wake() }()
					w.run(ctx, c)
				}()
			}
			if len(claims) == free {
				continue // there may be more due right now
			}
			if !next.IsZero() {
				// At least minDueWait: under a test's clock that stands still, a job "due in 1 µs"
				// must not make the worker spin.
				wait = min(max(next.Sub(w.q.opts.Now()), minDueWait), w.opts.Poll)
			}
		}
		t.Reset(wait)
		if !w.wake.Wait(ctx.Done(), t.C, nil) {
			return
		}
	}
}

// RunDue claims and runs every job due now, one at a time, and returns when none is left (or
// ctx ends): for tests and for callers that drive the queue themselves. The errors are the
// handlers' (each job is already recorded as failed and will be retried).
func (w *Worker) RunDue(ctx context.Context) error {
	var errs []error
	for ctx.Err() == nil {
		claims, err := w.q.Claim(ctx, w.opts.Name, w.kinds(), 1)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if len(claims) == 0 {
			break
		}
		if err := w.run(ctx, claims[0]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// run does one claimed job, extending its lease while the handler works, and records the result.
func (w *Worker) run(ctx context.Context, c *Claim) error {
	w.mu.RLock()
	h := w.handlers[c.Kind]
	w.mu.RUnlock()
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(max(w.q.opts.Lease/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := c.Extend(jctx); err != nil {
					if errors.Is(err, ErrLeaseLost) {
						cancel() // another worker has the job: stop doing it twice
					}
					return
				}
			}
		}
	}()
	err := safeRun(jctx, h, c.Job)
	close(done)
	if err == nil {
		if cerr := c.Complete(ctx); cerr != nil {
			return fmt.Errorf("queue: complete %s %s: %w", c.Kind, c.Key, cerr)
		}
		return nil
	}
	var ra retryAfter
	if errors.As(err, &ra) && ra.postpone {
		if ferr := c.Fail(ctx, err); ferr != nil {
			return errors.Join(err, ferr)
		}
		return nil // not a failure: the job is not due yet
	}
	w.log.Warn("queue: job failed", "worker", w.opts.Name, "kind", c.Kind, "key", c.Key, "attempt", c.Attempts, "err", err)
	if ferr := c.Fail(ctx, err); ferr != nil {
		return errors.Join(err, ferr)
	}
	return fmt.Errorf("job %s %s attempt %d: %w", c.Kind, c.Key, c.Attempts, err)
}

func safeRun(ctx context.Context, h Handler, j Job) (err error) {
	if h == nil {
		return Permanent(fmt.Errorf("no handler for job kind %q", j.Kind))
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job handler panic: %v", r)
		}
	}()
	return h(ctx, j)
}
