// Package guideuse counts how often guides are used — a search result clicked, a guide page
// viewed — per signed-in person and by everyone, for the home screen's 常用服务. Uses are
// counted in memory on the request path (a map increment under a mutex) and written in batches
// by a background flusher: one multi-row upsert per interval, whatever the request rate.
package guideuse

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"shebao/internal/db"
	"shebao/internal/wake"
)

// Everyone is the subject of the counts of all uses (signed-in or anonymous).
const Everyone = ""

// Migrations are the component's schema steps.
var Migrations = []db.Migration{{
	Name: "guide use counts per person and overall",
	SQL: `CREATE TABLE guide_use (
	subject TEXT NOT NULL,
	guide_code TEXT NOT NULL,
	uses BIGINT NOT NULL,
	last_at BIGINT NOT NULL,
	PRIMARY KEY (subject, guide_code)
);
CREATE INDEX guide_use_top ON guide_use (subject, uses DESC, guide_code)`,
}}

// topFrom is the part of the top-guides query after its columns: subject's (the first ?)
// guides, most used first, at most the second ? of them.
const topFrom = ` FROM guide_use WHERE subject = ? ORDER BY uses DESC, guide_code LIMIT ?`

// TopSQL selects guide_code, uses of subject's most used guides (arguments: subject, how many),
// for other stores' read-only queries (the home screen's one query).
const TopSQL = `SELECT guide_code, uses` + topFrom

// Defaults of Options.
const (
	DefaultInterval = time.Second
	// DefaultMaxPending bounds the distinct (person, guide) pairs held between two flushes;
	// reaching it flushes at once, and past twice as many new pairs are dropped (and counted).
	DefaultMaxPending = 20_000
	// popularTTL is how long the everyone list is reused: it moves slowly.
	popularTTL = time.Minute
)

// Options configures Open; zero fields take defaults.
type Options struct {
	DB         *db.DB
	Log        *slog.Logger
	Interval   time.Duration // between two flushes (DefaultInterval)
	MaxPending int           // DefaultMaxPending
	Now        func() time.Time
}

type key struct{ subject, code string }

// Store counts guide uses and answers the most used guides.
type Store struct {
	o       Options
	mu      sync.Mutex
	pending map[key]*int64 // pointers: assigning to a string-keyed map entry replaces its key
	dropped int64
	wake    wake.Chan
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	popMu   sync.Mutex
	popular []string
	popAt   time.Time
}

// Open migrates the table and starts the flusher; Close stops it, writing what is pending.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := o.DB.Migrate(ctx, "guideuse", Migrations); err != nil {
		return nil, err
	}
	s := &Store{o: o, pending: map[key]*int64{}, wake: wake.New(), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s, nil
}

// Record counts one use of guide code by subject ("" for an anonymous person: counted for
// everyone only). The caller has checked that code is a published guide.
func (s *Store) Record(subject, code string) {
	s.mu.Lock()
	full := len(s.pending) >= s.o.MaxPending
	if len(s.pending) >= 2*s.o.MaxPending {
		s.dropped++
		s.mu.Unlock()
		return
	}
	s.count(key{Everyone, code}, 1)
	if subject != Everyone {
		s.count(key{subject, code}, 1)
	}
	s.mu.Unlock()
	if full {
		s.wake.Wake()
	}
}

// count adds n uses of k to the pending counts; s.mu is held. The strings of a new key are
// copied, and an existing entry is never assigned to (Go would store the new key in it): callers
// pass views into request buffers that fasthttp reuses once the handler returns.
func (s *Store) count(k key, n int64) {
	if p, ok := s.pending[k]; ok {
		*p += n
		return
	}
	s.pending[key{strings.Clone(k.subject), strings.Clone(k.code)}] = &n
}

func (s *Store) run() {
	defer close(s.done)
	t := time.NewTicker(s.o.Interval)
	defer t.Stop()
	for s.wake.Wait(s.stop, t.C, nil) {
		if err := s.Flush(context.Background()); err != nil {
			s.o.Log.Error("guide use: flush", "err", err)
		}
	}
}

// Flush writes the pending counts now. On a failed write they are kept for the next flush.
func (s *Store) Flush(ctx context.Context) error {
	s.mu.Lock()
	batch, dropped := s.pending, s.dropped
	s.pending, s.dropped = make(map[key]*int64, len(batch)), 0
	s.mu.Unlock()
	if dropped > 0 {
		s.o.Log.Warn("guide use: counts dropped, the flusher is behind", "dropped", dropped)
	}
	if len(batch) == 0 {
		return nil
	}
	if err := s.write(ctx, batch); err != nil {
		s.mu.Lock()
		for k, n := range batch {
			s.count(k, *n)
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// write adds batch to the table in one transaction, 200 rows a statement.
func (s *Store) write(ctx context.Context, batch map[key]*int64) error {
	at := s.o.Now().UnixMicro()
	type row struct {
		k key
		n int64
	}
	rows := make([]row, 0, len(batch))
	for k, n := range batch {
		rows = append(rows, row{k, *n})
	}
	return s.o.DB.InTx(ctx, func(tx *db.Tx) error {
		const chunk = 200
		for len(rows) > 0 {
			n := min(len(rows), chunk)
			var sb strings.Builder
			sb.WriteString(`INSERT INTO guide_use (subject, guide_code, uses, last_at) VALUES `)
			args := make([]any, 0, 4*n)
			for i, r := range rows[:n] {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString("(?, ?, ?, ?)")
				args = append(args, r.k.subject, r.k.code, r.n, at)
			}
			sb.WriteString(` ON CONFLICT (subject, guide_code) DO UPDATE SET uses = guide_use.uses + excluded.uses, last_at = excluded.last_at`)
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("guide use: write: %w", err)
			}
			rows = rows[n:]
		}
		return nil
	})
}

// Top returns the codes of subject's n most used guides, most used first (Everyone: by all).
func (s *Store) Top(ctx context.Context, subject string, n int) ([]string, error) {
	rows, err := s.o.DB.QueryPrepared(ctx, `SELECT guide_code`+topFrom, subject, n)
	if err != nil {
		return nil, fmt.Errorf("guide use: top: %w", err)
	}
	codes, err := db.Column[string](rows)
	if codes == nil {
		codes = []string{}
	}
	return codes, err
}

// Popular returns the codes of everyone's n (at most 20) most used guides, read at most once a
// minute.
func (s *Store) Popular(ctx context.Context, n int) ([]string, error) {
	s.popMu.Lock()
	defer s.popMu.Unlock()
	if s.popular == nil || s.o.Now().Sub(s.popAt) >= popularTTL {
		p, err := s.Top(ctx, Everyone, 20)
		if err != nil {
			return nil, err
		}
		s.popular, s.popAt = p, s.o.Now()
	}
	return s.popular[:min(n, len(s.popular))], nil
}

// Close stops the flusher and writes what is pending.
func (s *Store) Close() error {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Flush(ctx)
}
