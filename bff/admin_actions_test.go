package bff

import (
	"encoding/json"
	"slices"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

type actionsBody struct {
	Allowed []string `json:"allowed_actions"`
	Blocked []struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	} `json:"blocked_actions"`
}

func actionsOf(t *testing.T, raw []byte) actionsBody {
	t.Helper()
	var a actionsBody
	if err := json.Unmarshal(raw, &a); err != nil || a.Allowed == nil {
		t.Fatalf("no allowed_actions in %s", raw)
	}
	return a
}

// TestAdminVersionsCarryTheCallersActions checks that the admin API tells each person what they
// may do on a version: an editor is not offered review or force-publish on their own submission,
// a reviewer is, a publisher sees the publishing steps, and the list screens carry them too.
func TestAdminVersionsCarryTheCallersActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newAdminEnv(t, d)
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides", guideDoc("AA-1", "权限测试")), 201, "")
		e.want(e.do("editor-a", "POST", "/api/v1/admin/guides/AA-1/versions/1/submit", nil), 200, "")

		ed := actionsOf(t, e.want(e.do("editor-a", "GET", "/api/v1/admin/guides/AA-1/versions/1", nil), 200, "").raw)
		for _, no := range []string{"approve", "send_back", "force_publish", "publish"} {
			if slices.Contains(ed.Allowed, no) {
				t.Errorf("editor offered %s on their own submission: %+v", no, ed)
			}
		}
		if !slices.Contains(ed.Allowed, "save") {
			t.Errorf("editor not offered save: %+v", ed)
		}
		rv := actionsOf(t, e.want(e.do("reviewer-b", "GET", "/api/v1/admin/guides/AA-1/versions/1", nil), 200, "").raw)
		if !slices.Contains(rv.Allowed, "approve") || !slices.Contains(rv.Allowed, "send_back") || slices.Contains(rv.Allowed, "save") {
			t.Errorf("reviewer: %+v", rv)
		}
		pb := actionsOf(t, e.want(e.do("publisher-c", "GET", "/api/v1/admin/guides/AA-1/versions/1", nil), 200, "").raw)
		if !slices.Contains(pb.Allowed, "force_publish") || slices.Contains(pb.Allowed, "approve") {
			t.Errorf("publisher: %+v", pb)
		}
		// An action's answer carries the actions after it.
		r := e.want(e.do("reviewer-b", "POST", "/api/v1/admin/guides/AA-1/versions/1/approve", map[string]any{"comment": "同意"}), 200, "")
		if a := actionsOf(t, r.raw); slices.Contains(a.Allowed, "approve") || !slices.Contains(a.Allowed, "send_back") {
			t.Errorf("after approval, reviewer: %+v", a)
		}
		// The document screen: the working version's actions and the document's own.
		r = e.want(e.do("publisher-c", "GET", "/api/v1/admin/guides/AA-1", nil), 200, "")
		var doc struct {
			Working json.RawMessage `json:"working"`
			actionsBody
		}
		json.Unmarshal(r.raw, &doc)
		if w := actionsOf(t, doc.Working); !slices.Contains(w.Allowed, "publish") || !slices.Contains(w.Allowed, "schedule") {
			t.Errorf("publisher on the approved working version: %+v", w)
		}
		if slices.Contains(doc.Allowed, "new_draft") || !slices.Contains(doc.Allowed, "archive") {
			t.Errorf("publisher on the document: %+v", doc.actionsBody)
		}
		e.want(e.do("publisher-c", "POST", "/api/v1/admin/guides/AA-1/versions/1/publish", nil), 200, "")
		// History rows say whether restoring is possible.
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/guides/AA-1/versions", nil), 200, "")
		var hist struct{ Items []json.RawMessage }
		json.Unmarshal(r.raw, &hist)
		if len(hist.Items) != 1 || !slices.Contains(actionsOf(t, hist.Items[0]).Allowed, "rollback") {
			t.Errorf("history: %s", r.raw)
		}
		// People are listed by display name.
		r = e.want(e.do("editor-a", "GET", "/api/v1/admin/people", nil), 200, "")
		var ppl struct {
			People []struct{ Subject, Name string }
		}
		json.Unmarshal(r.raw, &ppl)
		if len(ppl.People) != 3 || ppl.People[0].Subject != "editor-a" || ppl.People[0].Name == "" {
			t.Errorf("people: %s", r.raw)
		}
	})
}
