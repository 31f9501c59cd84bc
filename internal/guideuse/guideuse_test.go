package guideuse

import (
	"context"
	"slices"
	"testing"
	"time"
	"unsafe"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

func open(t *testing.T, d *db.DB, o Options) *Store {
	t.Helper()
	o.DB = d
	if o.Interval == 0 {
		o.Interval = time.Hour // the tests flush themselves
	}
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func top(t *testing.T, s *Store, subject string) []string {
	t.Helper()
	codes, err := s.Top(context.Background(), subject, 5)
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// TestCountsPerPersonAndEveryone: uses add up across flushes, per person and for everyone
// (anonymous uses count for everyone only), most used first, ties by code.
func TestCountsPerPersonAndEveryone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := open(t, d, Options{})
		ctx := context.Background()
		for range 3 {
			s.Record("alice", "G-B")
		}
		s.Record("alice", "G-A")
		s.Record("bob", "G-C")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		s.Record("", "G-C")
		s.Record("", "G-C")
		s.Record("bob", "G-A")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := top(t, s, "alice"); !slices.Equal(got, []string{"G-B", "G-A"}) {
			t.Fatalf("alice: %v", got)
		}
		if got := top(t, s, "bob"); !slices.Equal(got, []string{"G-A", "G-C"}) {
			t.Fatalf("bob: %v", got)
		}
		// Everyone: G-B 3, G-C 3 (bob 1 + anonymous 2), G-A 2.
		if got := top(t, s, Everyone); !slices.Equal(got, []string{"G-B", "G-C", "G-A"}) {
			t.Fatalf("everyone: %v", got)
		}
		if got := top(t, s, "carol"); len(got) != 0 {
			t.Fatalf("carol has used nothing: %v", got)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT uses FROM guide_use WHERE subject = ? AND guide_code = ?`, Everyone, "G-C").Scan(&n); err != nil || n != 3 {
			t.Fatalf("everyone's G-C: %d %v", n, err)
		}
	})
}

// TestPopularIsReusedForAMinute: the everyone list is read once and reused until it is a minute
// old.
func TestPopularIsReusedForAMinute(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := open(t, dbtest.SQLite(t), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	s.Record("", "G-A")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Popular(ctx, 8); err != nil || !slices.Equal(p, []string{"G-A"}) {
		t.Fatalf("popular: %v %v", p, err)
	}
	s.Record("", "G-B")
	s.Record("", "G-B")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Popular(ctx, 8); !slices.Equal(p, []string{"G-A"}) {
		t.Fatalf("re-read within the minute: %v", p)
	}
	now = now.Add(time.Minute)
	if p, _ := s.Popular(ctx, 1); !slices.Equal(p, []string{"G-B"}) {
		t.Fatalf("after a minute: %v", p)
	}
}

// TestPendingIsBounded: past twice MaxPending distinct pairs, new pairs are dropped rather than
// growing memory without bound; reaching MaxPending wakes the flusher.
func TestPendingIsBounded(t *testing.T) {
	s := open(t, dbtest.SQLite(t), Options{MaxPending: 4})
	s.once.Do(func() { close(s.stop); <-s.done }) // no background flush: the counts stay pending
	for i := range 10 {
		s.Record("", string(rune('A'+i)))
	}
	s.mu.Lock()
	n, dropped := len(s.pending), s.dropped
	s.mu.Unlock()
	if n != 8 || dropped != 2 || len(s.wake) != 1 {
		t.Fatalf("pending %d, dropped %d, wake %d", n, dropped, len(s.wake))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := top(t, s, Everyone); len(got) != 5 || got[0] != "A" {
		t.Fatalf("written at Close: %v", got)
	}
}

// TestAFailedWriteKeepsTheCounts: counts a flush could not write are added to the next one.
func TestAFailedWriteKeepsTheCounts(t *testing.T) {
	d := dbtest.SQLite(t)
	s := open(t, d, Options{})
	ctx := context.Background()
	s.Record("alice", "G-A")
	if _, err := d.Exec(ctx, `ALTER TABLE guide_use RENAME TO guide_use_away`); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err == nil {
		t.Fatal("a write to a missing table succeeded")
	}
	if _, err := d.Exec(ctx, `ALTER TABLE guide_use_away RENAME TO guide_use`); err != nil {
		t.Fatal(err)
	}
	s.Record("alice", "G-A")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.QueryRow(ctx, `SELECT uses FROM guide_use WHERE subject = 'alice'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("alice's uses: %d %v", n, err)
	}
}

// TestRecordKeepsItsOwnCopy: the HTTP layer passes codes that point into a request buffer the
// server reuses for the next request; the counts must stay with the code that was recorded (a
// race found by the race detector in CI, and the cause of wrong 常用服务 lists).
func TestRecordKeepsItsOwnCopy(t *testing.T) {
	s := open(t, dbtest.SQLite(t), Options{})
	buf := []byte("G-AAA")
	s.Record("alice", unsafe.String(&buf[0], len(buf))) // a new entry
	s.Record("alice", unsafe.String(&buf[0], len(buf))) // an existing one
	copy(buf, "G-ZZZ")                                  // the next request reuses the buffer
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := top(t, s, "alice"); !slices.Equal(got, []string{"G-AAA"}) {
		t.Fatalf("alice: %v", got)
	}
}
