package notify

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/queue"
	"shebao/notify/pushtest"
)

func TestDeliveryToEveryDeviceDecryptsWithVAPID(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a, b := e.subscribe("p1"), e.subscribe("p1")
		e.subscribe("p2")
		m := msg("p1", "app:A-1:2")
		m.Collapse = "app:A-1"
		e.notify(m)
		e.notify(m) // a repeated source is a no-op
		e.run()
		if errs := e.push.Errors(); len(errs) > 0 {
			t.Fatalf("push service saw protocol errors: %v", errs)
		}
		got := e.push.Messages()
		if len(got) != 2 {
			t.Fatalf("%d pushes, want one per device of p1", len(got))
		}
		seen := map[string]bool{}
		for _, pm := range got {
			seen[pm.Subscription] = true
			var p Payload
			if err := json.Unmarshal(pm.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Title != m.Title || p.Body != m.Body || p.Tag != "app:A-1:2" || p.URL != "https://app.shebao.example.cn/applications/A-1" ||
				!strings.Contains(p.Unsubscribe, "/api/v1/push/unsubscribe?token=") || p.Urgency != "normal" {
				t.Fatalf("payload %+v", p)
			}
			if pm.Topic != topicOf("app:A-1") || pm.Urgency != "normal" || pm.TTL != int((72*time.Hour)/time.Second) {
				t.Fatalf("headers topic=%q urgency=%q ttl=%d", pm.Topic, pm.Urgency, pm.TTL)
			}
		}
		if !seen[a.ID()] || !seen[b.ID()] {
			t.Fatal("a device was missed")
		}
		e.wantEvents(t, "app:A-1:2", "queued,sent,sent")
	})
}

func TestPushServiceAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(o *Options) { o.Fail4xxLimit = 3 })
		t.Run("410 removes the subscription", func(t *testing.T) {
			s := e.subscribe("gone")
			e.push.Answer(s.ID(), pushtest.Answer{Status: http.StatusGone})
			e.notify(msg("gone", "g1"))
			e.run()
			if e.subCount("gone") != 0 || strings.Join(e.events("g1"), ",") != "queued,dropped" {
				t.Fatalf("subs %d, log %v", e.subCount("gone"), e.events("g1"))
			}
		})
		t.Run("404 removes the subscription", func(t *testing.T) {
			s := e.subscribe("nf")
			e.push.Answer(s.ID(), pushtest.Answer{Status: http.StatusNotFound})
			e.notify(msg("nf", "n1"))
			e.run()
			if e.subCount("nf") != 0 {
				t.Fatal("kept")
			}
		})
		t.Run("413 is permanent", func(t *testing.T) {
			s := e.subscribe("big")
			e.push.Answer(s.ID(), pushtest.Answer{Status: http.StatusRequestEntityTooLarge})
			e.notify(msg("big", "b1"))
			e.run()
			log, _ := e.s.DeliveryLog(e.ctx, LogFilter{Person: "big"})
			if len(log) != 2 || log[0].Event != EvFailed || log[0].Status != 413 || !strings.Contains(log[0].Detail, "bytes") {
				t.Fatalf("log %+v", log)
			}
			if j, _ := e.q.Get(e.ctx, "notify:b1"); j.State != queue.Done {
				t.Fatalf("job %s", j.State)
			}
		})
		t.Run("429 waits for Retry-After", func(t *testing.T) {
			s := e.subscribe("busy")
			e.push.Answer(s.ID(), pushtest.Answer{Status: http.StatusTooManyRequests, RetryAfter: 120, Times: 1})
			e.notify(msg("busy", "r1"))
			e.run()
			j, _ := e.q.Get(e.ctx, "notify:r1")
			if j.State != queue.Ready || !j.RunAt.Equal(e.clk.now().Add(120*time.Second)) {
				t.Fatalf("job %+v", j)
			}
			e.clk.add(119 * time.Second)
			e.run()
			if n := len(e.events("r1")); n != 2 {
				t.Fatalf("retried before Retry-After: %v", e.events("r1"))
			}
			e.clk.add(time.Second)
			e.run()
			e.wantEvents(t, "r1", "queued,retried,sent")
		})
		t.Run("5xx and network errors retry with backoff", func(t *testing.T) {
			s := e.subscribe("flaky")
			e.push.Answer(s.ID(), pushtest.Answer{Status: 500, Times: 1}, pushtest.Answer{Status: 503, Times: 1})
			e.notify(msg("flaky", "f1"))
			for range 4 {
				e.run()
				e.clk.add(time.Minute)
			}
			e.wantEvents(t, "f1", "queued,retried,retried,sent")
			e.push.SetDown(true)
			e.notify(msg("flaky", "f2"))
			e.run()
			e.push.SetDown(false)
			e.clk.add(time.Minute)
			e.run()
			e.wantEvents(t, "f2", "queued,retried,sent")
		})
		t.Run("N consecutive 4xx without a delivery drop the subscription", func(t *testing.T) {
			s := e.subscribe("dead")
			e.push.Answer(s.ID(), pushtest.Answer{Status: http.StatusForbidden})
			for i := range 3 {
				if e.subCount("dead") != 1 {
					t.Fatalf("dropped after %d", i)
				}
				e.notify(msg("dead", "d"+string(rune('0'+i))))
				e.run()
			}
			if e.subCount("dead") != 0 {
				t.Fatal("still there after 3 answers of 403")
			}
		})
		t.Run("a slow push service times out and is retried", func(t *testing.T) {
			e.s.push.(*WebPush).Client.Timeout = 50 * time.Millisecond
			defer func() { e.s.push.(*WebPush).Client.Timeout = 10 * time.Second }()
			s := e.subscribe("slow")
			e.push.Answer(s.ID(), pushtest.Answer{Delay: time.Second, Times: 1})
			e.notify(msg("slow", "s1"))
			e.run()
			e.clk.add(time.Minute)
			e.run()
			e.wantEvents(t, "s1", "queued,retried,sent")
		})
	})
}

func TestRotatedKeyKeepsOldSubscriptionsWorking(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	old := e.s.VAPIDPublicKey()
	e.subscribe("p1")
	if _, err := e.s.RotateVAPIDKey(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.s.VAPIDPublicKey() == old {
		t.Fatal("no new key")
	}
	e.subscribe("p1")
	e.notify(msg("p1", "k"))
	e.run()
	if errs := e.push.Errors(); len(errs) > 0 {
		t.Fatalf("push service refused: %v", errs)
	}
	if n := len(e.push.Messages()); n != 2 {
		t.Fatalf("%d of 2 devices reached", n)
	}
	// A restart keeps the current key.
	s2, err := Open(e.ctx, e.s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if s2.VAPIDPublicKey() != e.s.VAPIDPublicKey() {
		t.Fatal("the key changed across a restart")
	}
}

func TestPayloadOverLimitRefusedBeforeQueueing(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	m := msg("p1", "huge")
	m.Body = strings.Repeat("养", 1400) // 4200 bytes of UTF-8
	_, err := e.s.Notify(e.ctx, nil, m)
	wantCode(t, err, "payload_too_large")
	if _, err := e.q.Get(e.ctx, "notify:huge"); err == nil {
		t.Fatal("a job was queued")
	}
	if n, _ := e.s.UnreadCount(e.ctx, "p1"); n != 0 {
		t.Fatal("a notice was stored")
	}
	m.Body = strings.Repeat("养", 1000)
	if _, err := e.s.Notify(e.ctx, nil, m); err != nil {
		t.Fatalf("3 KB: %v", err)
	}
	e.subscribe("p1")
	e.run()
	if len(e.push.Messages()) != 1 || len(e.push.Errors()) != 0 {
		t.Fatalf("%v", e.push.Errors())
	}
}

func TestPreferencesQuietHoursAndUnsubscribe(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.subscribe("p1")
		// 22:30 Beijing: inside the default quiet hours.
		e.clk.add(10*time.Hour + 30*time.Minute)
		e.notify(msg("p1", "night"))
		urgent := msg("p1", "urgent")
		urgent.Urgent = true
		e.notify(urgent)
		e.run()
		e.wantEvents(t, "night", "queued,held")
		e.wantEvents(t, "urgent", "queued,sent")
		j, _ := e.q.Get(e.ctx, "notify:night")
		if want := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC); !j.RunAt.Equal(want) || j.Attempts != 0 {
			t.Fatalf("held until %v (attempts %d), want 08:00 Beijing", j.RunAt, j.Attempts)
		}
		e.clk.add(9*time.Hour + 30*time.Minute) // 08:00
		e.run()
		e.wantEvents(t, "night", "queued,held,sent")
		// A kind turned off is dropped; the inbox still has it.
		if _, err := e.s.SetPreferences(e.ctx, "p1", Preferences{Kinds: map[Kind]bool{KindPayment: false}}); err != nil {
			t.Fatal(err)
		}
		pay := msg("p1", "pay")
		pay.Kind = KindPayment
		e.notify(pay)
		e.run()
		e.wantEvents(t, "pay", "queued,dropped")
		// One-tap unsubscribe from the payload's link.
		tok := e.s.UnsubscribeToken("p1", KindGuide)
		if k, err := e.s.UnsubscribeByToken(e.ctx, tok); err != nil || k != KindGuide {
			t.Fatal(k, err)
		}
		p, _ := e.s.Preferences(e.ctx, "p1")
		if p.Kinds[KindGuide] || !p.Kinds[KindProgress] || p.Kinds[KindPayment] || p.QuietStart != "21:00" {
			t.Fatalf("prefs %+v", p)
		}
		for _, bad := range []string{"", "x", tok + "x", strings.Replace(tok, ".", "A.", 1), e.s.UnsubscribeToken("p1", "nonsense")} {
			_, err := e.s.UnsubscribeByToken(e.ctx, bad)
			wantCode(t, err, "invalid_unsubscribe_token")
		}
		for _, bad := range []Preferences{{Kinds: map[Kind]bool{"spam": true}}, {QuietStart: "25:00", QuietEnd: "08:00"}, {QuietStart: "21:00"}} {
			_, err := e.s.SetPreferences(e.ctx, "p1", bad)
			wantCode(t, err, "invalid_preferences")
		}
	})
}

func TestInbox(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		for _, k := range []string{"a", "b", "c"} {
			e.notify(msg("p1", k))
		}
		e.notify(msg("p2", "other"))
		page, err := e.s.Notices(e.ctx, "p1", 1, 10)
		if err != nil || page.Total != 3 || page.Unread != 3 || page.Notices[0].Key != "c" {
			t.Fatalf("%+v %v", page, err)
		}
		if err := e.s.MarkRead(e.ctx, "p1", page.Notices[0].ID); err != nil {
			t.Fatal(err)
		}
		page, _ = e.s.Notices(e.ctx, "p1", 1, 10)
		if keys := page.Notices[0].Key + page.Notices[1].Key + page.Notices[2].Key; keys != "bac" {
			t.Fatalf("unread first, newest first: %s", keys)
		}
		if page.Notices[2].ReadAt == nil || page.Unread != 2 {
			t.Fatal("read state")
		}
		page2, _ := e.s.Notices(e.ctx, "p1", 2, 2)
		if len(page2.Notices) != 1 || page2.Notices[0].Key != "c" {
			t.Fatalf("page 2: %+v", page2.Notices)
		}
		other, _ := e.s.Notices(e.ctx, "p2", 1, 10)
		wantCode(t, e.s.MarkRead(e.ctx, "p1", other.Notices[0].ID), "notice_not_found")
		wantCode(t, e.s.MarkRead(e.ctx, "p1", 99999), "notice_not_found")
		if n, _ := e.s.UnreadCount(e.ctx, "p1"); n != 2 {
			t.Fatalf("unread %d", n)
		}
		// No subscription: the notice is in the inbox only.
		e.run()
		e.wantEvents(t, "a", "queued,inbox_only")
	})
}

func TestUnusedSubscriptionsExpire(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.subscribe("p1")
	e.clk.add(59 * 24 * time.Hour)
	e.subscribe("p1") // the app re-posts its subscription when it opens
	e.clk.add(2 * 24 * time.Hour)
	if n, err := e.s.ExpireSubscriptions(e.ctx); err != nil || n != 1 {
		t.Fatalf("expired %d %v", n, err)
	}
	if e.subCount("p1") != 1 {
		t.Fatal("the recent one went too")
	}
}
