package bff

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/notify"
)

// countingUnread is an UnreadCounter that is not an UnreadQuery: the home screen asks it.
type countingUnread struct{ n int }

func (c *countingUnread) UnreadCount(context.Context, string) (int, error) { c.n++; return 7, nil }

// TestHomeUnreadNotices: with notify's inbox (an UnreadQuery) the home screen's unread count
// comes from its one store query and is each person's own; an UnreadCounter that is not one is
// asked instead.
func TestHomeUnreadNotices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newMeEnv(t, d, MeLimits{})
		ns := must(notify.Open(ctx, notify.Options{DB: d, Queue: e.jobs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		for i, who := range []string{"alice", "alice", "bob"} {
			if _, err := ns.Notify(ctx, nil, notify.Message{Person: who, Kind: notify.KindProgress, Key: "n" + string(rune('a'+i)), Title: "办理进度", Body: "已受理"}); err != nil {
				t.Fatal(err)
			}
		}
		e.srv.Unread = ns
		for who, want := range map[string]int{"alice": 2, "bob": 1} {
			if h := decode[homeBody](t, e.call(t, who, "GET", "/api/v1/me/home", "")); h.UnreadNotices != want {
				t.Errorf("%s: %d unread, want %d", who, h.UnreadNotices, want)
			}
		}
		c := &countingUnread{}
		e.srv.Unread, e.srv.Home = c, NewHomeCache(HomeCacheOptions{})
		if h := decode[homeBody](t, e.call(t, "alice", "GET", "/api/v1/me/home", "")); h.UnreadNotices != 7 || c.n != 1 {
			t.Errorf("a counter that is no query: %d unread, asked %d times", h.UnreadNotices, c.n)
		}
	})
}
