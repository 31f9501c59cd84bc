package assistant

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/eventlog"
)

// replica is one of two chat servers sharing a database, each with its own event log following
// it (as two processes would), polling often so that the tests do not wait.
type replica struct {
	svc *Service
	srv *httptest.Server
}

func newReplica(t *testing.T, d *db.DB, mutate func(*Options)) replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log, err := eventlog.Open(ctx, d, eventlog.Options{Poll: 20 * time.Millisecond, Log: slogDiscard()})
	if err != nil {
		t.Fatal(err)
	}
	go log.Run(ctx)
	corpus := NewCorpus(testGuides(t))
	o := Options{DB: d, Retriever: corpus, Guides: corpus, Log: slogDiscard(), Events: log}
	if mutate != nil {
		mutate(&o)
	}
	s, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); s.Close(); cancel() })
	return replica{svc: s, srv: srv}
}

// seqs checks that events carry the durable seqs from..to in order, and returns the next.
func wantSeqs(t *testing.T, evs []serverEvent, from int64) int64 {
	t.Helper()
	for _, ev := range evs {
		if ev.Seq != from {
			t.Fatalf("event %s: seq %d, want %d (a frame was lost or repeated)", ev.raw, ev.Seq, from)
		}
		from++
	}
	return from
}

// A session opened on server A resumes on server B with every frame after the client's last
// seq; frames stored by A while the client is on B reach it; seqs are never reused; a connection
// on A takes the session back from B.
func TestReplicasResumeOnAnotherServer(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, d *db.DB) {
		a, b := newReplica(t, d, nil), newReplica(t, d, nil)
		ca := dial(t, wsURL(a.srv), nil)
		ready := ca.hello(nil)
		for _, q := range []string{"社保卡丢了怎么办", "养老金认证要带什么材料", "异地就医备案要多久"} {
			ca.send(map[string]any{"type": "message", "id": "a-" + q, "text": q})
			ca.until(EventAnswer)
		}
		ca.ws.Close()

		// On B, having seen only seq 1: 2 and 3 are replayed, in order.
		cb := dial(t, wsURL(b.srv), nil)
		rb := cb.hello(map[string]any{"session_id": ready.SessionID, "last_seq": 1})
		if !rb.Resumed || rb.Replay != 2 || rb.Seq != 1 {
			t.Fatalf("ready on B: %s", rb.raw)
		}
		next := wantSeqs(t, []serverEvent{cb.next(), cb.next()}, 2)
		// A message sent on A already is not answered again on B.
		cb.send(map[string]any{"type": "message", "id": "a-异地就医备案要多久", "text": "异地就医备案要多久"})
		cb.send(map[string]any{"type": "ping", "id": "p1"})
		if ev := cb.next(); ev.Type != EventPong {
			t.Fatalf("resent message answered on B: %s", ev.raw)
		}
		cb.send(map[string]any{"type": "message", "id": "b-1", "text": "失业金怎么领"})
		ans, _ := cb.until(EventAnswer)
		next = wantSeqs(t, []serverEvent{ans}, next)

		// A turn run by A while the connection is on B (a turn A was still running when the
		// client moved): its answer reaches the client through the event log.
		got, err := a.svc.Answer(context.Background(), ready.SessionID, "社保卡丢了怎么办")
		if err != nil || got.Seq != next {
			t.Fatalf("answer on A: seq %d (want %d) %v", got.Seq, next, err)
		}
		ev, err := cb.read(20 * time.Second) // a hang detector
		if err != nil || ev.Type != EventAnswer {
			t.Fatalf("frame stored by A did not reach the client on B: %v %s", err, ev.raw)
		}
		next = wantSeqs(t, []serverEvent{ev}, next)
		// B numbers its next frame after A's.
		cb.send(map[string]any{"type": "message", "id": "b-2", "text": "养老金认证要带什么材料"})
		ans, _ = cb.until(EventAnswer)
		next = wantSeqs(t, []serverEvent{ans}, next)

		// The client comes back to A: B lets its connection go.
		ca2 := dial(t, wsURL(a.srv), nil)
		ra := ca2.hello(map[string]any{"session_id": ready.SessionID, "last_seq": next - 1})
		if !ra.Resumed || ra.Replay != 0 || ra.Seq != next-1 {
			t.Fatalf("ready back on A: %s", ra.raw)
		}
		if code := cb.closeCode(20 * time.Second); code != CloseReplaced {
			t.Errorf("B's connection closed with %d, want %d", code, CloseReplaced)
		}
		ca2.send(map[string]any{"type": "message", "id": "a-4", "text": "失业金怎么领"})
		ans, _ = ca2.until(EventAnswer)
		wantSeqs(t, []serverEvent{ans}, next)
	})
}

// A turn whose server died (claimed in the store, never ended) is ended on the server the
// client reconnects to, with a durable turn_interrupted frame, once its time is up — at once
// when it is overdue, or when it falls due while the client waits; the message may be resent.
func TestReplicasTurnOfDeadServerEnded(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, d *db.DB) {
		a, b := newReplica(t, d, nil), newReplica(t, d, nil)
		ctx := context.Background()
		ca := dial(t, wsURL(a.srv), nil)
		ready := ca.hello(nil)
		ca.send(map[string]any{"type": "message", "id": "m1", "text": "社保卡丢了怎么办"})
		first, _ := ca.until(EventAnswer)
		ca.ws.Close()
		// A claims m2 and dies before answering: its time is already up.
		if c, err := a.svc.store.claimTurn(ctx, ready.SessionID, "m2", time.Now().Add(-time.Second)); !c.ok || err != nil {
			t.Fatalf("claim: %+v %v", c, err)
		}
		cb := dial(t, wsURL(b.srv), nil)
		rb := cb.hello(map[string]any{"session_id": ready.SessionID, "last_seq": first.Seq})
		if rb.Replay != 1 {
			t.Fatalf("ready on B: %s", rb.raw)
		}
		ev := cb.next()
		if ev.Type != EventError || ev.Code != "turn_interrupted" || ev.ReplyTo != "m2" || ev.Seq != first.Seq+1 {
			t.Fatalf("want a stored turn_interrupted for m2, got %s", ev.raw)
		}
		// The message is answered when sent again.
		cb.send(map[string]any{"type": "message", "id": "m2", "text": "养老金认证要带什么材料"})
		ans, _ := cb.until(EventAnswer)
		if ans.ReplyTo != "m2" || ans.Seq != ev.Seq+1 {
			t.Fatalf("resent m2: %s", ans.raw)
		}
		// A turn not yet due when the client arrives: while it runs the session is busy, and the
		// frame comes once it falls due (on a slow machine it may be due before the next message
		// is claimed: then that claim ends it first).
		if c, err := a.svc.store.claimTurn(ctx, ready.SessionID, "m3", time.Now().Add(2*time.Second)); !c.ok || err != nil {
			t.Fatalf("claim: %+v %v", c, err)
		}
		cb.ws.Close()
		cb = dial(t, wsURL(b.srv), nil)
		cb.hello(map[string]any{"session_id": ready.SessionID, "last_seq": ans.Seq})
		cb.send(map[string]any{"type": "message", "id": "m4", "text": "失业金怎么领"})
		for {
			ev, _ = cb.until(EventError)
			if ev.Code != "busy" {
				break
			}
		}
		if ev.Code != "turn_interrupted" || ev.ReplyTo != "m3" || ev.Seq != ans.Seq+1 {
			t.Fatalf("want turn_interrupted for m3, got %s", ev.raw)
		}
	})
}

// A signed-in hello adopts the anonymous session it resumes (the client that opened it knows its
// id); an adopted session is its owner's: neither an anonymous client nor another person resumes it.
func TestAdoptAnonymousSession(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, d *db.DB) {
		verify := func(o *Options) {
			o.Verifier = fakeVerifier{"tok-a": {Subject: "user-a"}, "tok-b": {Subject: "user-b"}}
		}
		a, b := newReplica(t, d, verify), newReplica(t, d, verify)
		anon := dial(t, wsURL(a.srv), nil)
		ready := anon.hello(nil)
		anon.send(map[string]any{"type": "message", "id": "q1", "text": "社保卡丢了怎么办"})
		anon.until(EventAnswer)
		anon.ws.Close()

		// Signed in on the other server: the same session, adopted, nothing lost.
		in := dial(t, wsURL(b.srv), nil)
		r := in.hello(map[string]any{"token": "tok-a", "session_id": ready.SessionID, "last_seq": 0})
		if !r.Resumed || r.SessionID != ready.SessionID || r.Anonymous || r.Replay != 1 || !strings.Contains(r.raw, `"adopted":true`) {
			t.Fatalf("signed-in hello on an anonymous session: %s", r.raw)
		}
		in.next()
		in.ws.Close()
		for _, tc := range []struct {
			name  string
			token string
		}{{"anonymous", ""}, {"another person", "tok-b"}} {
			c := dial(t, wsURL(a.srv), nil)
			c.send(map[string]any{"type": "hello", "token": tc.token, "session_id": ready.SessionID})
			if ev := c.next(); ev.Code != "session_not_found" {
				t.Errorf("%s resuming an adopted session: %s", tc.name, ev.raw)
			}
			if ev := c.next(); ev.SessionID == ready.SessionID {
				t.Errorf("%s got the adopted session", tc.name)
			}
		}
		again := dial(t, wsURL(a.srv), nil)
		if r := again.hello(map[string]any{"token": "tok-a", "session_id": ready.SessionID}); !r.Resumed || strings.Contains(r.raw, "adopted") {
			t.Errorf("owner back: %s", r.raw)
		}
	})
}
