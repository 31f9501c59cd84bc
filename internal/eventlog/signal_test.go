package eventlog

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
)

// testRedis is the shared Redis of the gated tests (dbtest.Redis).
func testRedis(t *testing.T) *redis.Client { return dbtest.Redis(t) }

// waitKeys waits (bounded) until k has seen want; the bound is a hang guard, not a speed claim.
func waitKeys(t *testing.T, k *keys, want ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !equal(k.list(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("consumer saw %v, want %v", k.list(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// signalCase builds a Signal for one process over store d.
type signalCase struct {
	name  string
	store func(t testing.TB) *db.DB
	new   func(ctx context.Context, t *testing.T, d *db.DB) Signal
}

func signalCases() []signalCase {
	return []signalCase{
		{"redis", dbtest.SQLite, func(ctx context.Context, t *testing.T, d *db.DB) Signal {
			return NewRedisSignal(ctx, testRedis(t), time.Hour, nil)
		}},
		{"postgres", dbtest.Postgres, func(ctx context.Context, t *testing.T, d *db.DB) Signal {
			return NewPostgresSignal(ctx, d.PostgresURL(), NotifyVia(func(ctx context.Context, q string, args ...any) error {
				_, err := d.Exec(ctx, q, args...)
				return err
			}), time.Hour, nil)
		}},
	}
}

// twoProcesses opens two Logs over d as two processes would: a to publish through, and b running
// a consumer "b" from the start whose keys it returns.
func twoProcesses(ctx context.Context, t *testing.T, d *db.DB, aOpts, bOpts Options) (*Log, *keys) {
	t.Helper()
	a, err := Open(ctx, d, aOpts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, d, bOpts)
	if err != nil {
		t.Fatal(err)
	}
	kb := &keys{}
	if _, err := b.Register(ctx, Consumer{Name: "b", Handle: kb.handle, Start: 0}); err != nil {
		t.Fatal(err)
	}
	go b.Run(ctx)
	return a, kb
}

// TestSignalWakesAnotherProcess: with polling effectively off (an hour), an event appended through
// process A reaches a consumer in process B only because A's signal woke B.
func TestSignalWakesAnotherProcess(t *testing.T) {
	for _, c := range signalCases() {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "postgres" && os.Getenv(dbtest.EnvVar) == "" {
				t.Skip("set " + dbtest.EnvVar + " to run against PostgreSQL")
			}
			d := c.store(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, kb := twoProcesses(ctx, t, d, Options{Poll: time.Hour, Signal: c.new(ctx, t, d)},
				Options{Poll: time.Hour, Signal: c.new(ctx, t, d)})
			for i, key := range []string{"k1", "k2", "k3"} {
				if err := a.Publish(ctx, evt("t", key)); err != nil {
					t.Fatal(err)
				}
				waitKeys(t, kb, []string{"k1", "k2", "k3"}[:i+1]...)
			}
		})
	}
}

// TestRedisDownFallsBackToPolling: with Redis unreachable, Send fails and says so (Down), and
// events still reach the other process by its poll: nothing is lost.
func TestRedisDownFallsBackToPolling(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer dead.Close()
	sig := NewRedisSignal(ctx, dead, 20*time.Millisecond, nil)
	a, kb := twoProcesses(ctx, t, d, Options{Poll: time.Hour, Signal: sig}, Options{Poll: 20 * time.Millisecond})
	if err := a.Publish(ctx, evt("t", "k1")); err != nil {
		t.Fatalf("publish must not fail because Redis is down: %v", err)
	}
	if !sig.Down() {
		t.Fatal("signal does not report Redis down after a failed send")
	}
	waitKeys(t, kb, "k1")
}

func evt(topic, key string) event.Event { return event.Event{Topic: topic, Key: key} }
