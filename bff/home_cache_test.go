package bff

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"shebao/internal/application"
	"shebao/internal/beijing"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/person"
)

// replica is one server process over the shared store, with its own event log reader and home
// cache, as cmd/shebao wires them.
type replica struct {
	srv *Server
	log *eventlog.Log
}

func newReplica(t *testing.T, e *meEnv, d *db.DB) *replica {
	t.Helper()
	ctx := context.Background()
	l := must(eventlog.Open(ctx, d, eventlog.Options{}))
	home := NewHomeCache(HomeCacheOptions{TTL: time.Hour})
	must(home.Follow(ctx, l))
	base := e.srv.Deps
	base.Home, base.Events = home, l
	base.Registry = nil
	return &replica{srv: New(base), log: l}
}

func (r *replica) home(t *testing.T, e *meEnv, who string) homeBody {
	t.Helper()
	resp := do(t, r.srv.App(), "GET", "/api/v1/me/home", strings.NewReader(""), "Authorization", "Bearer "+e.tokens[who])
	if resp.status != 200 {
		t.Fatalf("home: %d %s", resp.status, resp.body)
	}
	return decode[homeBody](t, resp)
}

func (r *replica) call(t *testing.T, e *meEnv, who, method, target, body string) response {
	t.Helper()
	return do(t, r.srv.App(), method, target, strings.NewReader(body), "Content-Type", "application/json", "Authorization", "Bearer "+e.tokens[who])
}

// TestHomeCacheIsInvalidatedAcrossReplicas changes a person's home on replica a and reads it on
// replica b, whose cache hears of the change only through the event log.
func TestHomeCacheIsInvalidatedAcrossReplicas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newMeEnv(t, d, MeLimits{})
		a, b := newReplica(t, e, d), newReplica(t, e, d)
		people := e.srv.People

		h := b.home(t, e, "alice")
		if h.Name != "alice" || len(h.InProgress) != 0 {
			t.Fatalf("first home %+v", h)
		}
		// A write that bypasses the event log is not seen: b answers from its cache.
		must(people.Update(ctx, "alice", person.Patch{City: ptr("宝鸡市")}, person.Declared))
		if h := b.home(t, e, "alice"); h.City != "" {
			t.Fatalf("home was not cached: city %q", h.City)
		}

		// Profile written on a → person.changed → b.
		if r := a.call(t, e, "alice", "PATCH", "/api/v1/me", `{"city":"西安市"}`); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		must(0, b.log.Deliver(ctx))
		if h := b.home(t, e, "alice"); h.City != "西安市" {
			t.Fatalf("profile change not seen on b: %+v", h)
		}

		// Follow on a.
		if r := a.call(t, e, "alice", "POST", "/api/v1/me/follows/SX-YL-012", ""); r.status != 200 {
			t.Fatalf("follow: %d %s", r.status, r.body)
		}
		must(0, b.log.Deliver(ctx))
		if h := b.home(t, e, "alice"); len(h.Services) == 0 || h.Services[0].Code != "SX-YL-012" || h.Services[0].Reason != "mine" {
			t.Fatalf("follow not seen on b: %+v", h.Services)
		}
		// Unfollow on a.
		if r := a.call(t, e, "alice", "DELETE", "/api/v1/me/follows/SX-YL-012", ""); r.status != 204 {
			t.Fatalf("unfollow: %d %s", r.status, r.body)
		}
		must(0, b.log.Deliver(ctx))
		if h := b.home(t, e, "alice"); len(h.Services) > 0 && h.Services[0].Reason == "mine" {
			t.Fatalf("unfollow not seen on b: %+v", h.Services)
		}

		// An application submitted on a (application.changed).
		app := decode[application.Application](t, a.call(t, e, "alice", "POST", "/api/v1/me/applications", cardLoss))
		must(0, b.log.Deliver(ctx))
		h = b.home(t, e, "alice")
		if len(h.InProgress) != 1 || h.InProgress[0].Status != event.StatusSubmitted {
			t.Fatalf("submission not seen on b: %+v", h.InProgress)
		}
		// A step from the 经办 system's webhook, received by a.
		body := webhookBody(app.ID, 1, event.StatusAccepted, "ev-home-1")
		if r := do(t, a.srv.App(), "POST", "/api/v1/upstream/events", strings.NewReader(body), signed(body, time.Now(), meSecret)...); r.status != 200 {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
		must(0, b.log.Deliver(ctx))
		if h := b.home(t, e, "alice"); len(h.InProgress) != 1 || h.InProgress[0].Status != event.StatusAccepted {
			t.Fatalf("step not seen on b: %+v", h.InProgress)
		}

		// bob's entry is untouched by alice's events; a guide event drops everyone's.
		b.home(t, e, "bob")
		must(people.Update(ctx, "bob", person.Patch{City: ptr("汉中市")}, person.Declared))
		must(0, b.log.Deliver(ctx))
		if h := b.home(t, e, "bob"); h.City != "" {
			t.Fatalf("bob's home recomputed on alice's events: %+v", h)
		}
		must(0, e.log.Publish(ctx, event.Event{Topic: event.GuidePublished, Key: "SX-YL-012", At: time.Now()}))
		must(0, b.log.Deliver(ctx))
		if h := b.home(t, e, "bob"); h.City != "汉中市" {
			t.Fatalf("guide published, bob's home still cached: %+v", h)
		}
	})
}

// TestHomeCacheETag keeps 304 answers working from the cache, and a change gives a new ETag.
func TestHomeCacheETag(t *testing.T) {
	e := newMeEnv(t, dbtest.SQLite(t), MeLimits{})
	r := e.call(t, "alice", "GET", "/api/v1/me/home", "")
	etag := r.header.Get("ETag")
	if r := e.call(t, "alice", "GET", "/api/v1/me/home", "", "If-None-Match", etag); r.status != 304 || r.header.Get("ETag") != etag {
		t.Fatalf("cached home: %d %q", r.status, r.header.Get("ETag"))
	}
	e.call(t, "alice", "PATCH", "/api/v1/me", `{"city":"西安市"}`)
	if r := e.call(t, "alice", "GET", "/api/v1/me/home", "", "If-None-Match", etag); r.status != 200 || r.header.Get("ETag") == etag {
		t.Fatalf("changed home: %d %q", r.status, r.header.Get("ETag"))
	}
	// the first read and the one after the change missed, the revalidation hit
	m := do(t, e.srv.App(), "GET", "/metrics", strings.NewReader(""))
	for _, want := range []string{`shebao_home_cache_requests_total{result="hit"} 1`, `shebao_home_cache_requests_total{result="miss"} 2`} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A client that takes gzip gets the same home gzipped, with its own validator; the gzipped form
// is made once per cached body, and either validator revalidates.
func TestHomeGzip(t *testing.T) {
	e := newMeEnv(t, dbtest.SQLite(t), MeLimits{})
	plain := e.call(t, "alice", "GET", "/api/v1/me/home", "")
	z := e.call(t, "alice", "GET", "/api/v1/me/home", "", "Accept-Encoding", "gzip, deflate, br")
	if z.status != 200 || z.header.Get("Content-Encoding") != "gzip" || !strings.Contains(z.header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip home: %d %v", z.status, z.header)
	}
	r, err := gzip.NewReader(bytes.NewReader([]byte(z.body)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(r)
	if err != nil || string(body) != string(plain.body) {
		t.Fatalf("gunzipped home differs: %v\n%s\n%s", err, body, plain.body)
	}
	if len(z.body) >= len(plain.body) {
		t.Errorf("gzipped %d bytes, plain %d", len(z.body), len(plain.body))
	}
	if plain.header.Get("Content-Encoding") != "" || z.header.Get("ETag") == plain.header.Get("ETag") {
		t.Fatalf("validators: plain %q, gzip %q", plain.header.Get("ETag"), z.header.Get("ETag"))
	}
	// the gzipped form is kept beside the cached body (alice's token names her alice)
	day := beijing.In(e.srv.now()).Format("2006-01-02")
	if _, _, gz, ok := e.srv.Home.get("alice", "alice", day); !ok || !bytes.Equal(gz, []byte(z.body)) {
		t.Fatal("the gzipped form was not kept")
	}
	for _, etag := range []string{plain.header.Get("ETag"), z.header.Get("ETag")} {
		for _, ae := range []string{"", "gzip"} {
			if r := e.call(t, "alice", "GET", "/api/v1/me/home", "", "If-None-Match", etag, "Accept-Encoding", ae); r.status != 304 {
				t.Errorf("If-None-Match %s, Accept-Encoding %q: %d", etag, ae, r.status)
			}
		}
	}
}

func TestHomeCacheRules(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	h := NewHomeCache(HomeCacheOptions{Size: 2, TTL: time.Minute, Now: clock})
	put := func(sub string) { h.put(sub, "n", "d1", h.start(), []byte(sub), "e-"+sub) }
	hit := func(sub, name, day string) bool { _, _, _, ok := h.get(sub, name, day); return ok }

	put("a")
	if !hit("a", "n", "d1") || hit("a", "other name", "d1") || hit("a", "n", "d2") {
		t.Fatal("an entry is for its token name and day only")
	}
	now = now.Add(time.Minute)
	if hit("a", "n", "d1") {
		t.Fatal("entry outlived its TTL")
	}

	// A body whose computation began before an invalidation is not stored.
	from := h.start()
	h.Invalidate("a")
	h.put("a", "n", "d1", from, []byte("stale"), "stale")
	if hit("a", "n", "d1") {
		t.Fatal("stale body stored after the invalidation")
	}
	from = h.start()
	h.InvalidateAll()
	h.put("b", "n", "d1", from, []byte("stale"), "stale")
	if hit("b", "n", "d1") {
		t.Fatal("stale body stored after invalidating all")
	}

	// Bounded, and an evicted tombstone still keeps a late stale body out.
	from = h.start()
	h.Invalidate("x")
	put("y")
	put("z") // evicts x's tombstone
	h.put("x", "n", "d1", from, []byte("stale"), "stale")
	if hit("x", "n", "d1") {
		t.Fatal("stale body stored after its tombstone was evicted")
	}
	if h.c.Len() > 2 {
		t.Fatalf("cache holds %d entries, want at most 2", h.c.Len())
	}

	// Events: a malformed application step drops everything rather than nothing.
	put("y")
	h.Handle(event.Event{Topic: event.ApplicationChanged, Data: []byte(`{`)})
	if hit("y", "n", "d1") {
		t.Fatal("malformed application event left entries in place")
	}

	// One person.changed for many people (a campaign's batch) drops each of them, no one else.
	put("y")
	put("z")
	h.Handle(event.Event{Topic: event.PersonChanged, Data: []byte(`{"subjects":["z"]}`)})
	if hit("z", "n", "d1") || !hit("y", "n", "d1") {
		t.Fatal("a batched person.changed dropped the wrong entries")
	}
	h.Handle(event.Event{Topic: event.PersonChanged, Data: []byte(`{`)})
	if hit("y", "n", "d1") {
		t.Fatal("a malformed batched person.changed left entries in place")
	}
}

func ptr[T any](v T) *T { return &v }
