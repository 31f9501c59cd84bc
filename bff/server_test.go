package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/content"
	"shebao/internal/eventlog"
	"shebao/internal/retirement"
	"shebao/internal/testutil"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer = testutil.LogBuffer

// seeded is a server over the real seed corpus in a fresh SQLite file, shared by read-only tests.
var seeded = sync.OnceValues(func() (*testEnv, error) {
	return newEnvFor(nil)
})

type testEnv struct {
	srv     *Server
	content *content.Service
	bus     *eventlog.Log
	logs    *syncBuffer
}

func newEnvFor(t *testing.T) (*testEnv, error) {
	d, err := openTempDB()
	if err != nil {
		return nil, err
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	bus, err := eventlog.Open(context.Background(), d, eventlog.Options{Log: log})
	if err != nil {
		return nil, err
	}
	cs, err := content.New(context.Background(), content.Options{DB: d, Events: bus, Log: log})
	if err != nil {
		return nil, err
	}
	if _, err := cs.SeedIfEmpty(context.Background()); err != nil {
		return nil, err
	}
	// The chat endpoint itself is tested in the assistant package; a stand-in registers the route.
	chat := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "upgrade required", 426) })
	srv := New(Deps{Content: cs, Log: log, Version: "test", Chat: chat})
	return &testEnv{srv: srv, content: cs, bus: bus, logs: logs}, nil
}

func env(t *testing.T) *testEnv {
	t.Helper()
	e, err := seeded()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var eb ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil {
		t.Fatalf("not an error body: %s", r.body)
	}
	if eb.Error.Message == "" || eb.Error.RequestID == "" {
		t.Errorf("error body lacks message or request id: %s", r.body)
	}
	return eb.Error.Code
}

func do(t *testing.T, app *fiber.App, method, target string, body io.Reader, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func TestGuidesListHasEveryElement(t *testing.T) {
	e := env(t)
	r := do(t, e.srv.App(), "GET", "/api/v1/guides?limit=100", nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var page struct {
		Total int             `json:"total"`
		Items []content.Guide `json:"items"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total < 60 || len(page.Items) != page.Total {
		t.Fatalf("total %d, items %d", page.Total, len(page.Items))
	}
	for _, g := range page.Items {
		if err := content.Validate(&g); err != nil {
			t.Errorf("listed guide lacks elements: %v", err)
		}
		if g.Status != content.StatusPublished || g.Version < 1 || g.UpdatedAt.IsZero() {
			t.Errorf("%s: metadata %s v%d", g.Code, g.Status, g.Version)
		}
	}
}

func TestGuidesListFiltersAndPages(t *testing.T) {
	e := env(t)
	cases := []struct {
		query string
		check func(items []content.Guide, total int) string
	}{
		{"category=card", func(items []content.Guide, total int) string {
			for _, g := range items {
				if g.Category != content.CategoryCard {
					return "non-card guide " + g.Code
				}
			}
			if total == 0 {
				return "no card guides"
			}
			return ""
		}},
		{"audience=employer", func(items []content.Guide, total int) string {
			for _, g := range items {
				ok := false
				for _, a := range g.Audience {
					ok = ok || a == content.AudienceEmployer
				}
				if !ok {
					return "non-employer guide " + g.Code
				}
			}
			if total == 0 {
				return "no employer guides"
			}
			return ""
		}},
		{"limit=5&page=2&utm_source=x", func(items []content.Guide, total int) string {
			if len(items) != 5 {
				return "page size"
			}
			return ""
		}},
	}
	for _, tc := range cases {
		r := do(t, e.srv.App(), "GET", "/api/v1/guides?"+tc.query, nil)
		var page struct {
			Total int             `json:"total"`
			Items []content.Guide `json:"items"`
		}
		json.Unmarshal(r.body, &page)
		if r.status != 200 {
			t.Errorf("%s: status %d", tc.query, r.status)
		} else if msg := tc.check(page.Items, page.Total); msg != "" {
			t.Errorf("%s: %s", tc.query, msg)
		}
	}
	// Pages are disjoint and ordered.
	p1 := do(t, e.srv.App(), "GET", "/api/v1/guides?limit=3&page=1", nil)
	p2 := do(t, e.srv.App(), "GET", "/api/v1/guides?limit=3&page=2", nil)
	if bytes.Equal(p1.body, p2.body) {
		t.Error("page 2 equals page 1")
	}
}

func TestBadParameters(t *testing.T) {
	e := env(t)
	// Each group: the targets answered with that status and code, the error naming param.
	groups := []struct {
		status  int
		code    string
		param   string
		targets []string
	}{
		{400, "invalid_parameter", "limit", []string{"/api/v1/guides?limit=abc", "/api/v1/guides?limit=0", "/api/v1/guides?limit=100000"}},
		{400, "invalid_parameter", "page", []string{"/api/v1/guides?page=-1"}},
		{400, "invalid_parameter", "category", []string{"/api/v1/guides?category=pets", "/api/v1/tools/retirement?category=robot&birth=1970-01"}},
		{404, "guide_not_found", "", []string{"/api/v1/guides/NO-SUCH-GUIDE"}},
		{400, "invalid_guide_code", "", []string{"/api/v1/guides/" + strings.Repeat("A", 65), "/api/v1/guides/bad%20code%3B", "/api/v1/guides/%E7%A4%BE%E4%BF%9D"}},
		{400, "invalid_parameter", "birth", []string{
			"/api/v1/tools/retirement?category=male&birth=1970-13",
			"/api/v1/tools/retirement?category=male&birth=1970-1",
			"/api/v1/tools/retirement?category=male&birth=2999-01",
			"/api/v1/tools/retirement?category=male&birth=1929-12",
			"/api/v1/tools/retirement?category=female50",
		}},
		{404, "not_found", "", []string{"/no/such/route"}},
	}
	for _, g := range groups {
		for _, target := range g.targets {
			r := do(t, e.srv.App(), "GET", target, nil)
			if r.status != g.status {
				t.Errorf("%s: status %d, want %d (%s)", target, r.status, g.status, r.body)
				continue
			}
			if code := r.errorCode(t); code != g.code {
				t.Errorf("%s: code %s, want %s", target, code, g.code)
			}
			if g.param != "" && !strings.Contains(string(r.body), g.param) {
				t.Errorf("%s: error does not name %s: %s", target, g.param, r.body)
			}
		}
	}
}

func TestGuideConditionalGet(t *testing.T) {
	e := env(t)
	app := e.srv.App()
	r := do(t, app, "GET", "/api/v1/guides/SX-YL-012", nil)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	etag, lm := r.header.Get("ETag"), r.header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("missing validators: %v", r.header)
	}
	var g content.Guide
	if err := json.Unmarshal(r.body, &g); err != nil || g.Code != "SX-YL-012" || g.Name == "" {
		t.Fatalf("body: %v %+v", err, g)
	}
	if r2 := do(t, app, "GET", "/api/v1/guides/SX-YL-012", nil, "If-None-Match", etag); r2.status != 304 || len(r2.body) != 0 {
		t.Errorf("If-None-Match: %d %q", r2.status, r2.body)
	}
	if r2 := do(t, app, "GET", "/api/v1/guides/SX-YL-012", nil, "If-None-Match", `"stale"`); r2.status != 200 {
		t.Errorf("stale etag: %d", r2.status)
	}
	if r2 := do(t, app, "GET", "/api/v1/guides/SX-YL-012", nil, "If-Modified-Since", lm); r2.status != 304 {
		t.Errorf("If-Modified-Since: %d", r2.status)
	}
}

func TestRetirementTool(t *testing.T) {
	e := env(t)
	r := do(t, e.srv.App(), "GET", "/api/v1/tools/retirement?category=male&birth=1970-01", nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var v map[string]any
	json.Unmarshal(r.body, &v)
	want := map[string]any{"retirement_month": "2031-05", "retirement_age_text": "61岁4个月", "delay_months": 16.0,
		"original_month": "2030-01", "earliest_flexible_month": "2030-01", "latest_flexible_month": "2034-05", "min_contribution_years": 16.0}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %v, want %v", k, v[k], w)
		}
	}
}

func TestCategoriesCountEveryGuide(t *testing.T) {
	e := env(t)
	r := do(t, e.srv.App(), "GET", "/api/v1/categories", nil)
	var body struct {
		Categories []content.CategoryCount `json:"categories"`
	}
	json.Unmarshal(r.body, &body)
	sum := 0
	for _, c := range body.Categories {
		sum += c.Count
		if c.Name == "" {
			t.Errorf("category %s has no Chinese name", c.Category)
		}
	}
	if sum != len(e.content.PublishedGuides()) || len(body.Categories) != 7 {
		t.Errorf("counts sum %d over %d categories", sum, len(body.Categories))
	}
}

func TestRequestIDsAndAccessLog(t *testing.T) {
	e := env(t)
	r := do(t, e.srv.App(), "GET", "/healthz", nil, "X-Request-ID", "abc-123")
	if r.header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("client id not echoed: %q", r.header.Get("X-Request-ID"))
	}
	r = do(t, e.srv.App(), "GET", "/healthz", nil, "X-Request-ID", "bad id\nwith newline")
	if id := r.header.Get("X-Request-ID"); id == "" || strings.Contains(id, " ") {
		t.Errorf("unsafe client id accepted: %q", id)
	}
	r = do(t, e.srv.App(), "GET", "/api/v1/guides/NOPE-1?q=13800138000", nil)
	id := r.header.Get("X-Request-ID")
	logs := e.logs.String()
	if !strings.Contains(logs, id) || !strings.Contains(logs, `"route":"/api/v1/guides/:code"`) {
		t.Errorf("access log lacks request id %s or route", id)
	}
	if strings.Contains(logs, "13800138000") {
		t.Error("query string (may hold personal data) reached the access log")
	}
}

func TestPanicBecomesInternalError(t *testing.T) {
	e, err := newEnvFor(t)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.App().Get("/boom", func(c *fiber.Ctx) error { panic("secret detail") })
	e.srv.App().Get("/fail", func(c *fiber.Ctx) error { return errors.New("db password=hunter2") })
	for _, p := range []string{"/boom", "/fail"} {
		r := do(t, e.srv.App(), "GET", p, nil)
		if r.status != 500 || r.errorCode(t) != "internal_error" {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
		if strings.Contains(string(r.body), "secret") || strings.Contains(string(r.body), "hunter2") {
			t.Errorf("%s: internal detail leaked: %s", p, r.body)
		}
	}
	if !strings.Contains(e.logs.String(), "secret detail") {
		t.Error("panic not logged")
	}
}

func TestReadyzReportsFailingChecks(t *testing.T) {
	e, err := newEnvFor(t)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Ready = []ReadyCheck{{Name: "index", Check: func(context.Context) error { return errors.New("rebuilding") }}}
	r := do(t, e.srv.App(), "GET", "/readyz", nil)
	if r.status != 503 || !strings.Contains(string(r.body), "rebuilding") {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestMetricsCountRequests(t *testing.T) {
	e := env(t)
	do(t, e.srv.App(), "GET", "/api/v1/categories", nil)
	r := do(t, e.srv.App(), "GET", "/metrics", nil)
	if !strings.Contains(string(r.body), `shebao_http_requests_total{method="GET",route="/api/v1/categories",status="200"}`) {
		t.Errorf("metrics lack the request counter:\n%.2000s", r.body)
	}
}

// TestRetirementAPIAgreesWithRule checks the API against the rule on a few hundred random birth
// months and on the boundary rows of the law's tables.
func TestRetirementAPIAgreesWithRule(t *testing.T) {
	e := env(t)
	rng := rand.New(rand.NewPCG(7, 9))
	type row struct{ cat, birth string }
	rows := []row{{"male", "1964-12"}, {"male", "1965-01"}, {"male", "1965-04"}, {"male", "1965-05"}, {"male", "1976-08"}, {"male", "1976-09"}, {"male", "1976-12"},
		{"female55", "1969-12"}, {"female55", "1970-01"}, {"female55", "1981-08"}, {"female55", "1981-09"}, {"female50", "1974-12"}, {"female50", "1975-01"},
		{"female50", "1975-02"}, {"female50", "1975-03"}, {"female50", "1984-10"}, {"female50", "1984-11"}, {"female50", "1984-12"}}
	cats := []string{"male", "female50", "female55"}
	for i := 0; i < 300; i++ {
		rows = append(rows, row{cats[rng.IntN(3)], fmt.Sprintf("%d-%02d", 1930+rng.IntN(90), 1+rng.IntN(12))})
	}
	for _, r := range rows {
		want, err := retirement.Lookup(r.cat, r.birth, time.Now())
		if err != nil {
			t.Fatalf("%v: %v", r, err)
		}
		wantJSON, _ := json.Marshal(want.View())
		res := do(t, e.srv.App(), "GET", "/api/v1/tools/retirement?category="+r.cat+"&birth="+r.birth, nil)
		if res.status != 200 || string(bytes.TrimSpace(res.body)) != string(wantJSON) {
			t.Fatalf("%v: API %d %s\nrule %s", r, res.status, res.body, wantJSON)
		}
	}
}
