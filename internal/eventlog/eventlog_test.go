package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
)

func open(t *testing.T, d *db.DB) *Log {
	t.Helper()
	l, err := Open(context.Background(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendN appends n events of topic in one transaction each, keys k1…kn after prefix.
func appendN(t *testing.T, d *db.DB, topic, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			err := AppendJSON(ctx, tx, time.Now(), topic, fmt.Sprintf("%s%d", prefix, i), map[string]int{"n": i})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// keys records the keys a handler saw.
type keys struct {
	mu  sync.Mutex
	got []string
}

func (k *keys) handle(_ context.Context, e event.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.got = append(k.got, e.Key)
	return nil
}

func (k *keys) list() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.got...)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTwoConsumersEachSeeEveryEvent: a broadcast topic is read in full, in order, by every
// consumer — in one process and in another process (a second Log on the same store).
func TestTwoConsumersEachSeeEveryEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a, b := open(t, d), open(t, d) // two processes
		var ka, kb, kc keys
		if _, err := a.Register(ctx, Consumer{Name: "a", Topics: []string{"t"}, Handle: ka.handle, Start: 0}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Register(ctx, Consumer{Name: "c", Handle: kc.handle, Start: 0}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Register(ctx, Consumer{Name: "b", Topics: []string{"t"}, Handle: kb.handle, Position: b.Stored("b"), Start: 0}); err != nil {
			t.Fatal(err)
		}
		appendN(t, d, "t", "k", 3)
		appendN(t, d, "other", "o", 1)
		appendN(t, d, "t", "m", 2)
		if err := a.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		want := []string{"k1", "k2", "k3", "m1", "m2"}
		if !equal(ka.list(), want) || !equal(kb.list(), want) {
			t.Fatalf("a saw %v, b saw %v, want %v each", ka.list(), kb.list(), want)
		}
		if got := kc.list(); !equal(got, []string{"k1", "k2", "k3", "o1", "m1", "m2"}) {
			t.Fatalf("all-topics consumer saw %v", got)
		}
		// Delivering again hands nothing over twice.
		a.Deliver(ctx)
		if len(ka.list()) != 5 {
			t.Fatalf("redelivered: %v", ka.list())
		}
		// b's position is stored: a restarted b continues after m2.
		b2 := open(t, d)
		var kb2 keys
		if _, err := b2.Register(ctx, Consumer{Name: "b", Topics: []string{"t"}, Handle: kb2.handle, Position: b2.Stored("b"), Start: 0}); err != nil {
			t.Fatal(err)
		}
		appendN(t, d, "t", "n", 1)
		b2.Deliver(ctx)
		if got := kb2.list(); !equal(got, []string{"n1"}) {
			t.Fatalf("restarted consumer saw %v, want [n1]", got)
		}
	})
}

// TestFailingHandlerIsRetried: a handler that fails stops its consumer at that event; the event
// is handed over again until it succeeds, and other consumers are not held up.
func TestFailingHandlerIsRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := open(t, d)
		var mu sync.Mutex
		failures := 2
		var handled []string
		flaky := func(_ context.Context, e event.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if e.Key == "k2" && failures > 0 {
				failures--
				return errors.New("index busy")
			}
			handled = append(handled, e.Key)
			return nil
		}
		var other keys
		l.Register(ctx, Consumer{Name: "flaky", Handle: flaky, Position: l.Stored("flaky"), Start: 0})
		l.Register(ctx, Consumer{Name: "steady", Handle: other.handle, Start: 0})
		appendN(t, d, "t", "k", 3)
		if err := l.Deliver(ctx); err == nil {
			t.Fatal("Deliver hid the handler failure")
		}
		if !equal(other.list(), []string{"k1", "k2", "k3"}) {
			t.Fatalf("steady consumer held up: %v", other.list())
		}
		var pos int64
		d.QueryRow(ctx, `SELECT position FROM event_consumers WHERE name = 'flaky'`).Scan(&pos)
		if pos != 1 {
			t.Fatalf("position after failure = %d, want 1 (k2 not marked delivered)", pos)
		}
		l.Deliver(ctx) // fails once more
		if err := l.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !equal(handled, []string{"k1", "k2", "k3"}) {
			t.Fatalf("handled %v", handled)
		}
	})
}

// TestRunSeesOtherProcess: Run's poll hands over events another process appended, with no
// Deliver in this process.
func TestRunSeesOtherProcess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		l, err := Open(ctx, d, Options{Poll: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 4)
		l.Subscribe("t", func(_ context.Context, e event.Event) error { got <- e.Key; return nil })
		go l.Run(ctx)
		other := open(t, d)
		if err := other.Publish(ctx, event.Event{Topic: "t", Key: "from-other"}); err != nil {
			t.Fatal(err)
		}
		select {
		case k := <-got:
			if k != "from-other" {
				t.Fatalf("got %q", k)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the poll never delivered the other process's event")
		}
	})
}

// TestAppendRollsBackWithTheChange: an event exists exactly when its transaction committed.
func TestAppendRollsBackWithTheChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := open(t, d)
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := Append(ctx, tx, event.Event{Topic: "t", Key: "x"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if h, _ := l.Head(ctx); h != 0 {
			t.Fatalf("head %d after a rolled-back append", h)
		}
	})
}

// TestPositionsBecomeVisibleInOrder (PostgreSQL, where writers run concurrently): a transaction
// that appended early but commits late gets a position after every event committed before it,
// so a reader that has moved past position n never misses an event below n.
func TestPositionsBecomeVisibleInOrder(t *testing.T) {
	d := dbtest.Postgres(t)
	if d == nil {
		t.Skip("set " + dbtest.EnvVar + " to run against PostgreSQL (SQLite has one writer at a time)")
	}
	ctx := context.Background()
	l := open(t, d)
	slow, err := d.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := Append(ctx, slow, event.Event{Topic: "t", Key: "slow"}); err != nil {
		t.Fatal(err)
	}
	// Meanwhile another transaction appends and commits (it would wait on the slow one's lock,
	// or commit a lower position after a higher one, if the row were written at Append).
	if err := l.Publish(ctx, event.Event{Topic: "t", Key: "fast"}); err != nil {
		t.Fatal(err)
	}
	var seen keys
	l.Register(ctx, Consumer{Name: "r", Handle: seen.handle, Start: 0})
	l.Deliver(ctx)
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	l.Deliver(ctx)
	if got := seen.list(); !equal(got, []string{"fast", "slow"}) {
		t.Fatalf("reader saw %v, want [fast slow]", got)
	}
}

// The log is the in-process bus of the program.
var _ event.Bus = (*Log)(nil)

// TestSubscribeStartsAtHead: an in-process subscriber sees what is published after it
// subscribed, in order, and nothing after it unsubscribed.
func TestSubscribeStartsAtHead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := open(t, d)
		l.Publish(ctx, event.Event{Topic: "t", Key: "before"})
		var k keys
		un := l.Subscribe("t", k.handle)
		l.Publish(ctx, event.Event{Topic: "t", Key: "a"})
		l.Publish(ctx, event.Event{Topic: "u", Key: "other topic"})
		l.Publish(ctx, event.Event{Topic: "t", Key: "b"})
		un()
		l.Publish(ctx, event.Event{Topic: "t", Key: "after"})
		if got := k.list(); !equal(got, []string{"a", "b"}) {
			t.Fatalf("got %v", got)
		}
	})
}

// TestPanickingHandlerIsRetried: a panic is a failure like an error — reported, retried, and
// the process goes on.
func TestPanickingHandlerIsRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := open(t, d)
		calls := 0
		l.Subscribe("t", func(context.Context, event.Event) error {
			calls++
			if calls == 1 {
				panic("boom")
			}
			return nil
		})
		if err := l.Publish(ctx, event.Event{Topic: "t", Key: "x"}); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("panic not reported: %v", err)
		}
		if err := l.Deliver(ctx); err != nil || calls != 2 {
			t.Fatalf("retry: calls %d err %v", calls, err)
		}
	})
}

// TestPassedOverEventsDoNotSaveThePosition: a stored consumer's position is not written for a
// delivery of other topics' events only (a store write per consumer per event), yet a restart
// reads those again without handling any, and handles the next event of its topic once.
func TestPassedOverEventsDoNotSaveThePosition(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := open(t, d)
		var k keys
		if _, err := l.Register(ctx, Consumer{Name: "s", Topics: []string{"t"}, Handle: k.handle, Position: l.Stored("s"), Start: 0}); err != nil {
			t.Fatal(err)
		}
		saved := func() int64 {
			t.Helper()
			pos, _, err := l.Stored("s").Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return pos
		}
		appendN(t, d, "t", "k", 1)
		must(t, l.Deliver(ctx))
		first := saved()
		if first == 0 {
			t.Fatal("a handled event did not save the position")
		}
		for i := range 3 {
			appendN(t, d, "other", fmt.Sprintf("o%d-", i), 1)
			must(t, l.Deliver(ctx))
		}
		if saved() != first {
			t.Fatal("passing over other topics' events wrote the position")
		}
		// A restarted process reads the passed-over events again and hands none of them over.
		var k2 keys
		l2 := open(t, d)
		if _, err := l2.Register(ctx, Consumer{Name: "s", Topics: []string{"t"}, Handle: k2.handle, Position: l2.Stored("s"), Start: 0}); err != nil {
			t.Fatal(err)
		}
		appendN(t, d, "t", "m", 1)
		must(t, l2.Deliver(ctx))
		if got := k2.list(); !equal(got, []string{"m1"}) {
			t.Fatalf("after a restart: %v", got)
		}
		if saved() <= first {
			t.Fatal("the handled event did not save the position")
		}
	})
}

// TestOneReadServesEveryConsumer: consumers at the same position share a drain's read of the
// log, so one new event costs one read however many consumers there are (each was a round
// trip on PostgreSQL, twice per consumer, before the last registered got the event); consumers
// at other positions, and batches longer than one read, still get every event in order.
func TestOneReadServesEveryConsumer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := open(t, d)
		ks := make([]keys, 6)
		for i := range ks {
			topics := []string{"t"}
			if i%2 == 1 {
				topics = nil // every topic
			}
			if _, err := l.Register(ctx, Consumer{Name: fmt.Sprint("c", i), Topics: topics, Handle: ks[i].handle, Start: FromHead}); err != nil {
				t.Fatal(err)
			}
		}
		appendN(t, d, "t", "k", 1)
		before := l.reads.Load()
		must(t, l.Deliver(ctx))
		if n := l.reads.Load() - before; n != 1 {
			t.Fatalf("one event for %d consumers at one position: %d reads of the log, want 1", len(ks), n)
		}
		for i := range ks {
			if got := ks[i].list(); !equal(got, []string{"k1"}) {
				t.Fatalf("consumer %d: %v", i, got)
			}
		}
		// A consumer from the beginning, and more events than one read returns.
		var late keys
		if _, err := l.Register(ctx, Consumer{Name: "late", Topics: []string{"t"}, Handle: late.handle, Start: 0}); err != nil {
			t.Fatal(err)
		}
		n := readBatch*2 + 5
		appendN(t, d, "t", "m", n)
		must(t, l.Deliver(ctx))
		want := []string{"k1"}
		for i := 1; i <= n; i++ {
			want = append(want, fmt.Sprint("m", i))
		}
		for i := range ks {
			if got := ks[i].list(); !equal(got, want) {
				t.Fatalf("consumer %d got %d events, want %d in order", i, len(got), len(want))
			}
		}
		if got := late.list(); !equal(got, want) {
			t.Fatalf("the late consumer got %d events, want %d in order", len(got), len(want))
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
