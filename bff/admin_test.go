package bff

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/identity"
)

// adminEnv is a server on a real database with locally minted tokens for each person.
type adminEnv struct {
	t      testing.TB
	srv    *Server
	cs     *content.Service
	tokens map[string]string
}

func newAdminEnv(t *testing.T, d *db.DB) *adminEnv {
	t.Helper()
	e, keys := newUsersEnv(t, d, map[string][]identity.Role{
		"editor-a":    {identity.RoleEditor},
		"editor-a2":   {identity.RoleEditor},
		"reviewer-b":  {identity.RoleReviewer},
		"publisher-c": {identity.RolePublisher},
		"admin-e":     {identity.RoleAdmin},
		"citizen":     {identity.RoleUser},
	})
	e.srv = New(Deps{Content: e.cs, Auth: keys.Verifier()})
	return e
}

// newUsersEnv opens the content service over d and a keyring that has signed in each of users
// with their roles; the caller builds the server.
func newUsersEnv(t *testing.T, d *db.DB, users map[string][]identity.Role) (*adminEnv, *identity.Keyring) {
	t.Helper()
	cs, err := content.New(context.Background(), content.Options{DB: d})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &adminEnv{t: t, cs: cs, tokens: map[string]string{}}
	for who, roles := range users {
		tok, err := keys.Mint(who, who, roles, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[who] = tok
	}
	return e, keys
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) errCode() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// do sends one request as who ("" for anonymous); body may be a string (sent as is) or a value
// (sent as JSON).
func (e *adminEnv) do(who, method, path string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		tok, ok := e.tokens[who]
		if !ok {
			tok = who // a raw token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return roundTrip(e.t, e.srv, req)
}

// roundTrip sends req through srv's app and reads the answer, its body decoded when JSON.
func roundTrip(t testing.TB, srv *Server, req *http.Request) resp {
	t.Helper()
	res, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *adminEnv) want(r resp, status int, code string) resp {
	e.t.Helper()
	if r.status != status || r.errCode() != code {
		e.t.Fatalf("want %d %q, got %d: %s", status, code, r.status, r.raw)
	}
	return r
}

// guideDoc is a complete guide body for the API.
func guideDoc(code, name string) map[string]any {
	return map[string]any{
		"code": code, "name": name, "aliases": []string{"别名"}, "category": "pension", "audience": []string{"person"},
		"region": "陕西省", "item_type": "公共服务", "summary": "简述", "basis": []map[string]any{{"law": "《社会保险法》"}},
		"conditions": []string{"条件"}, "materials": []map[string]any{{"name": "身份证", "form": "原件", "copies": 1, "source": "申请人自备"}},
		"steps": []map[string]any{{"title": "申请", "detail": ""}}, "channels": []map[string]any{{"type": "window", "where": "经办大厅"}},
		"locations": []map[string]any{{"name": "经办大厅", "hours": "工作日"}}, "time_limit": map[string]any{"statutory": "20个工作日", "promised": "10个工作日"},
		"visits": 1, "fee": map[string]any{"charged": false, "standard": "不收费"}, "delivery": "窗口领取", "phone": "12333", "complaint": "12345",
		"faq": []map[string]any{},
	}
}

func TestAdminWorkflowOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newAdminEnv(t, d)
		xss := `<img src=x onerror=window.__xss=1>`
		r := e.want(e.do("editor-a", "POST", "/api/v1/admin/guides", guideDoc("H-1", "养老金申领"+xss)), 201, "")
		if r.header.Get("ETag") != `"v1.r1"` || r.body["status"] != "draft" {
			t.Fatalf("created: %v %s", r.header, r.raw)
		}
		// Save with If-Match; then the same If-Match is stale.
		doc := guideDoc("H-1", "养老金申领"+xss)
		doc["summary"] = "修改后的简述"
		r = e.want(e.do("editor-a", "PUT", "/api/v1/admin/guides/H-1/versions/1", map[string]any{"body": doc, "major": true, "change_note": "改简述"}, "If-Match", `"v1.r1"`), 200, "")
		if r.header.Get("ETag") != `"v1.r2"` {
			t.Fatalf("etag after save %q", r.header.Get("ETag"))
		}
		r = e.want(e.do("editor-a2", "PUT", "/api/v1/admin/guides/H-1/versions/1", map[string]any{"body": doc}, "If-Match", `"v1.r1"`), 409, "edit_conflict")
		if det := r.body["error"].(map[string]any)["details"].(map[string]any); det["edited_by"] != "editor-a" {
			t.Fatalf("conflict details: %s", r.raw)
		}
		e.want(e.do("editor-a", "PUT", "/api/v1/admin/guides/H-1/versions/1", map[string]any{"body": doc}), 428, "precondition_required")
		e.want(e.do("editor-a", "PUT", "/api/v1/admin/guides/H-1/versions/1", map[string]any{"body": map[string]any{"colour": "red"}, "revision": 2}), 400, "invalid_body")

		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/H-1/versions/1/submit", nil), 200, "")
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/guides?queue=review", nil), 200, "")
		if r.body["total"].(float64) != 1 {
			t.Fatalf("review queue: %s", r.raw)
		}
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/H-1/versions/1/approve", map[string]any{}), 403, "self_review_forbidden")
		e.want(e.do("editor-a2", "POST", "/api/v1/admin/guides/H-1/versions/1/approve", map[string]any{}), 403, "forbidden")
		e.want(e.do("reviewer-b", "POST", "/api/v1/admin/guides/H-1/versions/1/approve", map[string]any{"comment": "同意", "revision": 2}), 200, "")
		e.want(e.do("reviewer-b", "POST", "/api/v1/admin/guides/H-1/versions/1/publish", nil), 403, "forbidden")
		e.want(e.do("publisher-c", "POST", "/api/v1/admin/guides/H-1/versions/1/publish", nil), 200, "")

		// Visible to the public at once, with the title stored as text and escaped in JSON.
		r = e.want(e.do("", "GET", "/api/v1/guides/H-1", nil), 200, "")
		if r.body["name"] != "养老金申领"+xss || r.body["summary"] != "修改后的简述" || bytes.Contains(r.raw, []byte("<img")) {
			t.Fatalf("public guide: %s", r.raw)
		}

		// A second version, its diff, history, audit by guide and by person, rollback.
		r = e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/H-1/drafts", nil), 201, "")
		doc["phone"] = "029-12333"
		e.want(e.do("editor-a", "PUT", "/api/v1/admin/guides/H-1/versions/2", map[string]any{"body": doc, "major": false}, "If-Match", r.header.Get("ETag")), 200, "")
		r = e.want(e.do("reviewer-b", "GET", "/api/v1/admin/guides/H-1/diff", nil), 200, "")
		ch := r.body["changes"].([]any)
		if len(ch) != 1 || ch[0].(map[string]any)["element"] != "咨询电话" {
			t.Fatalf("diff: %s", r.raw)
		}
		r = e.want(e.do("reviewer-b", "GET", "/api/v1/admin/guides/H-1/versions", nil), 200, "")
		if len(r.body["items"].([]any)) != 2 {
			t.Fatalf("history: %s", r.raw)
		}
		r = e.want(e.do("reviewer-b", "GET", "/api/v1/admin/guides/H-1/audit", nil), 200, "")
		if len(r.body["items"].([]any)) != 7 {
			t.Fatalf("audit by guide: %s", r.raw)
		}
		r = e.want(e.do("reviewer-b", "GET", "/api/v1/admin/audit?actor=publisher-c", nil), 200, "")
		items := r.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["action"] != "publish" || items[0].(map[string]any)["ip"] == "" {
			t.Fatalf("audit by person: %s", r.raw)
		}
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/H-1/versions/2/discard", nil), 200, "")
		r = e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/H-1/versions/1/rollback", nil), 201, "")
		if r.body["version"].(float64) != 3 || r.body["based_on"].(float64) != 1 {
			t.Fatalf("rollback: %s", r.raw)
		}
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/guides/H-1", nil), 200, "")
		if r.body["working"].(map[string]any)["version"].(float64) != 3 || r.body["published"].(map[string]any)["version"].(float64) != 1 {
			t.Fatalf("document: %s", r.raw)
		}
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/guides?q=养老金", nil), 200, "")
		if r.body["total"].(float64) != 1 {
			t.Fatalf("list: %s", r.raw)
		}

		// Unpublish with a reason: the public API answers 410 with it.
		e.want(e.do("publisher-c", "POST", "/api/v1/admin/guides/H-1/unpublish", map[string]any{}), 400, "reason_required")
		e.want(e.do("publisher-c", "POST", "/api/v1/admin/guides/H-1/unpublish", map[string]any{"reason": "政策废止"}), 200, "")
		r = e.want(e.do("", "GET", "/api/v1/guides/H-1", nil), 410, "guide_unpublished")
		if !strings.Contains(string(r.raw), "政策废止") {
			t.Fatalf("410 body: %s", r.raw)
		}
	})
}

func TestAdminBadInputOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newAdminEnv(t, d)
		// An approved guide to schedule, a draft that fails validation, a published guide for forms.
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides", guideDoc("OK-1", "完整事项")), 201, "")
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/OK-1/versions/1/submit", nil), 200, "")
		e.want(e.do("reviewer-b", "POST", "/api/v1/admin/guides/OK-1/versions/1/approve", nil), 200, "")
		bad := guideDoc("BAD-1", "")
		delete(bad, "materials")
		bad["phone"] = ""
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides", bad), 201, "")
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides", guideDoc("G-1", "表单所属事项")), 201, "")
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides", guideDoc("SELF-1", "自己提交的")), 201, "")
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/SELF-1/versions/1/submit", nil), 200, "")
		e.want(e.do("admin-e", "POST", "/api/v1/admin/guides/G-1/versions/1/force-publish", map[string]any{"reason": "测试"}), 200, "")

		now := time.Now()
		formWith := func(cond map[string]any) map[string]any {
			return map[string]any{"code": "F-1", "title": "申请表", "guide": "G-1", "fields": []map[string]any{
				{"key": "a", "type": "text", "label": "姓名", "show_if": cond},
				{"key": "b", "type": "yesno", "label": "是否"},
			}}
		}
		cases := []struct {
			name, who, method, path string
			body                    any
			headers                 []string
			status                  int
			code                    string
		}{
			{"approve your own edit", "editor-a", "POST", "/api/v1/admin/guides/SELF-1/versions/1/approve", nil, nil, 403, "self_review_forbidden"},
			{"force-publish without a reason", "publisher-c", "POST", "/api/v1/admin/guides/BAD-1/versions/1/force-publish", map[string]any{"reason": ""}, nil, 400, "reason_required"},
			{"force-publish with only zero-width characters as a reason", "publisher-c", "POST", "/api/v1/admin/guides/BAD-1/versions/1/force-publish", map[string]any{"reason": "\u200b\u200b\ufeff\u2060"}, nil, 400, "reason_required"},
			{"publish a draft that fails validation", "publisher-c", "POST", "/api/v1/admin/guides/BAD-1/versions/1/force-publish", map[string]any{"reason": "急"}, nil, 422, "guide_invalid"},
			{"schedule in the past", "publisher-c", "POST", "/api/v1/admin/guides/OK-1/versions/1/schedule", map[string]any{"at": now.Add(-time.Hour).Format(time.RFC3339)}, nil, 400, "invalid_schedule"},
			{"schedule more than a year ahead", "publisher-c", "POST", "/api/v1/admin/guides/OK-1/versions/1/schedule", map[string]any{"at": now.AddDate(1, 0, 2).Format(time.RFC3339)}, nil, 400, "invalid_schedule"},
			{"schedule with a bad time", "publisher-c", "POST", "/api/v1/admin/guides/OK-1/versions/1/schedule", map[string]any{"at": "明天"}, nil, 400, "invalid_schedule"},
			{"stale ETag", "editor-a", "PUT", "/api/v1/admin/guides/BAD-1/versions/1", map[string]any{"body": bad}, []string{"If-Match", `"v1.r9"`}, 409, "edit_conflict"},
			{"ETag of another version", "editor-a", "PUT", "/api/v1/admin/guides/BAD-1/versions/1", map[string]any{"body": bad}, []string{"If-Match", `"v2.r1"`}, 409, "edit_conflict"},
			{"form condition on a later field", "editor-a", "POST", "/api/v1/admin/forms", formWith(map[string]any{"field": "b", "equals": "yes"}), nil, 201, ""},
			{"no token", "", "GET", "/api/v1/admin/guides", nil, nil, 401, "unauthenticated"},
			{"citizen token", "citizen", "GET", "/api/v1/admin/guides", nil, nil, 403, "forbidden"},
			{"forged token", e.tokens["editor-a"][:len(e.tokens["editor-a"])-4] + "AAAA", "GET", "/api/v1/admin/guides", nil, nil, 401, "unauthenticated"},
			{"alg none", handToken(map[string]any{"alg": "none", "typ": "JWT"}, map[string]any{"sub": "x", "roles": []string{"admin"}, "exp": now.Add(time.Hour).Unix()}), "GET", "/api/v1/admin/guides", nil, nil, 401, "unauthenticated"},
			{"unknown issuer", handToken(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "k"}, map[string]any{"iss": "https://evil.example", "sub": "x", "roles": []string{"admin"}, "exp": now.Add(time.Hour).Unix()}), "GET", "/api/v1/admin/guides", nil, nil, 401, "unauthenticated"},
			{"bad status filter", "editor-a", "GET", "/api/v1/admin/guides?status=nope", nil, nil, 400, "invalid_parameter"},
			{"bad queue", "editor-a", "GET", "/api/v1/admin/guides?queue=nope", nil, nil, 400, "invalid_parameter"},
			{"bad version number", "editor-a", "GET", "/api/v1/admin/guides/OK-1/versions/zero", nil, nil, 400, "invalid_parameter"},
			{"missing version", "editor-a", "GET", "/api/v1/admin/guides/OK-1/versions/9", nil, nil, 404, "version_not_found"},
			{"missing guide", "editor-a", "GET", "/api/v1/admin/guides/NOPE", nil, nil, 404, "guide_not_found"},
			{"bad import", "editor-a", "POST", "/api/v1/admin/import", "guides: [\n", nil, 400, "invalid_body"},
			{"import publish needs admin, checked before the body is read", "editor-a", "POST", "/api/v1/admin/import?publish=true", `{"guides":[]," forms":[]}`, nil, 403, "forbidden"},
			{"import needs the editor role, checked before the body is read", "reviewer-b", "POST", "/api/v1/admin/import", "guides: [\n", nil, 403, "forbidden"},
			{"missing public form", "", "GET", "/api/v1/forms/NOPE", nil, nil, 404, "form_not_found"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e.t = t
				r := e.do(tc.who, tc.method, tc.path, tc.body, tc.headers...)
				e.want(r, tc.status, tc.code)
				if tc.code == "guide_invalid" {
					det, _ := r.body["error"].(map[string]any)["details"].([]any)
					var els []string
					for _, p := range det {
						els = append(els, p.(map[string]any)["element"].(string))
					}
					if strings.Join(els, ",") != "事项名称,申请材料,咨询电话" {
						t.Fatalf("problems: %v", els)
					}
				}
			})
		}
		e.t = t
		r := e.want(e.do("editor-a", "POST", "/api/v1/admin/forms/F-1/versions/1/submit", nil), 422, "form_invalid")
		if !strings.Contains(string(r.raw), "不在本字段之前") {
			t.Fatalf("form_invalid: %s", r.raw)
		}
		e.want(e.do("editor-a", "PUT", "/api/v1/admin/forms/F-1/versions/1", map[string]any{"body": formWith(map[string]any{"field": "zzz", "equals": "yes"}), "revision": 1}), 200, "")
		r = e.want(e.do("editor-a", "POST", "/api/v1/admin/forms/F-1/versions/1/submit", nil), 422, "form_invalid")
		if !strings.Contains(string(r.raw), "zzz 不存在") {
			t.Fatalf("form_invalid: %s", r.raw)
		}
	})
}

// handToken builds an unsigned-looking JWT with the given header and claims.
func handToken(header, claims map[string]any) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	return enc(header) + "." + enc(claims) + "." + base64.RawURLEncoding.EncodeToString([]byte("not-a-signature"))
}

func TestFormsPublishedAndPinned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newAdminEnv(t, d)
		bundle := `guides:
  - code: G-1
    name: 退休
    aliases: [退休]
    category: pension
    audience: [person]
    region: 陕西省
    item_type: 公共服务
    summary: 简述
    basis: [{law: 《社会保险法》}]
    conditions: [条件]
    materials: [{name: 身份证, form: 原件, copies: 1, source: 申请人自备}]
    steps: [{title: 申请}]
    channels: [{type: window, where: 大厅}]
    locations: [{name: 大厅, hours: 工作日}]
    time_limit: {statutory: 20个工作日, promised: 即时}
    visits: 1
    fee: {charged: false, standard: 不收费}
    delivery: 窗口
    phone: "12333"
    complaint: "12345"
    faq: []
forms:
  - code: F-1
    title: 退休申请表
    guide: G-1
    fields:
      - {key: name, type: text, label: 姓名, required: true}
      - {key: flex, type: yesno, label: 是否灵活就业}
      - {key: months, type: number, label: 月数, min: 1, max: 600, show_if: {field: flex, equals: "yes"}}
`
		e.want(e.do("editor-a", "POST", "/api/v1/admin/import?publish=true", bundle), 403, "forbidden")
		r := e.want(e.do("admin-e", "POST", "/api/v1/admin/import?publish=true", bundle), 200, "")
		if r.body["forms"].(map[string]any)["created"].(float64) != 1 {
			t.Fatalf("import: %s", r.raw)
		}
		r = e.want(e.do("", "GET", "/api/v1/forms/F-1", nil), 200, "")
		if r.body["version"].(float64) != 1 || len(r.body["fields"].([]any)) != 3 {
			t.Fatalf("form: %s", r.raw)
		}
		// Version 2 through the workflow; version 1 stays readable.
		r = e.want(e.do("editor-a", "POST", "/api/v1/admin/forms/F-1/drafts", nil), 201, "")
		var v map[string]any
		json.Unmarshal(r.raw, &v)
		body := v["body"].(map[string]any)
		body["fields"] = body["fields"].([]any)[:2]
		e.want(e.do("editor-a", "PUT", "/api/v1/admin/forms/F-1/versions/2", map[string]any{"body": body, "change_note": "删除月数"}, "If-Match", r.header.Get("ETag")), 200, "")
		e.want(e.do("editor-a", "POST", "/api/v1/admin/forms/F-1/versions/2/submit", nil), 200, "")
		e.want(e.do("reviewer-b", "POST", "/api/v1/admin/forms/F-1/versions/2/approve", nil), 200, "")
		e.want(e.do("publisher-c", "POST", "/api/v1/admin/forms/F-1/versions/2/publish", nil), 200, "")
		if r = e.want(e.do("", "GET", "/api/v1/forms/F-1", nil), 200, ""); r.body["version"].(float64) != 2 {
			t.Fatalf("latest: %s", r.raw)
		}
		if r = e.want(e.do("", "GET", "/api/v1/forms/F-1/versions/1", nil), 200, ""); len(r.body["fields"].([]any)) != 3 {
			t.Fatalf("pinned: %s", r.raw)
		}
		e.want(e.do("", "GET", "/api/v1/forms/F-1/versions/3", nil), 404, "form_not_found")
		// Export round-trips in both formats.
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/export", nil), 200, "")
		if len(r.body["guides"].([]any)) != 1 || len(r.body["forms"].([]any)) != 1 {
			t.Fatalf("export: %s", r.raw)
		}
		r = e.do("editor-a", "GET", "/api/v1/admin/export?format=yaml", nil)
		if r.status != 200 || !strings.Contains(string(r.raw), "code: F-1") {
			t.Fatalf("yaml export: %d %s", r.status, r.raw)
		}
	})
}

func TestConsoleIsServed(t *testing.T) {
	e := newAdminEnv(t, dbtest.SQLite(t))
	r := e.do("", "GET", "/admin", nil)
	if r.status != 200 || !strings.Contains(string(r.raw), `<meta charset="utf-8">`) || !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("console page: %d %v", r.status, r.header)
	}
	r = e.do("", "GET", "/admin/assets/console.js", nil)
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "javascript") || !strings.Contains(string(r.raw), "textContent") {
		t.Fatalf("console script: %d %v", r.status, r.header)
	}
	// The script never parses server text as HTML.
	if strings.Contains(string(r.raw), "innerHTML") || strings.Contains(string(r.raw), "insertAdjacentHTML") {
		t.Fatal("console.js uses an HTML sink")
	}
	for _, p := range []string{"/admin/assets/nope.js", "/admin/assets/..%2fconsole.go", "/admin/assets/index.html"} {
		if r := e.do("", "GET", p, nil); r.status != 404 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}

// An import whose YAML aliases expand one long string thousands of times is refused with 413
// before it is decoded, and costs the server little to refuse.
func TestImportAliasBombIsRefused(t *testing.T) {
	e := newAdminEnv(t, dbtest.SQLite(t))
	var b strings.Builder
	b.WriteString("guides:\n  - code: BOMB-1\n    name: &s \"" + strings.Repeat("长", 3000) + "\"\n    aliases: [")
	for i := 0; i < 20000; i++ {
		b.WriteString("*s, ")
	}
	b.WriteString("]\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e.want(e.do("editor-a", "POST", "/api/v1/admin/import", b.String()), 413, "import_too_large")
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
		t.Errorf("refusing a %d KB file allocated %d MB", b.Len()>>10, n>>20)
	}
	if n, _ := e.cs.Count(context.Background()); n != 0 {
		t.Fatalf("%d guides stored", n)
	}
}
