package bff

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/application"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/guideuse"
	"shebao/internal/identity"
	"shebao/internal/person"
	"shebao/internal/queue"
	"shebao/internal/ratelimit"
	"shebao/internal/testutil"
	"shebao/search"
)

// Personal numbers used by the /me tests; the log scan looks for each of them.
const (
	meID       = "11010519491231002X"
	mePhone    = "13812345678"
	meBankCard = "6222020200112233445"
)

var meSecret = []byte("test-secret-0123456789abcdef0123")

// meEnv is a server with the person and applications feature over a real store.
type meEnv struct {
	srv    *Server
	apps   *application.Service
	log    *eventlog.Log
	jobs   *queue.Queue
	worker *queue.Worker
	tokens map[string]string
	logs   *syncBuffer
}

func newMeEnv(t testing.TB, d *db.DB, limits MeLimits) *meEnv {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	el := must(eventlog.Open(ctx, d, eventlog.Options{Log: log}))
	jobs := must(queue.Open(ctx, d, queue.Options{}))
	cs := must(content.New(ctx, content.Options{DB: d, Events: el, Jobs: jobs, Log: log}))
	must(cs.SeedIfEmpty(ctx))
	people := must(person.Open(ctx, person.Options{DB: d}))
	guides := func(code string) (string, []string) {
		g, err := cs.Guide(code)
		if err != nil {
			return "", nil
		}
		return g.Guide.Name, g.Guide.Conditions
	}
	apps := must(application.Open(ctx, application.Options{DB: d, Events: el, Jobs: jobs, People: people, Forms: cs, Guides: guides, Log: log}))
	progress := application.NewProgress()
	must(progress.Follow(ctx, el))
	keys := must(identity.OpenKeyring(t.TempDir()))
	e := &meEnv{apps: apps, log: el, jobs: jobs, tokens: map[string]string{}, logs: logs}
	for who, roles := range map[string][]identity.Role{"alice": {identity.RoleUser}, "bob": {identity.RoleUser}, "editor": {identity.RoleEditor}} {
		e.tokens[who] = must(keys.Mint(who, who, roles, time.Hour))
	}
	e.srv = New(Deps{Content: cs, Auth: keys.Verifier(), Log: log, AccessLog: logs, People: people, Applications: apps, Progress: progress,
		UpstreamSecret: meSecret, MeLimits: limits, AllowedOrigins: []string{"https://app.example.cn"}})
	e.worker = jobs.NewWorker(queue.WorkerOptions{Name: "test", Log: log})
	for k, h := range apps.JobHandlers() {
		e.worker.Handle(k, h)
	}
	return e
}

// must panics on err: the test fails with the stack of the failing call.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (e *meEnv) call(t *testing.T, who, method, target, body string, headers ...string) response {
	t.Helper()
	h := append([]string{"Content-Type", "application/json"}, headers...)
	if who != "" {
		h = append(h, "Authorization", "Bearer "+e.tokens[who])
	}
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	return do(t, e.srv.App(), method, target, rd, h...)
}

const cardLoss = `{"form_code":"F-SBK-003","form_version":1,"values":{"name":"王小明","id_number":"` + meID + `","loss":"lost","phone":"` + mePhone + `"}}`

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return v
}

func TestMeProfileAndApplications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newMeEnv(t, d, MeLimits{})
		if r := e.call(t, "", "GET", "/api/v1/me", ""); r.status != 401 {
			t.Fatalf("anonymous /me: %d", r.status)
		}
		if r := e.call(t, "editor", "GET", "/api/v1/me", ""); r.status != 403 {
			t.Fatalf("editor on /me: %d", r.status)
		}
		if r := e.call(t, "alice", "GET", "/api/v1/admin/guides", ""); r.status != 403 || r.errorCode(t) != "forbidden" {
			t.Fatalf("user token on admin: %d %s", r.status, r.body)
		}
		r := e.call(t, "alice", "PATCH", "/api/v1/me", `{"id_number":"`+meID+`","phone":"`+mePhone+`","category":"female55","city":"西安市"}`)
		p := decode[person.Profile](t, r)
		if r.status != 200 || p.IDNumber != "110***********002X" || p.Phone != "138****5678" || p.Sources["city"] != person.Declared || p.Name != "alice" {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if strings.Contains(string(r.body), meID) || strings.Contains(string(r.body), mePhone) {
			t.Fatalf("clear number in the response: %s", r.body)
		}
		if r := e.call(t, "alice", "PATCH", "/api/v1/me", `{"id_number":"110105194912310021"}`); r.status != 422 || r.errorCode(t) != "profile_invalid" {
			t.Fatalf("bad id: %d %s", r.status, r.body)
		}
		if r := e.call(t, "alice", "PATCH", "/api/v1/me", `{"colour":"red"}`); r.status != 400 || r.errorCode(t) != "invalid_body" {
			t.Fatalf("unknown field: %d %s", r.status, r.body)
		}

		r = e.call(t, "alice", "POST", "/api/v1/me/applications", cardLoss)
		a := decode[application.Application](t, r)
		if r.status != 201 || a.Status != "submitted" || a.StatusText != "已提交" || a.Delivery != "queued" || a.Notice == "" ||
			r.header.Get("Location") != "/api/v1/me/applications/"+a.ID {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		if r := e.call(t, "alice", "POST", "/api/v1/me/applications", `{"form_code":"F-SBK-003","form_version":1,"values":{"loss":"lost"}}`); r.status != 422 || r.errorCode(t) != "form_values_invalid" {
			t.Fatalf("incomplete form: %d %s", r.status, r.body)
		}
		if r := e.call(t, "alice", "POST", "/api/v1/me/applications", `{"form_code":"F-SBK-003","form_version":9,"values":{}}`); r.status != 404 || r.errorCode(t) != "form_not_found" {
			t.Fatalf("unknown version: %d %s", r.status, r.body)
		}
		list := decode[struct{ Items []application.Application }](t, e.call(t, "alice", "GET", "/api/v1/me/applications?status=submitted", ""))
		if len(list.Items) != 1 || list.Items[0].ID != a.ID {
			t.Fatalf("list: %+v", list)
		}
		if r := e.call(t, "alice", "GET", "/api/v1/me/applications?status=bogus", ""); r.status != 400 {
			t.Fatalf("bad status filter: %d", r.status)
		}
		// Another person's id, a guessed id and an unknown id: the same 404.
		var bodies []string
		for _, target := range []string{a.ID, "apaaaaaaaaaaaaaaaa", "12345", a.ID[:17] + "z"} {
			r := e.call(t, "bob", "GET", "/api/v1/me/applications/"+target, "")
			if r.status != 404 || r.errorCode(t) != "application_not_found" {
				t.Fatalf("bob GET %s: %d %s", target, r.status, r.body)
			}
			var eb ErrorBody
			json.Unmarshal(r.body, &eb)
			bodies = append(bodies, eb.Error.Message)
		}
		for _, m := range bodies {
			if m != bodies[0] {
				t.Fatalf("404 messages differ: %v", bodies)
			}
		}
		if r := e.call(t, "bob", "POST", "/api/v1/me/applications/"+a.ID+"/supplement", `{"note":"x"}`); r.status != 404 {
			t.Fatalf("bob supplements alice's: %d", r.status)
		}
		if r := e.call(t, "alice", "POST", "/api/v1/me/applications/"+a.ID+"/supplement", `{"note":"x"}`); r.status != 409 || r.errorCode(t) != "supplement_not_requested" {
			t.Fatalf("supplement not requested: %d %s", r.status, r.body)
		}
		got := decode[application.Application](t, e.call(t, "alice", "GET", "/api/v1/me/applications/"+a.ID, ""))
		if len(got.Steps) != 1 || got.GuideName != "社会保障卡挂失与解挂" {
			t.Fatalf("detail: %+v", got)
		}
	})
}

// signed returns the headers of a webhook signed at ts.
func signed(body string, ts time.Time, secret []byte) []string {
	return []string{application.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10), application.HeaderSignature, application.Sign(secret, ts, []byte(body))}
}

func webhookBody(id string, seq int, status, eventID string) string {
	b, _ := json.Marshal(application.UpstreamEvent{EventID: eventID, ApplicationID: id, Seq: seq, Status: status, Office: "西安市社会保险经办中心", At: time.Now().UTC()})
	return string(b)
}

func TestWebhookContract(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newMeEnv(t, d, MeLimits{})
		a := decode[application.Application](t, e.call(t, "alice", "POST", "/api/v1/me/applications", cardLoss))
		now := time.Now()
		post := func(body string, headers []string) response {
			return e.call(t, "", "POST", "/api/v1/upstream/events", body, headers...)
		}
		b1 := webhookBody(a.ID, 1, "accepted", "ev-1")
		for _, tc := range []struct {
			name    string
			headers []string
			status  int
			code    string
		}{
			{"bad signature", signed(b1, now, []byte("another-secret-0123456789abcdef")), 401, "webhook_signature_invalid"},
			{"no signature", []string{application.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10)}, 401, "webhook_signature_invalid"},
			{"too old", signed(b1, now.Add(-6*time.Minute), meSecret), 401, "webhook_timestamp_outside_window"},
			{"from the future", signed(b1, now.Add(6*time.Minute), meSecret), 401, "webhook_timestamp_outside_window"},
		} {
			if r := post(b1, tc.headers); r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("%s: %d %s", tc.name, r.status, r.body)
			}
		}
		// Body changed after signing.
		if r := post(strings.Replace(b1, "accepted", "rejected", 1), signed(b1, now, meSecret)); r.status != 401 {
			t.Fatalf("tampered body: %d", r.status)
		}
		if n := testutil.CountEvents(t, e.log, event.ApplicationChanged, a.ID); n != 1 {
			t.Fatalf("refused webhooks changed the application: %d events", n)
		}
		r := post(b1, signed(b1, now, meSecret))
		if r.status != 200 || !strings.Contains(string(r.body), `"applied"`) {
			t.Fatalf("good webhook: %d %s", r.status, r.body)
		}
		if r := post(b1, signed(b1, now.Add(time.Second), meSecret)); r.status != 200 || !strings.Contains(string(r.body), `"duplicate"`) {
			t.Fatalf("replayed event id: %d %s", r.status, r.body)
		}
		unknown := webhookBody("apaaaaaaaaaaaaaaaa", 1, "accepted", "ev-x")
		if r := post(unknown, signed(unknown, now, meSecret)); r.status != 404 || r.errorCode(t) != "application_not_found" {
			t.Fatalf("unknown application: %d %s", r.status, r.body)
		}
		if r := post(`{"event_id":`, signed(`{"event_id":`, now, meSecret)); r.status != 400 || r.errorCode(t) != "webhook_invalid" {
			t.Fatalf("malformed: %d %s", r.status, r.body)
		}
		// 办结 before 审核中: the timeline waits, then is in sequence order.
		b3 := webhookBody(a.ID, 3, "completed", "ev-3")
		if r := post(b3, signed(b3, now, meSecret)); !strings.Contains(string(r.body), `"waiting"`) {
			t.Fatalf("out of order: %s", r.body)
		}
		b2 := webhookBody(a.ID, 2, "reviewing", "ev-2")
		post(b2, signed(b2, now, meSecret))
		got := decode[application.Application](t, e.call(t, "alice", "GET", "/api/v1/me/applications/"+a.ID, ""))
		var order []string
		for _, s := range got.Steps {
			order = append(order, s.Status)
		}
		if strings.Join(order, ",") != "submitted,accepted,reviewing,completed" || got.Status != "completed" {
			t.Fatalf("timeline %v", order)
		}
		if n := testutil.CountEvents(t, e.log, event.ApplicationChanged, a.ID); n != 4 {
			t.Fatalf("%d events for 4 steps", n)
		}
	})
}

// serve runs the server on a loopback port and returns its base URL.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln := must(net.Listen("tcp", "127.0.0.1:0"))
	go s.App().Listener(ln)
	t.Cleanup(func() { s.Shutdown(time.Second) })
	return "http://" + ln.Addr().String()
}

// TestSimulatorGoesThroughTheWebhookAndTheStream: the built-in simulator posts its steps over
// HTTP to the server's webhook, and an open SSE stream sees each step.
func TestSimulatorGoesThroughTheWebhookAndTheStream(t *testing.T) {
	d := dbtest.SQLite(t)
	e := newMeEnv(t, d, MeLimits{})
	base := serve(t, e.srv)
	sim := &application.Simulator{DB: d, Jobs: e.jobs, Secret: meSecret, Step: time.Millisecond, Guides: func(string) (string, []string) { return "", nil },
		WebhookURL: func() string { return base + "/api/v1/upstream/events" }}
	e.apps.SetUpstream(sim)
	for k, h := range sim.JobHandlers() {
		e.worker.Handle(k, h)
	}
	req := must(http.NewRequest("GET", base+"/api/v1/me/events", nil))
	req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	resp := must(http.DefaultClient.Do(req))
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // ": progress stream open"

	a := decode[application.Application](t, e.call(t, "alice", "POST", "/api/v1/me/applications", cardLoss))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go e.worker.Run(ctx)
	var seen []string
	for lines.Scan() {
		l := lines.Text()
		if !strings.HasPrefix(l, "data: ") {
			continue
		}
		var st event.ApplicationStep
		if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &st); err != nil || st.ApplicationID != a.ID {
			t.Fatalf("stream data %q", l)
		}
		seen = append(seen, st.Status)
		if application.Finished(st.Status) && st.Status != event.StatusCompleted || st.Status == event.StatusBenefitPaid ||
			st.Status == event.StatusCompleted || st.Status == event.StatusNeedsSupplement {
			break
		}
	}
	if len(seen) < 2 || seen[0] != "submitted" {
		t.Fatalf("stream saw %v", seen)
	}
	got := decode[application.Application](t, e.call(t, "alice", "GET", "/api/v1/me/applications/"+a.ID, ""))
	if got.Delivery != "sent" || len(got.Steps) != len(seen) {
		t.Fatalf("after the simulator: %+v (stream saw %v)", got, seen)
	}
	// The access record is written after the response is sent: wait for it (a hang detector).
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(e.logs.String(), `"route":"/api/v1/upstream/events"`); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the simulator's steps did not come through the webhook route")
		}
	}
}

func TestMeEdge(t *testing.T) {
	e := newMeEnv(t, dbtest.SQLite(t), MeLimits{PerUser: ratelimit.Rate{Burst: 3, PerSecond: 0.001}, PerIP: ratelimit.Rate{Burst: 100, PerSecond: 0.001}, MaxBody: 1 << 10})
	r := e.call(t, "alice", "GET", "/api/v1/me", "")
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "private, no-store"} {
		if r.header.Get(h) != want {
			t.Fatalf("%s = %q", h, r.header.Get(h))
		}
	}
	pre := e.call(t, "", "OPTIONS", "/api/v1/me/home", "", "Origin", "https://app.example.cn", "Access-Control-Request-Method", "GET")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example.cn" {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
	if r := e.call(t, "", "OPTIONS", "/api/v1/me/home", "", "Origin", "https://evil.example.com"); r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign preflight: %d %v", r.status, r.header)
	}
	if r := e.call(t, "bob", "PATCH", "/api/v1/me", `{"city":"`+strings.Repeat("长", 2000)+`"}`); r.status != 413 || r.errorCode(t) != "body_too_large" {
		t.Fatalf("oversize: %d %s", r.status, r.body)
	}
	// alice used 1 of 3; two more pass, the next is refused with Retry-After.
	e.call(t, "alice", "GET", "/api/v1/me", "")
	e.call(t, "alice", "GET", "/api/v1/me", "")
	r = e.call(t, "alice", "GET", "/api/v1/me", "")
	if r.status != 429 || r.errorCode(t) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the per-user rate: %d %v %s", r.status, r.header, r.body)
	}
	if r := e.call(t, "bob", "GET", "/api/v1/me", ""); r.status != 200 {
		t.Fatalf("bob limited by alice: %d", r.status)
	}
	ipEnv := newMeEnv(t, dbtest.SQLite(t), MeLimits{PerIP: ratelimit.Rate{Burst: 2, PerSecond: 0.001}})
	ipEnv.call(t, "alice", "GET", "/api/v1/me", "")
	ipEnv.call(t, "bob", "GET", "/api/v1/me", "")
	if r := ipEnv.call(t, "", "GET", "/api/v1/me", ""); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the per-address rate: %d", r.status)
	}
}

func TestHomeFollowsAndReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newMeEnv(t, d, MeLimits{})
		e.call(t, "alice", "PATCH", "/api/v1/me", `{"birth_month":"1966-09","category":"male","last_certified":"2025-12-20"}`)
		decode[application.Application](t, e.call(t, "alice", "POST", "/api/v1/me/applications", cardLoss))
		if r := e.call(t, "alice", "POST", "/api/v1/me/follows/SX-YL-012", ""); r.status != 200 {
			t.Fatalf("follow: %d %s", r.status, r.body)
		}
		if r := e.call(t, "alice", "POST", "/api/v1/me/follows/SX-NOPE-999", ""); r.status != 404 || r.errorCode(t) != "guide_not_found" {
			t.Fatalf("follow unknown: %d %s", r.status, r.body)
		}
		r := e.call(t, "alice", "GET", "/api/v1/me/home", "")
		h := decode[homeBody](t, r)
		etag := r.header.Get("ETag")
		if r.status != 200 || etag == "" || len(h.InProgress) != 1 || h.InProgress[0].StatusText != "已提交" || h.UnreadNotices != 0 {
			t.Fatalf("home: %d %s", r.status, r.body)
		}
		if len(h.Services) < 2 || h.Services[0].Code != "SX-YL-012" || h.Services[0].Reason != "mine" {
			t.Fatalf("services: %+v", h.Services)
		}
		var kinds []string
		for _, rm := range h.Reminders {
			kinds = append(kinds, rm.Kind)
		}
		if !strings.Contains(strings.Join(kinds, ","), "retirement") && time.Now().Before(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("reminders %v", kinds)
		}
		if r := e.call(t, "alice", "GET", "/api/v1/me/home", "", "If-None-Match", etag); r.status != 304 {
			t.Fatalf("unchanged home: %d", r.status)
		}
		if r := e.call(t, "alice", "DELETE", "/api/v1/me/follows/SX-YL-012", ""); r.status != 204 {
			t.Fatalf("unfollow: %d", r.status)
		}
		if r := e.call(t, "alice", "DELETE", "/api/v1/me/follows/SX-YL-012", ""); r.status != 404 || r.errorCode(t) != "not_following" {
			t.Fatalf("unfollow twice: %d %s", r.status, r.body)
		}
		if r := e.call(t, "alice", "GET", "/api/v1/me/home", "", "If-None-Match", etag); r.status != 200 {
			t.Fatalf("changed home answered %d", r.status)
		}
		rs := decode[struct{ Reminders []person.Reminder }](t, e.call(t, "alice", "GET", "/api/v1/me/reminders", ""))
		if len(rs.Reminders) == 0 {
			t.Fatal("no reminders")
		}
	})
}

// TestHomeServicesFromUse: 常用服务 lists the person's own most used guides (search results
// clicked, guide pages viewed) first, then everyone's (anonymous views count for everyone),
// each guide once; a click on a code that is no published guide counts nothing.
func TestHomeServicesFromUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newMeEnv(t, d, MeLimits{})
		uses := must(guideuse.Open(ctx, guideuse.Options{DB: d, Interval: time.Hour}))
		t.Cleanup(func() { uses.Close() })
		idx := must(search.Open(ctx, search.Options{Dir: t.TempDir(), DB: d}))
		t.Cleanup(func() { idx.Close() })
		if err := idx.Follow(ctx, e.srv.Content.Events(), e.srv.Content); err != nil {
			t.Fatal(err)
		}
		must(0, idx.RebuildFromStore(ctx))
		e.srv.GuideUse, e.srv.Search = uses, idx

		for range 3 {
			if r := e.call(t, "bob", "GET", "/api/v1/guides/SX-YB-007", ""); r.status != 200 {
				t.Fatalf("view: %d %s", r.status, r.body)
			}
		}
		e.call(t, "", "GET", "/api/v1/guides/SX-SBK-001", "")
		e.call(t, "", "GET", "/api/v1/guides/SX-SBK-001", "")
		qid := decode[struct {
			QueryID string `json:"query_id"`
		}](t, e.call(t, "alice", "GET", "/api/v1/search?q=%E9%80%80%E4%BC%91", "")).QueryID
		for _, code := range []string{"SX-YL-012", "SX-YL-012", "SX-NOPE-1"} {
			if r := e.call(t, "alice", "POST", "/api/v1/search/click", `{"query_id":"`+qid+`","code":"`+code+`"}`); r.status != 204 {
				t.Fatalf("click %s: %d %s", code, r.status, r.body)
			}
		}
		e.call(t, "alice", "GET", "/api/v1/guides/SX-SBK-001", "")
		must(0, uses.Flush(ctx))

		services := func(who string) []homeService {
			return decode[homeBody](t, e.call(t, who, "GET", "/api/v1/me/home", "")).Services
		}
		got := services("alice")
		if len(got) < 3 || got[0] != (homeService{"SX-YL-012", got[0].Name, "mine"}) || got[1].Code != "SX-SBK-001" || got[1].Reason != "mine" ||
			got[2].Code != "SX-YB-007" || got[2].Reason != "popular" {
			t.Fatalf("alice: %+v", got)
		}
		seen := map[string]bool{}
		for _, sv := range got {
			if seen[sv.Code] || sv.Code == "SX-NOPE-1" || sv.Name == "" {
				t.Fatalf("alice's services repeat a guide or name an unknown one: %+v", got)
			}
			seen[sv.Code] = true
		}
		if got := services("bob"); got[0].Code != "SX-YB-007" || got[0].Reason != "mine" {
			t.Fatalf("bob: %+v", got)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM guide_use WHERE guide_code = 'SX-NOPE-1'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("an unknown code was counted: %d %v", n, err)
		}
	})
}

// TestLogsNeverCarryPersonalNumbers drives every /me route and the webhook with personal
// numbers in bodies (valid and invalid), then scans everything the server logged.
func TestLogsNeverCarryPersonalNumbers(t *testing.T) {
	e := newMeEnv(t, dbtest.SQLite(t), MeLimits{})
	e.call(t, "alice", "PATCH", "/api/v1/me", `{"id_number":"`+meID+`","phone":"`+mePhone+`"}`)
	e.call(t, "alice", "PATCH", "/api/v1/me", `{"id_number":"`+meID[:17]+`1","phone":"2`+mePhone[1:]+`"}`)
	e.call(t, "alice", "PATCH", "/api/v1/me", `{"id_number":"`+meID+`",`) // malformed JSON
	a := decode[application.Application](t, e.call(t, "alice", "POST", "/api/v1/me/applications", cardLoss))
	e.call(t, "alice", "POST", "/api/v1/me/applications", strings.Replace(cardLoss, `"loss":"lost"`, `"loss":"lost","bank":"`+meBankCard+`"`, 1))
	e.call(t, "alice", "POST", "/api/v1/me/applications", strings.Replace(cardLoss, meID, meID[:17]+"1", 1))
	e.call(t, "alice", "GET", "/api/v1/me/applications/"+a.ID, "")
	e.call(t, "alice", "GET", "/api/v1/me/home", "")
	b := webhookBody(a.ID, 1, "needs_supplement", "ev-pii")
	e.call(t, "", "POST", "/api/v1/upstream/events", b, signed(b, time.Now(), meSecret)...)
	e.call(t, "alice", "POST", "/api/v1/me/applications/"+a.ID+"/supplement", `{"note":"身份证`+meID+`，电话`+mePhone+`"}`)
	// The delivery job fails (no upstream): its error is logged too.
	_ = e.worker.RunDue(context.Background())
	logs := e.logs.String()
	if !strings.Contains(logs, "/api/v1/me/applications") {
		t.Fatal("nothing was logged: the scan would prove nothing")
	}
	for _, n := range []string{meID, meID[:17], mePhone, meBankCard, mePhone[3:]} {
		if strings.Contains(logs, n) {
			i := strings.Index(logs, n)
			t.Fatalf("the logs carry %s: …%s…", n, logs[max(0, i-200):min(len(logs), i+100)])
		}
	}
	if regexp.MustCompile(`\d{11,}`).MatchString(strings.ReplaceAll(logs, `"time"`, "")) {
		m := regexp.MustCompile(`.{0,80}\d{11,}.{0,40}`).FindString(logs)
		t.Fatalf("a long number in the logs: %s", m)
	}
	fmt.Fprint(new(strings.Builder), "") // keep fmt for debugging output above
}
