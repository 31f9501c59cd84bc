package notify

import (
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
	})
}
