package content

import (
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// TestPeopleRememberDisplayNames checks that everyone who acts is listed with the name from their
// latest token, and that a token without a name keeps the known one.
func TestPeopleRememberDisplayNames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		zhang := editorA
		zhang.Name = "张编辑"
		li := reviewerB
		li.Name = "李审核"
		mustf(e.s.CreateGuide(e.ctx, zhang, testGuide("PP-1", "人名")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, zhang, "PP-1", 1))(t)
		mustf(e.s.Approve(e.ctx, KindGuide, li, "PP-1", 1, 0, "同意"))(t)
		noErr(t, e.s.RecordAudit(e.ctx, Actor{ID: "wang", Name: "王发布"}, "synonym_put", "search", "退休金"))
		mustf(e.s.CreateGuide(e.ctx, editorA, testGuide("PP-2", "无名")))(t) // a token without a name
		if got := mustf(e.s.People(e.ctx))(t); len(got) == 0 || got[0].Name != "张编辑" {
			t.Fatalf("a token without a name replaced the known one: %+v", got)
		}
		zhang.Name = "张三"
		mustf(e.s.Submit(e.ctx, KindGuide, zhang, "PP-2", 1))(t)
		got := mustf(e.s.People(e.ctx))(t)
		want := map[string]string{"editor-a": "张三", "reviewer-b": "李审核", "wang": "王发布"}
		if len(got) != len(want) {
			t.Fatalf("people: %+v", got)
		}
		for _, p := range got {
			if want[p.Subject] != p.Name {
				t.Errorf("%s: %q, want %q", p.Subject, p.Name, want[p.Subject])
			}
		}
		if ok, err := e.d.UpToDate(e.ctx, "people", PeopleMigrations); !ok || err != nil {
			t.Errorf("schema current: %v %v", ok, err)
		}
	})
}
