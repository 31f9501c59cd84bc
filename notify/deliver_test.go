package notify

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/golang-jwt/jwt/v5"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/queue"
	"shebao/notify/ece"
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
			e.s.push.(*WebPush).conns.timeout = 50 * time.Millisecond
			defer func() { e.s.push.(*WebPush).conns.timeout = 10 * time.Second }()
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
		// Held when queued: the job waits for 08:00 unclaimed, and the log says so already.
		e.wantEvents(t, "night", "queued,held")
		if j, _ := e.q.Get(e.ctx, "notify:night"); !j.RunAt.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("queued for %v, want 08:00 Beijing", j.RunAt)
		}
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

// captured is one request as a push service received it.
type captured struct {
	header http.Header
	body   []byte
}

// captureServer answers 201 to everything and keeps what arrived.
func captureServer(t *testing.T) (*httptest.Server, func() []captured) {
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured { mu.Lock(); defer mu.Unlock(); return append([]captured(nil), got...) }
}

// parseVAPID splits "vapid t=…, k=…" and returns the claims, verified with k.
func parseVAPID(t *testing.T, h string) (jwt.MapClaims, string) {
	t.Helper()
	tok, kb, err := pushtest.ParseVAPID(h)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), kb)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"})).ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
		t.Fatalf("JWT does not verify with k: %v", err)
	}
	return claims, base64.RawURLEncoding.EncodeToString(kb)
}

// TestWebPushMatchesWebpushGo sends one payload through our send path and through webpush-go
// (the reference it was forked from) to a capturing server: both bodies decrypt to the same
// payload with the same record layout, and the headers match — except `sub`, where webpush-go
// prefixes "mailto:" to a subject that already has it.
func TestWebPushMatchesWebpushGo(t *testing.T) {
	srv, got := captureServer(t)
	ua, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	sub := Subscription{Endpoint: srv.URL + "/push/abc", P256dh: base64.RawURLEncoding.EncodeToString(ua.PublicKey().Bytes()),
		Auth: base64.RawURLEncoding.EncodeToString(auth)}
	vPriv, vPub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	const subject = "mailto:ops@shebao.gov.cn"
	s := &Service{opts: Options{BaseURL: "https://app.shebao.gov.cn"}, unsub: make([]byte, 32)}
	p := s.payload("p1", KindCertification, "请完成养老金领取资格认证", "您的资格认证将于7天内到期。", "/services/certification", "campaign:1:p1", "", true)
	ours := &WebPush{Client: srv.Client(), Subject: subject}
	if o := ours.Send(t.Context(), Address{Subscription: sub, VAPIDPublic: vPub, VAPIDPrivate: vPriv}, p); o.Err != nil || o.Status != 201 {
		t.Fatalf("our send: %+v", o)
	}
	plain, _ := json.Marshal(p)
	resp, err := webpush.SendNotification(plain, &webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}},
		&webpush.Options{HTTPClient: srv.Client(), RecordSize: uint32(len(plain) + 16 + 86 + 1), Subscriber: subject, Topic: p.Topic,
			TTL: int(p.TTL / time.Second), Urgency: webpush.Urgency(p.Urgency), VAPIDPublicKey: vPub, VAPIDPrivateKey: vPriv})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reqs := got()
	if len(reqs) != 2 {
		t.Fatalf("%d requests arrived", len(reqs))
	}
	a, b := reqs[0], reqs[1]
	for _, h := range []string{"Content-Encoding", "Content-Type", "Ttl", "Topic", "Urgency"} {
		if a.header.Get(h) != b.header.Get(h) || a.header.Get(h) == "" {
			t.Errorf("%s: ours %q, webpush-go %q", h, a.header.Get(h), b.header.Get(h))
		}
	}
	ca, ka := parseVAPID(t, a.header.Get("Authorization"))
	cb, kb := parseVAPID(t, b.header.Get("Authorization"))
	if ka != kb || ka != strings.TrimRight(vPub, "=") {
		t.Errorf("k: ours %q, webpush-go %q, key %q", ka, kb, vPub)
	}
	if ca["aud"] != cb["aud"] || ca["aud"] != srv.URL {
		t.Errorf("aud: ours %v, webpush-go %v, origin %s", ca["aud"], cb["aud"], srv.URL)
	}
	ea, _ := ca.GetExpirationTime()
	eb, _ := cb.GetExpirationTime()
	if d := ea.Sub(eb.Time); d < -time.Minute || d > time.Minute {
		t.Errorf("exp: ours %v, webpush-go %v", ea, eb)
	}
	if ca["sub"] != subject || cb["sub"] != "mailto:"+subject {
		t.Errorf("sub: ours %v (want %s), webpush-go %v", ca["sub"], subject, cb["sub"])
	}
	if len(a.body) != len(b.body) || string(a.body[16:21]) != string(b.body[16:21]) {
		t.Errorf("record layout differs: ours %d bytes %x, webpush-go %d bytes %x", len(a.body), a.body[16:21], len(b.body), b.body[16:21])
	}
	if rs := binary.BigEndian.Uint32(a.body[16:20]); int(rs) != len(plain)+16+86+1 {
		t.Errorf("record size %d", rs)
	}
	for i, r := range []captured{a, b} {
		dec, err := ece.Decrypt(ua, auth, r.body)
		if err != nil {
			t.Fatalf("request %d does not decrypt: %v", i, err)
		}
		if string(dec) != string(plain) {
			t.Errorf("request %d decrypts to %q, want %q", i, dec, plain)
		}
	}
}

// TestVAPIDTokenCache: one token per (origin, key), reused until an hour before its exp, then
// signed anew; a public key is derived once per private key.
func TestVAPIDTokenCache(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	w := &WebPush{Subject: "https://shebao.gov.cn/contact", Now: func() time.Time { return now }}
	k1, pub1, _ := webpush.GenerateVAPIDKeys()
	k2, _, _ := webpush.GenerateVAPIDKeys()
	h := func(endpoint, key string) string {
		t.Helper()
		v, err := w.authorization(endpoint, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := h("https://fcm.googleapis.com/fcm/send/a", k1)
	if h("https://fcm.googleapis.com/fcm/send/b", k1) != first {
		t.Error("a second endpoint at the same origin got a new token")
	}
	if h("https://updates.push.services.mozilla.com/wpush/v2/x", k1) == first {
		t.Error("another origin reused the token")
	}
	if h("https://fcm.googleapis.com/fcm/send/c", k2) == first {
		t.Error("another key reused the token")
	}
	claims, k := parseVAPID(t, first)
	if k != pub1 || claims["aud"] != "https://fcm.googleapis.com" || claims["sub"] != w.Subject {
		t.Errorf("claims %v, k %s", claims, k)
	}
	exp, _ := claims.GetExpirationTime()
	if !exp.Equal(now.Add(jwtLife)) {
		t.Errorf("exp %v, want %v", exp, now.Add(jwtLife))
	}
	now = now.Add(jwtLife - jwtRefresh - time.Second)
	if h("https://fcm.googleapis.com/fcm/send/a", k1) != first {
		t.Error("renewed before the refresh point")
	}
	now = now.Add(2 * time.Second)
	renewed := h("https://fcm.googleapis.com/fcm/send/a", k1)
	if renewed == first {
		t.Fatal("not renewed an hour before exp")
	}
	c2, _ := parseVAPID(t, renewed)
	if e2, _ := c2.GetExpirationTime(); !e2.Equal(now.Add(jwtLife).Truncate(time.Second)) {
		t.Errorf("renewed exp %v", e2)
	}
	if len(w.keys) != 2 {
		t.Errorf("%d parsed keys, want 2", len(w.keys))
	}
}

// TestPayloadJSON: the payload a push carries, written without reflection, decodes to the same
// fields as encoding/json's form of it, HTML and control characters included.
func TestPayloadJSON(t *testing.T) {
	p := Payload{Title: `请完成"认证"`, Body: "<b>到期</b> & 截止\n第2行\t\u2028", URL: "https://app.example.cn/#/a?b=1&c=2",
		Tag: "campaign:12:p1", Urgency: "high", Unsubscribe: "https://app.example.cn/u?t=\\x", TTL: time.Hour, Topic: "t"}
	var got, want map[string]string
	if err := json.Unmarshal(p.appendJSON(nil), &got); err != nil {
		t.Fatal(err)
	}
	ref, _ := json.Marshal(p)
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != 6 {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}
