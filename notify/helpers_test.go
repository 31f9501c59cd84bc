package notify

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/queue"
	"shebao/notify/pushtest"
)

// clock is a settable clock shared by the service and its queue.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// noon is 12:00 Beijing time, outside the default quiet hours.
var noon = time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)

type env struct {
	t    *testing.T
	ctx  context.Context
	db   *db.DB
	q    *queue.Queue
	s    *Service
	w    *queue.Worker
	push *pushtest.Server
	clk  *clock
}

func newEnv(t *testing.T, d *db.DB, mod ...func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: noon}
	q, err := queue.Open(ctx, d, queue.Options{Now: clk.now, BaseBackoff: time.Second, MaxBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	push := pushtest.NewTLS() // HTTP/2 over TLS, as the real push services
	t.Cleanup(push.Close)
	o := Options{
		DB: d, Queue: q, Now: clk.now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		VAPIDSubject: "mailto:ops@shebao.gov.cn",
		Endpoints:    &EndpointPolicy{InsecureTestHosts: []string{push.Host()}, TestRoots: push.Roots()},
		BaseURL:      "https://app.shebao.example.cn",
	}
	for _, m := range mod {
		m(&o)
	}
	s, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, db: d, q: q, s: s, w: s.Worker("test"), push: push, clk: clk}
}

// eachEnv runs fn with a fresh env on each database dialect (dbtest.Each).
func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) })
}

// subscribe makes a device at the fake push service and registers it for person.
func (e *env) subscribe(person string) pushtest.Subscription {
	e.t.Helper()
	sub, err := e.push.Subscribe(e.s.VAPIDPublicKey())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.s.Subscribe(e.ctx, person, SubscriptionInput(sub)); err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// run drains the due jobs; handler errors (retries) are expected in some tests.
func (e *env) run() { _ = e.w.RunDue(e.ctx) }

func (e *env) notify(m Message) {
	e.t.Helper()
	if _, err := e.s.Notify(e.ctx, nil, m); err != nil {
		e.t.Fatal(err)
	}
}

// events returns the delivery-log events of the notice with key, oldest first.
func (e *env) events(key string) []string {
	e.t.Helper()
	rows, err := e.db.Query(e.ctx, `SELECT l.event FROM notify_log l JOIN notify_notices n ON n.id = l.notice_id WHERE n.key = ? ORDER BY l.id`, key)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ev string
		rows.Scan(&ev)
		out = append(out, ev)
	}
	return out
}

// wantEvents fails t unless the delivery log of the notice with key is want (events joined by
// commas, oldest first).
func (e *env) wantEvents(t *testing.T, key, want string) {
	t.Helper()
	if got := strings.Join(e.events(key), ","); got != want {
		t.Fatalf("log of %s: %s, want %s", key, got, want)
	}
}

func (e *env) subCount(person string) int {
	var n int
	if err := e.db.QueryRow(e.ctx, `SELECT count(*) FROM notify_subscriptions WHERE person = ?`, person).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok || ae.Code != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func msg(person, key string) Message {
	return Message{Key: key, Person: person, Kind: KindProgress, Title: "申请已受理", Body: "您办理的“养老保险关系转移”已受理。", Link: "/applications/A-1"}
}
