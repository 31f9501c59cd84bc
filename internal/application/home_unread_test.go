package application

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/notify"
)

// TestHomeCountsUnreadNoticesInItsQuery: with notify's UnreadSQL, Home's one query also gives the
// person's unread notices — what notify's own count says, for the person with notices (some
// read), another person and one with none — and without it Unread stays 0; on SQLite the
// count reads the inbox index alone.
func TestHomeCountsUnreadNoticesInItsQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := newStack(t, d, newClock(), nil)
		ns := must(notify.Open(ctx, notify.Options{DB: d, Queue: st.jobs, People: st.people, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		for i, who := range []string{"alice", "alice", "alice", "bob"} {
			m := notify.Message{Person: who, Kind: notify.KindProgress, Key: "k" + string(rune('a'+i)), Title: "办理进度", Body: "已受理"}
			if _, err := ns.Notify(ctx, nil, m); err != nil {
				t.Fatal(err)
			}
		}
		page := must(ns.Notices(ctx, "alice", 1, 10))
		must(0, ns.MarkRead(ctx, "alice", page.Notices[0].ID))
		for who, want := range map[string]int{"alice": 2, "bob": 1, "carol": 0} {
			h := must(st.svc.Home(ctx, who, 5, 8, notify.UnreadSQL))
			if n := must(ns.UnreadCount(ctx, who)); h.Unread != want || n != want {
				t.Errorf("%s: home %d, notify %d unread; want %d", who, h.Unread, n, want)
			}
		}
		if h := must(st.svc.Home(ctx, "alice", 5, 8, "")); h.Unread != 0 {
			t.Errorf("without the unread query: %d", h.Unread)
		}
		if d.Dialect == db.SQLite {
			plan := dbtest.SQLitePlan(t, d, homeQuery(notify.UnreadSQL), "p", 5, "p", "p", "p", 8, "p")
			if !strings.Contains(plan, "COVERING INDEX notify_notices_inbox") {
				t.Fatalf("home plan %q", plan)
			}
		}
	})
}
