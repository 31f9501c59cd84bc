package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"shebao/content"
	"shebao/content/contenttest"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/identity"
	"shebao/search"
)

// newSearchEnv is a server over the seed corpus with the real search index kept current by the
// event bus, as cmd/shebao wires it.
func newSearchEnv(t testing.TB, d *db.DB) *adminEnv {
	t.Helper()
	ctx := context.Background()
	cs := contenttest.Seeded(t, content.Options{DB: d})
	idx, err := search.Open(ctx, search.Options{Dir: t.TempDir(), DB: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Follow(ctx, cs.Events(), cs); err != nil {
		t.Fatal(err)
	}
	if err := idx.RebuildFromStore(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := identity.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &adminEnv{t: t, cs: cs, tokens: map[string]string{}}
	for who, role := range map[string]identity.Role{"editor-a": identity.RoleEditor, "reviewer-b": identity.RoleReviewer, "publisher-c": identity.RolePublisher} {
		tok, err := keys.Mint(who, who, []identity.Role{role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[who] = tok
	}
	// Access logs are formatted as in production and thrown away.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	e.srv = New(Deps{Content: cs, Auth: keys.Verifier(), Search: idx, Log: log})
	return e
}

// approveChange takes a new version of code with an extra alias through draft, review and
// approval, and returns its version number, ready to publish.
func (e *adminEnv) approveChange(code, alias string) int {
	e.t.Helper()
	r := e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/"+code+"/drafts", nil), 201, "")
	n := int(r.body["version"].(float64))
	var g map[string]any
	raw, _ := json.Marshal(r.body["body"])
	json.Unmarshal(raw, &g)
	g["aliases"] = append(g["aliases"].([]any), alias)
	path := fmt.Sprintf("/api/v1/admin/guides/%s/versions/%d", code, n)
	e.want(e.do("editor-a", "PUT", path, map[string]any{"body": g, "major": false}, "If-Match", r.header.Get("ETag")), 200, "")
	e.want(e.do("editor-a", "POST", path+"/submit", nil), 200, "")
	e.want(e.do("reviewer-b", "POST", path+"/approve", map[string]any{}), 200, "")
	return n
}

func (e *adminEnv) searchTitles(q string) (codes []string, raw string) {
	e.t.Helper()
	r := e.want(e.do("", "GET", "/api/v1/search?limit=5&q="+url.QueryEscape(q), nil), 200, "")
	for _, it := range r.body["results"].([]any) {
		codes = append(codes, it.(map[string]any)["code"].(string))
	}
	return codes, string(r.raw)
}

// TestPublishIsSearchableAtOnce: a change published through the admin API is found by the public
// search API as soon as the publish call returns (the event path is synchronous in-process; the
// benchmark below measures it).
func TestPublishIsSearchableAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newSearchEnv(t, d)
		const word = "犀牛镜湖"
		if codes, _ := e.searchTitles(word); len(codes) > 0 && codes[0] == "SX-YL-012" {
			t.Fatalf("the new alias already finds the guide before publishing")
		}
		n := e.approveChange("SX-YL-012", word)
		if codes, _ := e.searchTitles(word); len(codes) > 0 && codes[0] == "SX-YL-012" {
			t.Fatal("an approved but unpublished change is searchable")
		}
		e.want(e.do("publisher-c", "POST", fmt.Sprintf("/api/v1/admin/guides/SX-YL-012/versions/%d/publish", n), nil), 200, "")
		codes, raw := e.searchTitles(word)
		if len(codes) == 0 || codes[0] != "SX-YL-012" {
			t.Fatalf("published change not searchable: %s", raw)
		}
		// Unpublishing removes it from search.
		e.want(e.do("publisher-c", "POST", "/api/v1/admin/guides/SX-YL-012/unpublish", map[string]any{"reason": "合并到新事项"}), 200, "")
		if codes, _ := e.searchTitles(word); len(codes) > 0 && codes[0] == "SX-YL-012" {
			t.Fatal("unpublished guide still searchable")
		}
	})
}

func TestSearchAPI(t *testing.T) {
	e := newSearchEnv(t, dbtest.SQLite(t))
	codes, raw := e.searchTitles("社保卡挂矢了")
	if len(codes) == 0 || !strings.Contains(raw, `"corrected_query":"社保卡挂失`) || codes[0] != "SX-SBK-003" {
		t.Errorf("typo search: %s", raw)
	}
	for _, tc := range []struct{ target, code string }{
		{"/api/v1/search?q=", "query_empty"},
		{"/api/v1/search?q=%20%20", "query_empty"},
		{"/api/v1/search?q=" + strings.Repeat("社", 501), "query_too_long"},
		{"/api/v1/search?q=x&limit=0", "invalid_parameter"},
		{"/api/v1/search?q=x&limit=51", "invalid_parameter"},
		{"/api/v1/search?q=x&cursor=%25%25bad", "invalid_cursor"},
		{"/api/v1/search/suggest?q=sb&limit=99", "invalid_parameter"},
	} {
		r := e.do("", "GET", tc.target, nil)
		if r.status != 400 || r.errCode() != tc.code {
			t.Errorf("%s: %d %s", tc.target, r.status, r.raw)
		}
	}
	r := e.want(e.do("", "GET", "/api/v1/search?q="+url.QueryEscape(`社保卡 +-:^*?~"()`), nil), 200, "")
	_ = r
	r = e.want(e.do("", "GET", "/api/v1/search/suggest?q=%E7%A4%BE%E4%BF%9D", nil), 200, "")
	if len(r.body["suggestions"].([]any)) == 0 {
		t.Errorf("suggest found nothing: %s", r.raw)
	}
	// Click by query id, then the report counts the query.
	r = e.want(e.do("", "GET", "/api/v1/search?q="+url.QueryEscape("异地就医备案"), nil), 200, "")
	qid := r.body["query_id"].(string)
	e.want(e.do("", "POST", "/api/v1/search/click", map[string]any{"query_id": qid, "code": "SX-YB-007"}), 204, "")
	e.want(e.do("", "POST", "/api/v1/search/click", "not json"), 400, "invalid_body")
}

func TestAdminSearchTools(t *testing.T) {
	e := newSearchEnv(t, dbtest.SQLite(t))
	e.want(e.do("", "GET", "/api/v1/admin/search/synonyms", nil), 401, "unauthenticated")
	e.want(e.do("editor-a", "PUT", "/api/v1/admin/search/synonyms", map[string]any{"term": "", "expansions": []string{"养老金"}}), 400, "synonym_invalid")
	e.want(e.do("editor-a", "PUT", "/api/v1/admin/search/synonyms", map[string]any{"term": "晒太阳补贴", "expansions": []string{"生育津贴"}}), 200, "")
	if codes, raw := e.searchTitles("晒太阳补贴"); len(codes) == 0 || codes[0] != "SX-SYU-001" {
		t.Errorf("editor synonym not in effect: %s", raw)
	}
	e.want(e.do("editor-a", "PUT", "/api/v1/admin/search/bestbets", map[string]any{"query": "退休", "code": "NO-SUCH"}), 404, "guide_not_found")
	e.want(e.do("editor-a", "PUT", "/api/v1/admin/search/bestbets", map[string]any{"query": "退休", "code": "SX-ZH-009"}), 200, "")
	r := e.want(e.do("", "GET", "/api/v1/search?q="+url.QueryEscape("退休"), nil), 200, "")
	first := r.body["results"].([]any)[0].(map[string]any)
	if first["code"] != "SX-ZH-009" || first["pinned"] != true {
		t.Errorf("best bet not first and marked: %s", r.raw)
	}
	e.want(e.do("editor-a", "DELETE", "/api/v1/admin/search/bestbets?query="+url.QueryEscape("退休")+"&code=SX-ZH-009", nil), 204, "")
	r = e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/search?from=2020-01-01", nil), 200, "")
	if _, ok := r.body["top"]; !ok {
		t.Errorf("report: %s", r.raw)
	}
	e.want(e.do("editor-a", "GET", "/api/v1/admin/reports/search?from=yesterday", nil), 400, "invalid_parameter")
	r = e.want(e.do("editor-a", "GET", "/api/v1/admin/audit?actor=editor-a", nil), 200, "")
	if !strings.Contains(string(r.raw), "synonym_put") {
		t.Errorf("synonym change not audited: %s", r.raw)
	}
}

// BenchmarkPublishToSearchable measures publish → searchable through the HTTP API and the event
// path: the clock starts when the publish request is sent and stops when a search for the new
// alias returns the guide first. Reports p50/p99 over b.N runs (run with -benchtime 100x).
func BenchmarkPublishToSearchable(b *testing.B) {
	e := newSearchEnv(b, dbtest.SQLite(b))
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		word := fmt.Sprintf("犀牛镜湖%d", i)
		n := e.approveChange("SX-YL-012", word)
		start := time.Now()
		e.want(e.do("publisher-c", "POST", fmt.Sprintf("/api/v1/admin/guides/SX-YL-012/versions/%d/publish", n), nil), 200, "")
		for {
			if codes, _ := e.searchTitles(word); len(codes) > 0 && codes[0] == "SX-YL-012" {
				break
			}
			if time.Since(start) > 5*time.Second {
				b.Fatalf("not searchable after 5 s")
			}
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
