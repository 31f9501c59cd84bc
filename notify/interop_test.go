package notify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// wptEnv names the URL of a running web-push-testing server (npm web-push-testing, an
// independent implementation of a push service that decrypts aes128gcm and checks VAPID). .ci/run
// starts one from notify/testdata/webpushtesting and sets it.
const wptEnv = "SHEBAO_WEBPUSH_TESTING_URL"

func wptPost(t *testing.T, base, path string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		var e any
		json.NewDecoder(res.Body).Decode(&e)
		t.Fatalf("%s: %d %v", path, res.StatusCode, e)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestInteropWithWebPushTesting subscribes at web-push-testing as a browser would, sends through
// the whole pipeline (inbox, queue, worker, webpush-go) and reads back what that service
// decrypted, with our VAPID signature checked by its code — before and after a key rotation.
func TestInteropWithWebPushTesting(t *testing.T) {
	base := dbtest.Getenv(t, wptEnv, "set "+wptEnv+" to a running web-push-testing server (.ci/run does)")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(o *Options) {
			// web-push-testing hands out endpoints on localhost.
			o.Endpoints = &EndpointPolicy{InsecureTestHosts: []string{"localhost:" + u.Port(), u.Host}}
		})
		type sub struct {
			Data struct {
				SubscriptionInput
				ClientHash string `json:"clientHash"`
			} `json:"data"`
		}
		subscribe := func() sub {
			var s sub
			wptPost(t, base, "/subscribe", map[string]string{"applicationServerKey": e.s.VAPIDPublicKey(), "userVisibleOnly": "true"}, &s)
			if _, err := e.s.Subscribe(e.ctx, "p1", s.Data.SubscriptionInput); err != nil {
				t.Fatal(err)
			}
			return s
		}
		first := subscribe()
		if _, err := e.s.RotateVAPIDKey(e.ctx); err != nil {
			t.Fatal(err)
		}
		second := subscribe()
		msgs := []Message{msg("p1", "app:A-7:1"), {Key: "campaign:3:p1", Person: "p1", Kind: KindCertification,
			Title: "请完成养老金领取资格认证", Body: "您的资格认证将于7天内到期，请在“陕西社会保险”App内完成刷脸认证。", Link: "/services/certification", Urgent: true}}
		for _, m := range msgs {
			e.notify(m)
		}
		e.run()
		for _, m := range msgs {
			evs := e.events(m.Key)
			if len(evs) != 3 || evs[1] != EvSent || evs[2] != EvSent {
				log, _ := e.s.DeliveryLog(e.ctx, LogFilter{Person: "p1"})
				t.Fatalf("%s: %v %+v", m.Key, evs, log)
			}
		}
		for _, s := range []sub{first, second} {
			var got struct {
				Data struct {
					Messages []string `json:"messages"`
				} `json:"data"`
			}
			wptPost(t, base, "/get-notifications", map[string]string{"clientHash": s.Data.ClientHash}, &got)
			if len(got.Data.Messages) != len(msgs) {
				t.Fatalf("%d messages arrived, want %d", len(got.Data.Messages), len(msgs))
			}
			for i, raw := range got.Data.Messages {
				var p Payload
				if err := json.Unmarshal([]byte(raw), &p); err != nil {
					t.Fatalf("not our JSON: %q", raw)
				}
				m := msgs[i]
				if p.Title != m.Title || p.Body != m.Body || p.Tag != m.Key || p.URL != e.s.opts.BaseURL+m.Link {
					t.Fatalf("arrived %+v, sent %+v", p, m)
				}
			}
		}
	})
}
