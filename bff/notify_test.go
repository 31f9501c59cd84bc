package bff

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"shebao/internal/dbtest"
	"shebao/internal/queue"
	"shebao/notify"
	"shebao/notify/pushtest"
)

func newNotifyEnv(t *testing.T) (*adminEnv, *notify.Service, *pushtest.Server) {
	t.Helper()
	d := dbtest.SQLite(t)
	e := newAdminEnv(t, d)
	q, err := queue.Open(context.Background(), d, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	push := pushtest.New()
	t.Cleanup(push.Close)
	ns, err := notify.Open(context.Background(), notify.Options{DB: d, Queue: q, VAPIDSubject: "mailto:ops@shebao.gov.cn",
		Endpoints: &notify.EndpointPolicy{InsecureTestHosts: []string{push.Host()}}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = New(Deps{Content: e.cs, Auth: e.srv.Auth, Notify: ns})
	return e, ns, push
}

func TestNotifyRoutes(t *testing.T) {
	e, ns, push := newNotifyEnv(t)
	if r := e.do("", "GET", "/api/v1/push/vapid-public-key", nil); r.status != 200 || r.body["public_key"] != ns.VAPIDPublicKey() {
		t.Fatalf("vapid key: %d %s", r.status, r.raw)
	}
	sub, _ := push.Subscribe(ns.VAPIDPublicKey())
	if r := e.do("", "POST", "/api/v1/push/subscriptions", sub); r.status != 401 {
		t.Fatalf("anonymous subscribe: %d", r.status)
	}
	if r := e.do("citizen", "POST", "/api/v1/push/subscriptions", sub); r.status != 201 {
		t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	bad := sub
	bad.Keys.Auth = "AAAA"
	for _, tc := range []struct {
		body any
		code string
	}{
		{bad, "invalid_subscription"},
		{`{"endpoint":`, "invalid_subscription"},
		{map[string]any{"endpoint": "http://fcm.googleapis.com/x", "keys": sub.Keys}, "push_endpoint_not_allowed"},
		{map[string]any{"endpoint": "https://10.0.0.1/x", "keys": sub.Keys}, "push_endpoint_not_allowed"},
		{map[string]any{"endpoint": "https://push.evil.example/x", "keys": sub.Keys}, "push_endpoint_not_allowed"},
	} {
		if r := e.do("citizen", "POST", "/api/v1/push/subscriptions", tc.body); r.status != 400 || r.errCode() != tc.code {
			t.Errorf("%v: %d %s", tc.body, r.status, r.raw)
		}
	}
	ns.Notify(context.Background(), nil, notify.Message{Key: "k1", Person: "citizen", Kind: notify.KindProgress, Title: "申请已受理", Body: "您的申请已受理。"})
	ns.Notify(context.Background(), nil, notify.Message{Key: "k2", Person: "editor-a", Kind: notify.KindProgress, Title: "申请已受理", Body: "您的申请已受理。"})
	r := e.do("citizen", "GET", "/api/v1/me/notices?limit=5", nil)
	if r.status != 200 || r.body["unread"].(float64) != 1 {
		t.Fatalf("notices: %d %s", r.status, r.raw)
	}
	id := r.body["notices"].([]any)[0].(map[string]any)["id"].(float64)
	if r := e.do("citizen", "GET", "/api/v1/me/notices?limit=500", nil); r.errCode() != "invalid_parameter" {
		t.Errorf("limit 500: %s", r.raw)
	}
	if r := e.do("", "GET", "/api/v1/me/notices", nil); r.status != 401 {
		t.Errorf("anonymous inbox: %d", r.status)
	}
	if r := e.do("citizen", "POST", fmt.Sprintf("/api/v1/me/notices/%d/read", int(id)), nil); r.status != 200 || r.body["unread"].(float64) != 0 {
		t.Fatalf("read: %d %s", r.status, r.raw)
	}
	if r := e.do("editor-a", "POST", fmt.Sprintf("/api/v1/me/notices/%d/read", int(id)), nil); r.errCode() != "notice_not_found" {
		t.Errorf("someone else's notice: %s", r.raw)
	}
	if r := e.do("citizen", "POST", "/api/v1/me/notices/abc/read", nil); r.errCode() != "notice_not_found" {
		t.Errorf("bad id: %s", r.raw)
	}
	if r := e.do("citizen", "PUT", "/api/v1/me/notification-settings", map[string]any{"kinds": map[string]bool{"guide": false}, "quiet_start": "22:00", "quiet_end": "07:00"}); r.status != 200 {
		t.Fatalf("settings: %d %s", r.status, r.raw)
	}
	if r := e.do("citizen", "PUT", "/api/v1/me/notification-settings", map[string]any{"quiet_start": "7点"}); r.errCode() != "invalid_preferences" {
		t.Errorf("bad quiet hours: %s", r.raw)
	}
	tok := ns.UnsubscribeToken("citizen", notify.KindPayment)
	if r := e.do("", "POST", "/api/v1/push/unsubscribe?token="+url.QueryEscape(tok), nil); r.status != 200 {
		t.Fatalf("unsubscribe: %d %s", r.status, r.raw)
	}
	if r := e.do("", "POST", "/api/v1/push/unsubscribe?token=forged", nil); r.errCode() != "invalid_unsubscribe_token" {
		t.Errorf("forged token: %s", r.raw)
	}
	r = e.do("citizen", "GET", "/api/v1/me/notification-settings", nil)
	kinds := r.body["kinds"].(map[string]any)
	if kinds["guide"] != false || kinds["payment"] != false || kinds["progress"] != true || r.body["quiet_start"] != "22:00" {
		t.Fatalf("settings: %s", r.raw)
	}
	if r := e.do("citizen", "DELETE", "/api/v1/push/subscriptions", map[string]string{"endpoint": sub.Endpoint}); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := e.do("citizen", "DELETE", "/api/v1/push/subscriptions", map[string]string{"endpoint": sub.Endpoint}); r.status != 404 {
		t.Fatalf("delete again: %d %s", r.status, r.raw)
	}
}

func TestAdminNotifyRoutes(t *testing.T) {
	e, _, _ := newNotifyEnv(t)
	in := map[string]any{"name": "缴费提醒", "segment": "resident_unpaid_next_year", "kind": "payment", "title": "城乡居民医保缴费提醒",
		"body": "下一年度城乡居民医保缴费期即将截止，请尽快缴费。", "window_start": "09:00", "window_end": "20:00", "rate_per_minute": 1000}
	if r := e.do("citizen", "POST", "/api/v1/admin/notify/campaigns", in); r.status != 403 {
		t.Fatalf("citizen: %d", r.status)
	}
	if r := e.do("editor-a", "POST", "/api/v1/admin/notify/campaigns", in); r.status != 403 {
		t.Fatalf("editor: %d", r.status)
	}
	r := e.do("publisher-c", "POST", "/api/v1/admin/notify/campaigns", in)
	if r.status != 201 || r.body["state"] != "draft" {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := int(r.body["id"].(float64))
	if r := e.do("publisher-c", "GET", fmt.Sprintf("/api/v1/admin/notify/campaigns/%d/preview", id), nil); r.status != 200 || r.body["people"].(float64) != 0 {
		t.Fatalf("preview: %s", r.raw)
	}
	if r := e.do("admin-e", "POST", fmt.Sprintf("/api/v1/admin/notify/campaigns/%d/pause", id), nil); r.errCode() != "campaign_state" {
		t.Fatalf("pause a draft: %s", r.raw)
	}
	if r := e.do("admin-e", "POST", fmt.Sprintf("/api/v1/admin/notify/campaigns/%d/start", id), nil); r.status != 200 || r.body["state"] != "running" {
		t.Fatalf("start: %s", r.raw)
	}
	if r := e.do("admin-e", "POST", fmt.Sprintf("/api/v1/admin/notify/campaigns/%d/explode", id), nil); r.status != 404 {
		t.Fatalf("unknown action: %d", r.status)
	}
	if r := e.do("admin-e", "GET", "/api/v1/admin/notify/campaigns/999", nil); r.errCode() != "campaign_not_found" {
		t.Fatalf("missing: %s", r.raw)
	}
	bad := map[string]any{"name": "x", "segment": "all", "kind": "payment", "title": "t", "body": "b", "window_start": "09:00", "window_end": "20:00", "rate_per_minute": 1}
	if r := e.do("admin-e", "POST", "/api/v1/admin/notify/campaigns", bad); r.errCode() != "campaign_invalid" {
		t.Fatalf("bad segment: %s", r.raw)
	}
	if r := e.do("admin-e", "POST", "/api/v1/admin/notify/test-send", map[string]string{"person": "citizen"}); r.status != 202 {
		t.Fatalf("test send: %d %s", r.status, r.raw)
	}
	if r := e.do("admin-e", "GET", "/api/v1/admin/notify/deliveries?person=citizen", nil); r.status != 200 || len(r.body["entries"].([]any)) != 1 {
		t.Fatalf("log: %s", r.raw)
	}
	if r := e.do("admin-e", "GET", "/api/v1/admin/notify/campaigns", nil); r.status != 200 || len(r.body["campaigns"].([]any)) != 1 {
		t.Fatalf("list: %s", r.raw)
	}
}

func TestNotifyRoutesWithoutTheService(t *testing.T) {
	e := newAdminEnv(t, dbtest.SQLite(t))
	if r := e.do("citizen", "GET", "/api/v1/me/notices", nil); r.status != 503 || r.errCode() != "push_unavailable" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}
