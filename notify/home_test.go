package notify

import (
	"strconv"
	"testing"

	"shebao/internal/event"
	"shebao/internal/eventlog"
)

// TestNewNoticeTellsTheHomeScreen: a new notice changes the person's unread count, so it appends
// person.changed for that person (home-screen caches in every replica drop the entry); a notice
// already there (same key) appends nothing.
func TestNewNoticeTellsTheHomeScreen(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		l, err := eventlog.Open(e.ctx, e.db, eventlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m := Message{Person: "p1", Kind: KindProgress, Key: "home-1", Title: "办理进度", Body: "已受理"}
		for range 2 {
			if _, err := e.s.Notify(e.ctx, nil, m); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := l.Read(e.ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Topic == event.PersonChanged {
				if ev.Key != "p1" {
					t.Fatalf("person.changed for %q", ev.Key)
				}
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d person.changed events, want 1", n)
		}
		// Many notices at once (a campaign's batch): one event naming each person once.
		var msgs []Message
		for _, p := range []string{"p2", "p3", "p2"} {
			m.Person, m.Key = p, "home-2-"+p+"-"+strconv.Itoa(len(msgs))
			msgs = append(msgs, m)
		}
		if k, err := e.s.Notify(e.ctx, nil, msgs...); err != nil || k != 3 {
			t.Fatalf("notify: %d, %v", k, err)
		}
		evs, _ = l.Read(e.ctx, evs[len(evs)-1].ID, 100)
		if len(evs) != 1 || evs[0].Topic != event.PersonChanged || evs[0].Key != "" || string(evs[0].Data) != `{"subjects":["p2","p3"]}` {
			t.Fatalf("events after a batch: %+v", evs)
		}
	})
}
