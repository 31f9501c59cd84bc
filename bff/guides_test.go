package bff

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"shebao/content"
	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// editorNoteWords are the words of editors' notes that no public answer may contain.
var editorNoteWords = []string{"待核实", "来源可靠性", "有报道称", "据报道"}

func leaks(body []byte) string {
	for _, w := range editorNoteWords {
		if strings.Contains(string(body), w) {
			return w
		}
	}
	return ""
}

// TestPublicAPIHidesEditorNotes reads every public guide (list pages, each guide, each city
// variant) and search results of queries that land on noted elements: none shows an editor's
// note, the noted figures defer to the agency, and the console still shows the notes.
func TestPublicAPIHidesEditorNotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newSearchEnv(t, d)
		r := e.want(e.do("", "GET", "/api/v1/guides?limit=100", nil), 200, "")
		if w := leaks(r.raw); w != "" {
			t.Errorf("guide list contains %q", w)
		}
		var list struct {
			Items []content.Guide `json:"items"`
		}
		json.Unmarshal(r.raw, &list)
		if len(list.Items) < 60 {
			t.Fatalf("only %d guides listed", len(list.Items))
		}
		deferred := 0
		for _, g := range list.Items {
			targets := []string{"/api/v1/guides/" + g.Code, "/api/v1/guides/" + g.Code + "?city=" + url.QueryEscape("咸阳市")}
			for _, v := range g.Variants {
				targets = append(targets, "/api/v1/guides/"+g.Code+"?city="+url.QueryEscape(v.City))
			}
			for _, target := range targets {
				r := e.want(e.do("", "GET", target, nil), 200, "")
				if w := leaks(r.raw); w != "" {
					t.Errorf("%s contains %q", target, w)
				}
			}
			if strings.Contains(g.TimeLimit.Promised, content.DefersToAgency) {
				deferred++
			}
		}
		if deferred < 20 {
			t.Errorf("only %d promised time limits defer to the agency", deferred)
		}
		for _, q := range []string{"承诺时限", "多久能办好", "西安 城乡居民养老保险 集中征缴期", "西安 基础养老金 每月", "社保卡补办 工本费"} {
			r := e.want(e.do("", "GET", "/api/v1/search?limit=20&q="+url.QueryEscape(q), nil), 200, "")
			if w := leaks(r.raw); w != "" {
				t.Errorf("search %q: results contain %q", q, w)
			}
		}
		// The Xi'an note of SX-YL-002 carried a reported figure with a reliability note.
		r = e.want(e.do("", "GET", "/api/v1/guides/SX-YL-002?city="+url.QueryEscape("西安市"), nil), 200, "")
		if !strings.Contains(string(r.raw), "2025年6月4日至8月31日（"+content.DefersToAgency+"）") {
			t.Errorf("the Xi'an figure does not defer to the agency: %s", r.raw)
		}
		// The console reads the stored version, notes included.
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/guides/SX-YL-002/versions/1", nil), 200, "")
		if !strings.Contains(string(r.raw), "来源可靠性低，待核实") {
			t.Errorf("the console lost the editors' note: %.300s", r.raw)
		}
	})
}

// TestGuideCityRepresentations checks ?city=: a city with a variant gets it, a city without one
// gets the province's guide with a notice, and every representation has its own ETag.
func TestGuideCityRepresentations(t *testing.T) {
	e := env(t)
	app := e.srv.App()
	base := "/api/v1/guides/SX-YL-002"
	xian, xianyang := base+"?city="+url.QueryEscape("西安市"), base+"?city="+url.QueryEscape("咸阳市")

	prov := do(t, app, "GET", base, nil)
	xa := do(t, app, "GET", xian, nil)
	xy := do(t, app, "GET", xianyang, nil)
	for _, r := range []response{prov, xa, xy} {
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") || strings.Contains(cc, "max-age") {
			t.Errorf("Cache-Control %q: a publish must reach every screen at once", cc)
		}
		if r.header.Get("ETag") == "" || r.header.Get("Last-Modified") == "" {
			t.Errorf("missing validators: %v", r.header)
		}
	}
	tags := map[string]string{"province": prov.header.Get("ETag"), "西安市": xa.header.Get("ETag"), "咸阳市": xy.header.Get("ETag")}
	if tags["province"] == tags["西安市"] || tags["province"] == tags["咸阳市"] || tags["西安市"] == tags["咸阳市"] {
		t.Errorf("representations share an ETag: %v", tags)
	}

	var pg, xag, xyg map[string]any
	json.Unmarshal(prov.body, &pg)
	json.Unmarshal(xa.body, &xag)
	json.Unmarshal(xy.body, &xyg)
	if _, ok := pg["city_specific"]; ok {
		t.Errorf("province body names a city: %v", pg["city"])
	}
	if xag["city"] != "西安市" || xag["city_specific"] != true || xag["region"] != "西安市" {
		t.Errorf("Xi'an: city=%v specific=%v region=%v", xag["city"], xag["city_specific"], xag["region"])
	}
	notice, _ := xyg["city_notice"].(string)
	if xyg["city"] != "咸阳市" || xyg["city_specific"] != false || !strings.Contains(notice, "咸阳市") || xyg["region"] != pg["region"] {
		t.Errorf("Xianyang: city=%v specific=%v notice=%q region=%v", xyg["city"], xyg["city_specific"], notice, xyg["region"])
	}
	if xyg["summary"] != pg["summary"] || xyg["code"] != pg["code"] {
		t.Error("a city without a variant must get the province's guide")
	}

	// Each ETag validates its own representation only.
	for _, c := range []struct {
		target, etag string
		status       int
	}{
		{xian, tags["西安市"], 304}, {xianyang, tags["咸阳市"], 304}, {base, tags["province"], 304},
		{xian, tags["province"], 200}, {base, tags["西安市"], 200}, {xianyang, tags["西安市"], 200},
	} {
		if r := do(t, app, "GET", c.target, nil, "If-None-Match", c.etag); r.status != c.status {
			t.Errorf("%s If-None-Match %s: %d, want %d", c.target, c.etag, r.status, c.status)
		}
	}
	// A value that cannot name a place is still refused.
	for _, bad := range []string{"<script>", "x", strings.Repeat("市", 21)} {
		r := do(t, app, "GET", base+"?city="+url.QueryEscape(bad), nil)
		if r.status != 400 || r.errorCode(t) != "invalid_parameter" {
			t.Errorf("city=%q: %d %s", bad, r.status, r.body)
		}
	}
}
