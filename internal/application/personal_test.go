package application

import (
	"context"
	"strings"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/person"
)

func TestPersonalAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		st := newStack(t, d, c, nil)
		ctx := context.Background()
		p := &Personal{Apps: st.svc, People: st.people}
		now := c.Now()
		ask := func(subject, q string) (string, string, bool) {
			t.Helper()
			route, reply, ok, err := p.Answer(ctx, subject, q, now)
			if err != nil {
				t.Fatal(err)
			}
			return route, reply, ok
		}
		if _, reply, ok := ask("", "我的社保卡挂失申请到哪一步了"); !ok || !strings.Contains(reply, "登录") {
			t.Fatalf("anonymous: %v %q", ok, reply)
		}
		// Anonymous: their own retirement month needs their profile; a question that says its
		// own birth month is the general calculator's.
		if route, reply, ok := ask("", "我什么时候退休"); !ok || route != "retirement" || !strings.Contains(reply, "登录") {
			t.Fatalf("anonymous retirement: %v %q %q", ok, route, reply)
		}
		if _, reply, ok := ask("", "63年5月出生的男职工什么时候退休"); ok {
			t.Fatalf("a question giving its birth month was taken from the calculator: %q", reply)
		}
		if _, reply, ok := ask("alice", "我的社保卡挂失办得怎么样了"); !ok || !strings.Contains(reply, "没有查到") {
			t.Fatalf("no application: %v %q", ok, reply)
		}
		a := submit(t, st, "alice")
		must(st.svc.Ingest(ctx, step(a.ID, 1, event.StatusNeedsSupplement)))
		route, reply, ok := ask("alice", "我的社保卡挂失到哪一步了")
		if !ok || route != "account" || !strings.Contains(reply, "需补正") || !strings.Contains(reply, "社会保障卡挂失与解挂") || !strings.Contains(reply, "补正") {
			t.Fatalf("progress: %v %q", ok, reply)
		}
		if _, reply, _ := ask("alice", "我的失业金申请到哪一步了"); !strings.Contains(reply, "没有查到") {
			t.Fatalf("another topic found the card application: %q", reply)
		}
		if _, _, ok := ask("bob", "我的社保卡挂失到哪一步了"); !ok {
			t.Fatal("bob's question not answered")
		} else if _, reply, _ := ask("bob", "我的社保卡挂失到哪一步了"); strings.Contains(reply, "需补正") {
			t.Fatalf("bob sees alice's application: %q", reply)
		}

		// Retirement from the profile, without asking again; without the profile, not answered here.
		if _, _, ok := ask("alice", "我什么时候退休"); ok {
			t.Fatal("answered retirement without a birth month")
		}
		must(st.people.Update(ctx, "alice", person.Patch{BirthMonth: ptr("1966-09"), Category: ptr("male")}, person.Declared))
		route, reply, ok = ask("alice", "我什么时候退休")
		if !ok || route != "retirement" || !strings.Contains(reply, "1966年9月") || !strings.Contains(reply, "2027年3月退休") {
			t.Fatalf("retirement: %v %q", ok, reply)
		}
		if _, _, ok := ask("alice", "我65年的什么时候退休"); ok {
			t.Fatal("a question stating its own birth year went to the profile")
		}
		if _, _, ok := ask("alice", "失业保险金怎么申请"); ok {
			t.Fatal("a guide question was taken")
		}
	})
}

func ptr(s string) *string { return &s }
