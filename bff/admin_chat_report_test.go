package bff

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"shebao/internal/dbtest"
)

// TestChatReport checks that the 办事堵点 report carries the chat's questions the guides could
// not answer, by guide and with the guide's title, for the period asked, both inside the search
// report and on its own route.
func TestChatReport(t *testing.T) {
	e := newSearchEnv(t, dbtest.SQLite(t))
	// Without an assistant the chat part is empty and its own route is unavailable.
	r := e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/search?from=2020-01-01", nil), 200, "")
	if l, ok := r.body["unanswered_chat"].([]any); !ok || len(l) != 0 {
		t.Errorf("chat part without an assistant: %s", r.raw)
	}
	e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/chat", nil), 503, "service_unavailable")

	var gotFrom, gotTo time.Time
	e.srv.Unanswered = func(_ context.Context, from, to time.Time) ([]UnansweredGuide, error) {
		gotFrom, gotTo = from, to
		return []UnansweredGuide{
			{Code: "SX-YL-011", Count: 2, Questions: []string{"后年退休金会涨多少", "你们主任叫什么"}},
			{Code: "", Count: 1, Questions: []string{"社保能买股票吗"}},
		}, nil
	}
	r = e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/search?from=2026-11-01&to=2026-11-30", nil), 200, "")
	var rep struct {
		Top            []any             `json:"top"`
		UnansweredChat []UnansweredGuide `json:"unanswered_chat"`
	}
	if err := json.Unmarshal(r.raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Top == nil {
		t.Errorf("search part lost: %s", r.raw)
	}
	if len(rep.UnansweredChat) != 2 || rep.UnansweredChat[0].Code != "SX-YL-011" || rep.UnansweredChat[0].Count != 2 ||
		rep.UnansweredChat[0].Title == "" || len(rep.UnansweredChat[0].Questions) != 2 || rep.UnansweredChat[1].Title != "" {
		t.Errorf("chat part: %s", r.raw)
	}
	if gotFrom.Format("2006-01-02") != "2026-11-01" || !gotTo.After(gotFrom.AddDate(0, 0, 29)) {
		t.Errorf("period passed to the assistant: %v – %v", gotFrom, gotTo)
	}
	r = e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/chat?from=2020-01-01", nil), 200, "")
	if err := json.Unmarshal(r.raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.UnansweredChat) != 2 || rep.UnansweredChat[0].Title == "" {
		t.Errorf("chat report: %s", r.raw)
	}
	e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/chat?from=2026-12-01&to=2026-11-01", nil), 400, "invalid_parameter")
	e.want(e.do("", "GET", "/api/v1/admin/reports/chat", nil), 401, "unauthenticated")
}
