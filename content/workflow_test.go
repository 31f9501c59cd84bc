package content

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/testutil"
)

// The people of the workflow tests.
var (
	editorA    = Actor{ID: "editor-a", Roles: []string{RoleEditor}, IP: "10.0.0.1"}
	editorA2   = Actor{ID: "editor-a2", Roles: []string{RoleEditor}, IP: "10.0.0.5"}
	reviewerB  = Actor{ID: "reviewer-b", Roles: []string{RoleReviewer}, IP: "10.0.0.2"}
	reviewerB2 = Actor{ID: "reviewer-b2", Roles: []string{RoleReviewer}, IP: "10.0.0.6"}
	publisherC = Actor{ID: "publisher-c", Roles: []string{RolePublisher}, IP: "10.0.0.3"}
	editRev    = Actor{ID: "both-d", Roles: []string{RoleEditor, RoleReviewer}, IP: "10.0.0.4"}
	adminE     = Actor{ID: "admin-e", Roles: []string{RoleAdmin}, IP: "10.0.0.7"}
)

// clock is a settable time source for the service under test.
type clock = testutil.Clock

type wfEnv struct {
	s     *Service
	d     *db.DB
	bus   *eventlog.Log
	clock *clock
	rec   *recorder
	ctx   context.Context
}

func newWF(t *testing.T, d *db.DB) *wfEnv {
	t.Helper()
	bus := openEvents(t, d)
	rec := &recorder{}
	for _, topic := range []string{event.GuidePublished, event.GuideUnpublished, event.FormPublished, event.FormUnpublished} {
		bus.Subscribe(topic, rec.handle)
	}
	c := testutil.NewClock(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC))
	s, err := New(context.Background(), Options{DB: d, Events: bus, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &wfEnv{s: s, d: d, bus: bus, clock: c, rec: rec, ctx: context.Background()}
}

func (e *wfEnv) topics() []string {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	var out []string
	for _, ev := range e.rec.evs {
		out = append(out, ev.Topic+":"+ev.Key)
	}
	return out
}

// mustf fails the test when a call returned an error: mustf(s.Call(...))(t).
func mustf[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// errOnly keeps only the error of a call that also returns a value: return errOnly(s.Call(...)).
func errOnly[T any](_ T, err error) error { return err }

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err error, k apperr.Kind) *apperr.Error {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("want %s, got %v", k.Code, err)
	}
	ae, _ := apperr.As(err)
	return ae
}

// publishNew takes a new guide through the whole two-person workflow.
func (e *wfEnv) publishNew(t *testing.T, g Guide) *Version {
	t.Helper()
	v := mustf(e.s.CreateGuide(e.ctx, editorA, g))(t)
	mustf(e.s.Submit(e.ctx, KindGuide, editorA, g.Code, v.Version))(t)
	mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, g.Code, v.Version, 0, "同意"))(t)
	return mustf(e.s.Publish(e.ctx, KindGuide, publisherC, g.Code, v.Version))(t)
}

// forcePublished creates g as editor and has publisher force-publish it, without review.
func (e *wfEnv) forcePublished(t *testing.T, editor, publisher Actor, g Guide) {
	t.Helper()
	mustf(e.s.CreateGuide(e.ctx, editor, g))(t)
	mustf(e.s.ForcePublish(e.ctx, KindGuide, publisher, g.Code, 1, "政策今日生效"))(t)
}

// draftEdit opens a new version of code and saves g into it.
func (e *wfEnv) draftEdit(t *testing.T, who Actor, g Guide, major bool, note string) *Version {
	t.Helper()
	v := mustf(e.s.NewDraft(e.ctx, KindGuide, who, g.Code))(t)
	return mustf(e.s.SaveGuide(e.ctx, who, g.Code, Edit{Version: v.Version, Revision: v.Revision, Major: major, ChangeNote: note}, g))(t)
}

func TestWorkflowTwoPersonPublish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		g := testGuide("WF-1", "退休待遇申领")
		v := mustf(e.s.CreateGuide(e.ctx, editorA, g))(t)
		if v.Status != StatusDraft || v.Version != 1 || v.Revision != 1 || v.ETag != `"v1.r1"` {
			t.Fatalf("new draft: %+v", v)
		}
		if _, err := e.s.Guide("WF-1"); !apperr.Is(err, apperr.GuideNotFound) {
			t.Fatalf("a draft must not be served: %v", err)
		}
		v = mustf(e.s.Submit(e.ctx, KindGuide, editorA, "WF-1", 1))(t)
		if v.Status != StatusSubmitted || v.SubmittedBy != editorA.ID {
			t.Fatalf("submitted: %+v", v)
		}
		q := mustf(e.s.Queue(e.ctx, KindGuide, QueueReview))(t)
		if len(q) != 1 || q[0].Code != "WF-1" {
			t.Fatalf("review queue: %+v", q)
		}
		v = mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "WF-1", 1, 1, "内容准确"))(t)
		if v.Status != StatusApproved || v.ReviewedBy != reviewerB.ID || v.ReviewComment != "内容准确" {
			t.Fatalf("approved: %+v", v)
		}
		v = mustf(e.s.Publish(e.ctx, KindGuide, publisherC, "WF-1", 1))(t)
		if v.Status != StatusPublished || v.PublishedBy != publisherC.ID {
			t.Fatalf("published: %+v", v)
		}
		p := mustf(e.s.Guide("WF-1"))(t)
		if p.Guide.Name != "退休待遇申领" || p.Guide.Version != 1 || p.Guide.PublicUpdatedAt.IsZero() {
			t.Fatalf("served: %+v", p.Guide)
		}
		if got := e.topics(); len(got) != 1 || got[0] != event.GuidePublished+":WF-1" {
			t.Fatalf("events: %v", got)
		}
		// The event went through the event log, written in the publishing transaction.
		var logged int
		d.QueryRow(e.ctx, `SELECT count(*) FROM event_log WHERE key = 'WF-1'`).Scan(&logged)
		if logged != 1 {
			t.Fatalf("%d events in the log", logged)
		}
		// Published versions are immutable.
		_, err := e.s.SaveGuide(e.ctx, editorA, "WF-1", Edit{Version: 1, Revision: 1}, g)
		wantKind(t, err, apperr.InvalidTransition)
		// Every action is in the audit log with who and from where.
		log := mustf(e.s.Audit(e.ctx, AuditFilter{Kind: KindGuide, Code: "WF-1"}))(t)
		var acts []string
		for i := len(log) - 1; i >= 0; i-- {
			acts = append(acts, log[i].Actor+"/"+log[i].Action+"/"+log[i].IP)
		}
		want := "editor-a/create/10.0.0.1 editor-a/submit/10.0.0.1 reviewer-b/approve/10.0.0.2 publisher-c/publish/10.0.0.3"
		if strings.Join(acts, " ") != want {
			t.Fatalf("audit:\n got %v\nwant %s", acts, want)
		}
	})
}

// selfApproval is who creating guide B-1, submitting it and approving it themselves.
func selfApproval(who Actor, title string) func(t *testing.T, e *wfEnv) error {
	return func(t *testing.T, e *wfEnv) error {
		e.s.CreateGuide(e.ctx, who, testGuide("B-1", title))
		e.s.Submit(e.ctx, KindGuide, who, "B-1", 1)
		_, err := e.s.Approve(e.ctx, KindGuide, who, "B-1", 1, 0, "")
		return err
	}
}

func TestWorkflowBadInput(t *testing.T) {
	type step func(t *testing.T, e *wfEnv) error
	cases := []struct {
		name string
		run  step
		want apperr.Kind
	}{
		{"approving your own edit", selfApproval(editRev, "自审"), apperr.SelfReviewForbidden},
		{"approving a version you created though someone else edited last", func(t *testing.T, e *wfEnv) error {
			v, _ := e.s.CreateGuide(e.ctx, editRev, testGuide("B-1", "自审"))
			v, _ = e.s.SaveGuide(e.ctx, editorA, "B-1", Edit{Version: 1, Revision: v.Revision}, testGuide("B-1", "改过"))
			e.s.Submit(e.ctx, KindGuide, editorA, "B-1", 1)
			_, err := e.s.Approve(e.ctx, KindGuide, editRev, "B-1", 1, 0, "")
			return err
		}, apperr.SelfReviewForbidden},
		{"an editor without the reviewer role approving their own edit", selfApproval(editorA, "自审"), apperr.SelfReviewForbidden},
		{"admin approving their own edit", selfApproval(adminE, "管理员"), apperr.SelfReviewForbidden},
		{"force-publish without a reason", func(t *testing.T, e *wfEnv) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "紧急"))
			_, err := e.s.ForcePublish(e.ctx, KindGuide, publisherC, "B-1", 1, "  ")
			return err
		}, apperr.ReasonRequired},
		{"publishing a draft that fails validation", func(t *testing.T, e *wfEnv) error {
			g := testGuide("B-1", "不完整")
			g.Materials = nil
			e.s.CreateGuide(e.ctx, editorA, g)
			_, err := e.s.ForcePublish(e.ctx, KindGuide, publisherC, "B-1", 1, "政策今日生效")
			return err
		}, apperr.GuideInvalid},
		{"submitting a draft that fails validation", func(t *testing.T, e *wfEnv) error {
			g := testGuide("B-1", "")
			e.s.CreateGuide(e.ctx, editorA, g)
			_, err := e.s.Submit(e.ctx, KindGuide, editorA, "B-1", 1)
			return err
		}, apperr.GuideInvalid},
		{"schedule in the past", func(t *testing.T, e *wfEnv) error {
			e.approved(testGuide("B-1", "定时"))
			_, err := e.s.Schedule(e.ctx, KindGuide, publisherC, "B-1", 1, e.clock.Now().Add(-time.Minute))
			return err
		}, apperr.InvalidSchedule},
		{"schedule right now", func(t *testing.T, e *wfEnv) error {
			e.approved(testGuide("B-1", "定时"))
			_, err := e.s.Schedule(e.ctx, KindGuide, publisherC, "B-1", 1, e.clock.Now())
			return err
		}, apperr.InvalidSchedule},
		{"schedule more than a year ahead", func(t *testing.T, e *wfEnv) error {
			e.approved(testGuide("B-1", "定时"))
			_, err := e.s.Schedule(e.ctx, KindGuide, publisherC, "B-1", 1, e.clock.Now().AddDate(1, 0, 1))
			return err
		}, apperr.InvalidSchedule},
		{"stale revision", func(t *testing.T, e *wfEnv) error {
			v, _ := e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "并发"))
			e.s.SaveGuide(e.ctx, editorA2, "B-1", Edit{Version: 1, Revision: v.Revision}, testGuide("B-1", "乙改"))
			_, err := e.s.SaveGuide(e.ctx, editorA, "B-1", Edit{Version: 1, Revision: v.Revision}, testGuide("B-1", "甲改"))
			return err
		}, apperr.EditConflict},
		{"approving a stale revision", func(t *testing.T, e *wfEnv) error {
			v, _ := e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "并发"))
			e.s.Submit(e.ctx, KindGuide, editorA, "B-1", 1)
			e.s.SaveGuide(e.ctx, editorA, "B-1", Edit{Version: 1, Revision: v.Revision}, testGuide("B-1", "提交后又改"))
			_, err := e.s.Approve(e.ctx, KindGuide, reviewerB, "B-1", 1, v.Revision, "")
			return err
		}, apperr.EditConflict},
		{"save without a revision", func(t *testing.T, e *wfEnv) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "无版本"))
			_, err := e.s.SaveGuide(e.ctx, editorA, "B-1", Edit{Version: 1}, testGuide("B-1", "x"))
			return err
		}, apperr.PreconditionNeeded},
		{"a second working version", func(t *testing.T, e *wfEnv) error {
			e.publishNew(t, testGuide("B-1", "已发布"))
			e.s.NewDraft(e.ctx, KindGuide, editorA, "B-1")
			_, err := e.s.NewDraft(e.ctx, KindGuide, editorA2, "B-1")
			return err
		}, apperr.InvalidTransition},
		{"publishing what was not approved", func(t *testing.T, e *wfEnv) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "未审"))
			e.s.Submit(e.ctx, KindGuide, editorA, "B-1", 1)
			_, err := e.s.Publish(e.ctx, KindGuide, publisherC, "B-1", 1)
			return err
		}, apperr.InvalidTransition},
		{"major change without a note", func(t *testing.T, e *wfEnv) error {
			e.publishNew(t, testGuide("B-1", "原名"))
			e.draftEdit(t, editorA, testGuide("B-1", "新名"), true, "")
			_, err := e.s.Submit(e.ctx, KindGuide, editorA, "B-1", 2)
			return err
		}, apperr.ChangeNoteRequired},
		{"send back without a comment", func(t *testing.T, e *wfEnv) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "退回"))
			e.s.Submit(e.ctx, KindGuide, editorA, "B-1", 1)
			_, err := e.s.SendBack(e.ctx, KindGuide, reviewerB, "B-1", 1, "")
			return err
		}, apperr.ReasonRequired},
		{"unpublish without a reason", func(t *testing.T, e *wfEnv) error {
			e.publishNew(t, testGuide("B-1", "下线"))
			return e.s.Unpublish(e.ctx, KindGuide, publisherC, "B-1", "", "")
		}, apperr.ReasonRequired},
		{"unpublish pointing to a missing replacement", func(t *testing.T, e *wfEnv) error {
			e.publishNew(t, testGuide("B-1", "下线"))
			return e.s.Unpublish(e.ctx, KindGuide, publisherC, "B-1", "合并", "NOPE")
		}, apperr.InvalidParameter},
		{"archive a published guide", func(t *testing.T, e *wfEnv) error {
			e.publishNew(t, testGuide("B-1", "在线"))
			return e.s.Archive(e.ctx, KindGuide, publisherC, "B-1")
		}, apperr.InvalidTransition},
		{"create with a taken code", func(t *testing.T, e *wfEnv) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("B-1", "一"))
			_, err := e.s.CreateGuide(e.ctx, editorA2, testGuide("B-1", "二"))
			return err
		}, apperr.GuideExists},
		{"create with a bad code", func(t *testing.T, e *wfEnv) error {
			_, err := e.s.CreateGuide(e.ctx, editorA, testGuide("坏 编码", "一"))
			return err
		}, apperr.InvalidGuideCode},
		{"retro review by the publisher who forced it", func(t *testing.T, e *wfEnv) error {
			e.forcePublished(t, editorA, adminE, testGuide("B-1", "紧急"))
			_, err := e.s.RetroReview(e.ctx, KindGuide, adminE, "B-1", 1, "")
			return err
		}, apperr.SelfReviewForbidden},
		{"retro review by its editor", func(t *testing.T, e *wfEnv) error {
			e.forcePublished(t, editRev, publisherC, testGuide("B-1", "紧急"))
			_, err := e.s.RetroReview(e.ctx, KindGuide, editRev, "B-1", 1, "")
			return err
		}, apperr.SelfReviewForbidden},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newWF(t, d)
				resetContent(t, d)
				e = newWF(t, d)
				wantKind(t, tc.run(t, e), tc.want)
			})
		}
	})
}

// resetContent empties the content tables so that table cases can share one database.
func resetContent(t testing.TB, d *db.DB) {
	t.Helper()
	for _, tbl := range []string{"documents", "document_versions", "audit_log", "event_log", "jobs"} {
		if _, err := d.Exec(context.Background(), "DELETE FROM "+tbl); err != nil {
			t.Fatal(err)
		}
	}
}

// approved creates a guide and takes it to approved.
func (e *wfEnv) approved(g Guide) {
	e.s.CreateGuide(e.ctx, editorA, g)
	e.s.Submit(e.ctx, KindGuide, editorA, g.Code, 1)
	e.s.Approve(e.ctx, KindGuide, reviewerB, g.Code, 1, 0, "")
}

func TestRoleChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		g := testGuide("R-1", "角色")
		cases := []struct {
			name string
			run  func() error
		}{
			{"reviewer creates", func() error { _, err := e.s.CreateGuide(e.ctx, reviewerB, g); return err }},
			{"publisher creates", func() error { _, err := e.s.CreateGuide(e.ctx, publisherC, g); return err }},
			{"editor approves", func() error { _, err := e.s.Approve(e.ctx, KindGuide, editorA2, "R-1", 1, 0, ""); return err }},
			{"editor publishes", func() error { _, err := e.s.Publish(e.ctx, KindGuide, editorA, "R-1", 1); return err }},
			{"reviewer publishes", func() error { _, err := e.s.Publish(e.ctx, KindGuide, reviewerB, "R-1", 1); return err }},
			{"editor schedules", func() error {
				_, err := e.s.Schedule(e.ctx, KindGuide, editorA, "R-1", 1, e.clock.Now().Add(time.Hour))
				return err
			}},
			{"reviewer force-publishes", func() error { _, err := e.s.ForcePublish(e.ctx, KindGuide, reviewerB, "R-1", 1, "急"); return err }},
			{"editor unpublishes", func() error { return e.s.Unpublish(e.ctx, KindGuide, editorA, "R-1", "过时", "") }},
			{"reviewer archives", func() error { return e.s.Archive(e.ctx, KindGuide, reviewerB, "R-1") }},
			{"publisher saves", func() error {
				_, err := e.s.SaveGuide(e.ctx, publisherC, "R-1", Edit{Version: 1, Revision: 1}, g)
				return err
			}},
			{"editor sends back", func() error { _, err := e.s.SendBack(e.ctx, KindGuide, editorA2, "R-1", 1, "改"); return err }},
		}
		mustf(e.s.CreateGuide(e.ctx, editorA, g))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "R-1", 1))(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { wantKind(t, tc.run(), apperr.Forbidden) })
		}
		if _, err := e.s.Approve(e.ctx, KindGuide, Actor{}, "R-1", 1, 0, ""); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
	})
}

func TestValidationListsEveryProblemInChinese(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		g := testGuide("V-1", "")
		g.Materials = []Material{{Name: "身份证"}}
		g.Phone = ""
		g.Related = []string{"MISSING"}
		mustf(e.s.CreateGuide(e.ctx, editorA, g))(t)
		_, err := e.s.ForcePublish(e.ctx, KindGuide, publisherC, "V-1", 1, "急")
		ae := wantKind(t, err, apperr.GuideInvalid)
		ps, _ := ae.Details.([]Problem)
		var els []string
		for _, p := range ps {
			els = append(els, p.Element)
		}
		want := []string{"事项名称", "申请材料形式（原件/复印件）", "申请材料来源", "咨询电话", "相关事项"}
		if strings.Join(els, ",") != strings.Join(want, ",") {
			t.Fatalf("problems %v, want %v", els, want)
		}
		for _, w := range want {
			if !strings.Contains(ae.Message, w) {
				t.Errorf("message %q lacks %s", ae.Message, w)
			}
		}
		if _, err := e.s.Guide("V-1"); !apperr.Is(err, apperr.GuideNotFound) {
			t.Errorf("invalid guide went online: %v", err)
		}
	})
}

func TestEditConflictSaysWhoAndWhen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		v := mustf(e.s.CreateGuide(e.ctx, editorA, testGuide("C-1", "并发")))(t)
		e.clock.Add(time.Minute)
		v2 := mustf(e.s.SaveGuide(e.ctx, editorA2, "C-1", Edit{Version: 1, Revision: v.Revision}, testGuide("C-1", "乙改")))(t)
		if v2.Revision != 2 || v2.EditedBy != editorA2.ID || v2.ETag != `"v1.r2"` {
			t.Fatalf("after save: %+v", v2)
		}
		_, err := e.s.SaveGuide(e.ctx, editorA, "C-1", Edit{Version: 1, Revision: v.Revision}, testGuide("C-1", "甲改"))
		ae := wantKind(t, err, apperr.EditConflict)
		det := ae.Details.(map[string]any)
		if det["edited_by"] != editorA2.ID || det["revision"] != 2 || !strings.Contains(ae.Message, "editor-a2") || !strings.Contains(ae.Message, "2025-03-01 16:01") {
			t.Fatalf("conflict: %s %+v", ae.Message, det)
		}
		got := mustf(e.s.WorkingVersion(e.ctx, KindGuide, "C-1"))(t)
		if g, _ := got.Guide(); g.Name != "乙改" {
			t.Fatalf("the stale save overwrote: %q", g.Name)
		}
	})
}

func TestMajorMinorAndPublicUpdatedAt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		g := testGuide("M-1", "原名")
		e.publishNew(t, g)
		first := mustf(e.s.Guide("M-1"))(t).Guide.PublicUpdatedAt

		e.clock.Add(time.Hour)
		g.Summary = "错别字修正"
		v := e.draftEdit(t, editorA, g, false, "")
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "M-1", v.Version))(t)
		mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "M-1", v.Version, 0, ""))(t)
		mustf(e.s.Publish(e.ctx, KindGuide, publisherC, "M-1", v.Version))(t)
		p := mustf(e.s.Guide("M-1"))(t)
		if !p.Guide.PublicUpdatedAt.Equal(first) || p.Guide.Version != 2 || p.Guide.Summary != "错别字修正" {
			t.Fatalf("minor change moved public_updated_at or was not served: %+v", p.Guide)
		}

		e.clock.Add(time.Hour)
		g.Conditions = append(g.Conditions, "新增条件")
		v = e.draftEdit(t, editorA, g, true, "新增受理条件")
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "M-1", v.Version))(t)
		mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "M-1", v.Version, 0, ""))(t)
		mustf(e.s.Publish(e.ctx, KindGuide, publisherC, "M-1", v.Version))(t)
		p = mustf(e.s.Guide("M-1"))(t)
		if !p.Guide.PublicUpdatedAt.After(first) || p.Guide.ChangeNote != "新增受理条件" {
			t.Fatalf("major change: %+v", p.Guide)
		}
		h := mustf(e.s.History(e.ctx, KindGuide, "M-1"))(t)
		var sts []string
		for _, v := range h {
			sts = append(sts, string(v.Status))
		}
		if strings.Join(sts, ",") != "published,superseded,superseded" {
			t.Fatalf("history statuses %v", sts)
		}
	})
}

func TestSendBackAndResubmit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		v := mustf(e.s.CreateGuide(e.ctx, editorA, testGuide("S-1", "退回")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "S-1", 1))(t)
		v = mustf(e.s.SendBack(e.ctx, KindGuide, reviewerB, "S-1", 1, "请补充材料说明"))(t)
		if v.Status != StatusDraft || v.ReviewComment != "请补充材料说明" {
			t.Fatalf("sent back: %+v", v)
		}
		v = mustf(e.s.SaveGuide(e.ctx, editorA, "S-1", Edit{Version: 1, Revision: v.Revision}, testGuide("S-1", "退回后修改")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "S-1", 1))(t)
		mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "S-1", 1, v.Revision, ""))(t)
	})
}

func TestForcePublishAndRetrospectiveQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		mustf(e.s.CreateGuide(e.ctx, editorA, testGuide("F-1", "紧急")))(t)
		v := mustf(e.s.ForcePublish(e.ctx, KindGuide, publisherC, "F-1", 1, "政策今日零时生效"))(t)
		if v.Status != StatusPublished || !v.Forced || !v.NeedsRetroReview || v.ForceReason != "政策今日零时生效" {
			t.Fatalf("forced: %+v", v)
		}
		mustf(e.s.Guide("F-1"))(t)
		q := mustf(e.s.Queue(e.ctx, KindGuide, QueueRetro))(t)
		if len(q) != 1 || q[0].Code != "F-1" {
			t.Fatalf("retro queue: %+v", q)
		}
		v = mustf(e.s.RetroReview(e.ctx, KindGuide, reviewerB, "F-1", 1, "已核对"))(t)
		if v.NeedsRetroReview || v.RetroReviewedBy != reviewerB.ID {
			t.Fatalf("after retro review: %+v", v)
		}
		if q := mustf(e.s.Queue(e.ctx, KindGuide, QueueRetro))(t); len(q) != 0 {
			t.Fatalf("still queued: %+v", q)
		}
		_, err := e.s.RetroReview(e.ctx, KindGuide, reviewerB2, "F-1", 1, "")
		wantKind(t, err, apperr.InvalidTransition)
	})
}

func TestScheduledPublishing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.approved(testGuide("T-1", "定时"))
		at := e.clock.Now().Add(10 * time.Minute)
		v := mustf(e.s.Schedule(e.ctx, KindGuide, publisherC, "T-1", 1, at))(t)
		if v.Status != StatusScheduled || !v.ScheduledAt.Equal(at) || v.ScheduledBy != publisherC.ID {
			t.Fatalf("scheduled: %+v", v)
		}
		// Not yet due.
		e.clock.Add(9 * time.Minute)
		noErr(t, e.s.RunDue(e.ctx))
		if _, err := e.s.Guide("T-1"); !apperr.Is(err, apperr.GuideNotFound) {
			t.Fatalf("published early: %v", err)
		}
		// A restart in between: the schedule lives in the database.
		e2 := &wfEnv{ctx: e.ctx, clock: e.clock, rec: e.rec, d: d}
		e2.s = mustf(New(e.ctx, Options{DB: d, Events: e.bus, Now: e.clock.Now}))(t)
		e.clock.Add(time.Minute + 500*time.Millisecond)
		noErr(t, e2.s.RunDue(e.ctx))
		p := mustf(e2.s.Guide("T-1"))(t)
		if p.Guide.Version != 1 {
			t.Fatalf("served %+v", p.Guide)
		}
		got := mustf(e2.s.GetVersion(e.ctx, KindGuide, "T-1", 1))(t)
		if got.PublishedBy != publisherC.ID || got.Status != StatusPublished {
			t.Fatalf("after due: %+v", got)
		}
		log := mustf(e.s.Audit(e.ctx, AuditFilter{Code: "T-1"}))(t)
		if log[0].Action != "publish_scheduled" || log[0].Actor != "system" || !strings.Contains(log[0].Detail, "publisher-c") {
			t.Fatalf("audit: %+v", log[0])
		}
		// Running again publishes nothing more.
		noErr(t, e2.s.RunDue(e.ctx))
		var n int
		d.QueryRow(e.ctx, `SELECT count(*) FROM event_log WHERE key = 'T-1' AND topic = ?`, event.GuidePublished).Scan(&n)
		if n != 1 {
			t.Fatalf("%d publish events", n)
		}
	})
}

func TestUnscheduleReturnsToApproved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.approved(testGuide("U-1", "取消"))
		mustf(e.s.Schedule(e.ctx, KindGuide, publisherC, "U-1", 1, e.clock.Now().Add(time.Hour)))(t)
		v := mustf(e.s.Unschedule(e.ctx, KindGuide, publisherC, "U-1", 1))(t)
		if v.Status != StatusApproved || !v.ScheduledAt.IsZero() {
			t.Fatalf("%+v", v)
		}
		e.clock.Add(2 * time.Hour)
		noErr(t, e.s.RunDue(e.ctx))
		if _, err := e.s.Guide("U-1"); err == nil {
			t.Fatal("an unscheduled version was published")
		}
	})
}

// TestRunDueExactlyOnce runs the scheduler on two "replicas" sharing one database at the same
// moment: each due version is published once.
func TestRunDueExactlyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		codes := []string{"X-1", "X-2", "X-3", "X-4", "X-5"}
		for _, c := range codes {
			e.approved(testGuide(c, "并发定时"+c))
			mustf(e.s.Schedule(e.ctx, KindGuide, publisherC, c, 1, e.clock.Now().Add(time.Minute)))(t)
		}
		other := mustf(New(e.ctx, Options{DB: d, Now: e.clock.Now}))(t) // another replica: its own log handle and queue
		e.clock.Add(2 * time.Minute)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			s := e.s
			if i%2 == 1 {
				s = other
			}
			wg.Add(1)
			go func() { defer wg.Done(); errs <- s.RunDue(e.ctx) }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var events, audits int
		d.QueryRow(e.ctx, `SELECT count(*) FROM event_log WHERE topic = ?`, event.GuidePublished).Scan(&events)
		d.QueryRow(e.ctx, `SELECT count(*) FROM audit_log WHERE action = 'publish_scheduled'`).Scan(&audits)
		if events != len(codes) || audits != len(codes) {
			t.Fatalf("events %d audits %d, want %d each", events, audits, len(codes))
		}
	})
}

func TestUnpublishIsServedAsGoneAndEmitsInSameTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.publishNew(t, testGuide("N-1", "旧事项"))
		e.publishNew(t, testGuide("N-2", "新事项"))
		if err := e.s.Unpublish(e.ctx, KindGuide, publisherC, "N-1", "已与新事项合并", "N-2"); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.Guide("N-1")
		ae := wantKind(t, err, apperr.GuideUnpublished)
		det := ae.Details.(map[string]string)
		if det["reason"] != "已与新事项合并" || det["replacement"] != "N-2" {
			t.Fatalf("details %+v", det)
		}
		var topic, data string
		d.QueryRow(e.ctx, `SELECT topic, data FROM event_log WHERE key = 'N-1' ORDER BY id DESC LIMIT 1`).Scan(&topic, &data)
		if topic != event.GuideUnpublished || !strings.Contains(data, `"replacement":"N-2"`) {
			t.Fatalf("event log: %s %s", topic, data)
		}
		v := mustf(e.s.GetVersion(e.ctx, KindGuide, "N-1", 1))(t)
		if v.Status != StatusUnpublished {
			t.Fatalf("version status %s", v.Status)
		}
		// A new version can bring it back.
		g := testGuide("N-1", "恢复的事项")
		e.draftEdit(t, editorA, g, true, "恢复上线")
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "N-1", 2))(t)
		mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "N-1", 2, 0, ""))(t)
		mustf(e.s.Publish(e.ctx, KindGuide, publisherC, "N-1", 2))(t)
		if p := mustf(e.s.Guide("N-1"))(t); p.Guide.Name != "恢复的事项" {
			t.Fatalf("%+v", p.Guide)
		}
		// Unpublish then archive.
		noErr(t, e.s.Unpublish(e.ctx, KindGuide, publisherC, "N-2", "停办", ""))
		noErr(t, e.s.Archive(e.ctx, KindGuide, publisherC, "N-2"))
		_, err = e.s.NewDraft(e.ctx, KindGuide, editorA, "N-2")
		wantKind(t, err, apperr.InvalidTransition)
		list := mustf(e.s.Documents(e.ctx, KindGuide, DocFilter{}))(t)
		if len(list) != 1 || list[0].Code != "N-1" {
			t.Fatalf("archived guides are hidden by default: %+v", list)
		}
		list = mustf(e.s.Documents(e.ctx, KindGuide, DocFilter{Status: "archived"}))(t)
		if len(list) != 1 || list[0].Code != "N-2" {
			t.Fatalf("archived filter: %+v", list)
		}
	})
}

func TestRollbackHistoryAndDiff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		g := testGuide("H-1", "原名")
		e.publishNew(t, g)
		g2 := g
		g2.Name = "新名"
		g2.Materials = append([]Material{{Name: "户口簿", Form: "原件", Copies: 1, Source: "申请人自备"}}, g.Materials...)
		v := e.draftEdit(t, editorA, g2, true, "改名并增加材料")
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "H-1", v.Version))(t)
		mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "H-1", v.Version, 0, ""))(t)
		mustf(e.s.Publish(e.ctx, KindGuide, publisherC, "H-1", v.Version))(t)

		diff := mustf(e.s.Diff(e.ctx, KindGuide, "H-1", 1, 2))(t)
		var got []string
		for _, c := range diff.Changes {
			got = append(got, c.Element+"/"+c.Op)
		}
		if strings.Join(got, ",") != "事项名称/changed,申请材料 第1项/added" {
			t.Fatalf("diff: %v", got)
		}
		rb := mustf(e.s.Rollback(e.ctx, KindGuide, editorA, "H-1", 1))(t)
		if rb.Version != 3 || rb.BasedOn != 1 || rb.Status != StatusDraft {
			t.Fatalf("rollback: %+v", rb)
		}
		rg, _ := rb.Guide()
		if rg.Name != "原名" || len(rg.Materials) != len(g.Materials) {
			t.Fatalf("rollback content: %+v", rg)
		}
		// The published version is untouched until the rollback goes through review.
		if p := mustf(e.s.Guide("H-1"))(t); p.Guide.Name != "新名" {
			t.Fatalf("served %q", p.Guide.Name)
		}
		if h := mustf(e.s.History(e.ctx, KindGuide, "H-1"))(t); len(h) != 3 || h[0].Version != 3 || h[0].Body != nil {
			t.Fatalf("history: %+v", h)
		}
		log := mustf(e.s.Audit(e.ctx, AuditFilter{Actor: editorA.ID, Limit: 2}))(t)
		if len(log) != 2 || log[0].Action != "rollback" || log[0].ActionName != "恢复旧版本" {
			t.Fatalf("audit by person: %+v", log)
		}
		older := mustf(e.s.Audit(e.ctx, AuditFilter{Actor: editorA.ID, Before: log[1].ID}))(t)
		for _, a := range older {
			if a.ID >= log[1].ID || a.Actor != editorA.ID {
				t.Fatalf("paging: %+v", a)
			}
		}
	})
}

func TestHTMLIsStoredAsText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		title := `<img src=x onerror=window.__xss=1><script>alert(1)</script>&amp;`
		g := testGuide("X-1", title)
		g.FAQ = []QA{{Q: "<b>加粗？</b>", A: `"引号" & 'single'`}}
		e.publishNew(t, g)
		p := mustf(e.s.Guide("X-1"))(t)
		if p.Guide.Name != title || p.Guide.FAQ[0].Q != "<b>加粗？</b>" {
			t.Fatalf("content changed: %q", p.Guide.Name)
		}
		if strings.Contains(string(p.JSON), "<img") || !strings.Contains(string(p.JSON), `\u003cimg src=x`) {
			t.Fatalf("JSON not escaped: %s", p.JSON)
		}
	})
}

func TestDiscardAndWorkingVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.publishNew(t, testGuide("D-1", "事项"))
		_, err := e.s.WorkingVersion(e.ctx, KindGuide, "D-1")
		wantKind(t, err, apperr.VersionNotFound)
		v := mustf(e.s.NewDraft(e.ctx, KindGuide, editorA, "D-1"))(t)
		if v.BasedOn != 1 || v.Version != 2 {
			t.Fatalf("%+v", v)
		}
		mustf(e.s.Discard(e.ctx, KindGuide, editorA, "D-1", 2))(t)
		_, err = e.s.WorkingVersion(e.ctx, KindGuide, "D-1")
		wantKind(t, err, apperr.VersionNotFound)
		v = mustf(e.s.NewDraft(e.ctx, KindGuide, editorA, "D-1"))(t)
		if v.Version != 3 || v.BasedOn != 1 {
			t.Fatalf("after discard: %+v", v)
		}
		_, err = e.s.GetVersion(e.ctx, KindGuide, "NOPE", 1)
		wantKind(t, err, apperr.GuideNotFound)
		_, err = e.s.GetVersion(e.ctx, KindGuide, "D-1", 99)
		wantKind(t, err, apperr.VersionNotFound)
	})
}

func TestETagRoundTrip(t *testing.T) {
	cases := []struct {
		in     string
		v, r   int
		wantOK bool
	}{
		{`"v3.r7"`, 3, 7, true},
		{`W/"v1.r1"`, 1, 1, true},
		{`v2.r9`, 2, 9, true},
		{`"v0.r1"`, 0, 0, false},
		{`"abc"`, 0, 0, false},
		{`"v1.rX"`, 0, 0, false},
	}
	for _, tc := range cases {
		v, r, ok := ParseETag(tc.in)
		if ok != tc.wantOK || ok && (v != tc.v || r != tc.r) {
			t.Errorf("ParseETag(%s) = %d %d %v", tc.in, v, r, ok)
		}
	}
	if v, r, _ := ParseETag(versionETag(12, 34)); v != 12 || r != 34 {
		t.Errorf("round trip %d %d", v, r)
	}
}

// ---- benchmarks: go test ./content -run XXX -bench Workflow -benchtime 1x ----

func benchDBs(b *testing.B) map[string]*db.DB {
	dbs := map[string]*db.DB{"sqlite": dbtest.SQLite(b)}
	if pg := dbtest.Postgres(b); pg != nil {
		dbs["postgres"] = pg
	}
	return dbs
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkWorkflowPublishToVisible measures, over 100 publications, the time from the Publish
// call to (a) a subscriber of guide.published receiving the event through the event log —
// what search reindexing and follower alerts wait for — and (b) the new version being served by
// Guide() from the in-memory snapshot.
func BenchmarkWorkflowPublishToVisible(b *testing.B) {
	for name, d := range benchDBs(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			bus := openEvents(b, d)
			var mu sync.Mutex
			delivered := map[int]time.Time{}
			bus.Subscribe(event.GuidePublished, func(_ context.Context, e event.Event) error {
				var ge GuideEvent
				_ = json.Unmarshal(e.Data, &ge)
				mu.Lock()
				delivered[ge.Version] = time.Now()
				mu.Unlock()
				return nil
			})
			s, err := New(ctx, Options{DB: d, Events: bus})
			if err != nil {
				b.Fatal(err)
			}
			g := testGuide("BENCH-1", "基准")
			if _, err := s.Import(ctx, []Guide{g}, nil, System, true); err != nil {
				b.Fatal(err)
			}
			const runs = 100
			for i := 0; i < b.N; i++ {
				var toEvent, toVisible []time.Duration
				for r := 0; r < runs; r++ {
					v, err := s.NewDraft(ctx, KindGuide, editorA, "BENCH-1")
					if err != nil {
						b.Fatal(err)
					}
					g.Summary = fmt.Sprintf("第%d次修改", v.Version)
					if _, err = s.SaveGuide(ctx, editorA, "BENCH-1", Edit{Version: v.Version, Revision: v.Revision, Major: false}, g); err == nil {
						_, err = s.Submit(ctx, KindGuide, editorA, "BENCH-1", v.Version)
					}
					if err == nil {
						_, err = s.Approve(ctx, KindGuide, reviewerB, "BENCH-1", v.Version, 0, "")
					}
					if err != nil {
						b.Fatal(err)
					}
					t0 := time.Now()
					if _, err := s.Publish(ctx, KindGuide, publisherC, "BENCH-1", v.Version); err != nil {
						b.Fatal(err)
					}
					for {
						if p, err := s.Guide("BENCH-1"); err == nil && p.Guide.Version == v.Version {
							break
						}
						time.Sleep(50 * time.Microsecond)
					}
					toVisible = append(toVisible, time.Since(t0))
					mu.Lock()
					at, ok := delivered[v.Version]
					mu.Unlock()
					if !ok {
						b.Fatalf("event for v%d not delivered", v.Version)
					}
					toEvent = append(toEvent, at.Sub(t0))
				}
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
				b.ReportMetric(ms(percentile(toEvent, 0.5)), "event-p50-ms")
				b.ReportMetric(ms(percentile(toEvent, 0.99)), "event-p99-ms")
				b.ReportMetric(ms(percentile(toVisible, 0.5)), "visible-p50-ms")
				b.ReportMetric(ms(percentile(toVisible, 0.99)), "visible-p99-ms")
			}
		})
	}
}

// BenchmarkWorkflowScheduledLateness schedules 20 guides a little apart and runs RunDue on a 1 s
// ticker as cmd/shebao's background loop does; lateness is published_at − scheduled_at.
func BenchmarkWorkflowScheduledLateness(b *testing.B) {
	for name, d := range benchDBs(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, err := New(ctx, Options{DB: d})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				resetContent(b, d)
				const n = 20
				start := time.Now().Add(1500 * time.Millisecond)
				for j := 0; j < n; j++ {
					code := fmt.Sprintf("LATE-%d", j)
					if _, err := s.CreateGuide(ctx, editorA, testGuide(code, "定时")); err != nil {
						b.Fatal(err)
					}
					if _, err := s.Submit(ctx, KindGuide, editorA, code, 1); err != nil {
						b.Fatal(err)
					}
					if _, err := s.Approve(ctx, KindGuide, reviewerB, code, 1, 0, ""); err != nil {
						b.Fatal(err)
					}
					if _, err := s.Schedule(ctx, KindGuide, publisherC, code, 1, start.Add(time.Duration(j)*170*time.Millisecond)); err != nil {
						b.Fatal(err)
					}
				}
				tick := time.NewTicker(time.Second)
				deadline := time.Now().Add(15 * time.Second)
				for len(s.PublishedGuides()) < n && time.Now().Before(deadline) {
					<-tick.C
					if err := s.RunDue(ctx); err != nil {
						b.Fatal(err)
					}
				}
				tick.Stop()
				rows, err := d.Query(ctx, `SELECT scheduled_at, published_at FROM document_versions WHERE status = 'published'`)
				if err != nil {
					b.Fatal(err)
				}
				var late []time.Duration
				for rows.Next() {
					var sa, pa string
					rows.Scan(&sa, &pa)
					late = append(late, parseTime(pa).Sub(parseTime(sa)))
				}
				rows.Close()
				if len(late) != n {
					b.Fatalf("%d of %d published", len(late), n)
				}
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
				b.ReportMetric(ms(percentile(late, 0.5)), "late-p50-ms")
				b.ReportMetric(ms(percentile(late, 0.99)), "late-p99-ms")
				b.ReportMetric(ms(percentile(late, 1)), "late-max-ms")
			}
		})
	}
}

// A required reason, comment or change note made only of invisible characters is missing.
func TestInvisibleFreeTextIsMissing(t *testing.T) {
	invisibles := []string{"\u200b\u200b\u200b", "\ufeff", "\u200c\u200d\u2060", "\u3000 \u00a0", "\u202e\u202c", "\u3164", "\u00ad\u180e"}
	steps := []struct {
		name string
		run  func(t *testing.T, e *wfEnv, text string) error
		want apperr.Kind
	}{
		{"force-publish reason", func(t *testing.T, e *wfEnv, text string) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("Z-1", "紧急"))
			_, err := e.s.ForcePublish(e.ctx, KindGuide, publisherC, "Z-1", 1, text)
			return err
		}, apperr.ReasonRequired},
		{"unpublish reason", func(t *testing.T, e *wfEnv, text string) error {
			e.publishNew(t, testGuide("Z-1", "下线"))
			return e.s.Unpublish(e.ctx, KindGuide, publisherC, "Z-1", text, "")
		}, apperr.ReasonRequired},
		{"send-back comment", func(t *testing.T, e *wfEnv, text string) error {
			e.s.CreateGuide(e.ctx, editorA, testGuide("Z-1", "退回"))
			e.s.Submit(e.ctx, KindGuide, editorA, "Z-1", 1)
			_, err := e.s.SendBack(e.ctx, KindGuide, reviewerB, "Z-1", 1, text)
			return err
		}, apperr.ReasonRequired},
		{"change note of a major change", func(t *testing.T, e *wfEnv, text string) error {
			e.publishNew(t, testGuide("Z-1", "原名"))
			d := mustf(e.s.NewDraft(e.ctx, KindGuide, editorA, "Z-1"))(t)
			if _, err := e.s.SaveGuide(e.ctx, editorA, "Z-1", Edit{Version: d.Version, Revision: d.Revision, Major: true, ChangeNote: text}, testGuide("Z-1", "新名")); err != nil {
				return err
			}
			_, err := e.s.Submit(e.ctx, KindGuide, editorA, "Z-1", d.Version)
			return err
		}, apperr.ChangeNoteRequired},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		newWF(t, d) // migrates
		for _, st := range steps {
			for _, text := range invisibles {
				t.Run(fmt.Sprintf("%s %+q", st.name, text), func(t *testing.T) {
					resetContent(t, d)
					wantKind(t, st.run(t, newWF(t, d), text), st.want)
				})
			}
		}
	})
}

// The move to one version store keeps every guide, form, version and audit record written under
// the old schema (separate guide and form tables), and the workflow carries on from them.
func TestVersionStoreMigrationKeepsRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx, "content", Migrations[:2]); err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(normalizeForStore(testGuide("M-1", "旧名")))
		gb2, _ := json.Marshal(normalizeForStore(testGuide("M-1", "新名")))
		fb, _ := json.Marshal(normalizeForm(testForm("MF-1", "M-1")))
		at := "2025-01-02T03:04:05.000000Z"
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO guides (code, state, published_version, latest_version, created_at, updated_at, public_updated_at) VALUES ('M-1', 'published', 1, 2, ?, ?, ?)`, []any{at, at, at}},
			{`INSERT INTO guide_versions (code, version, status, body, change_note, created_by, created_at, edited_by, edited_at, published_by, published_at, forced, force_reason)
				VALUES ('M-1', 1, 'published', ?, '首发', 'editor-a', ?, 'editor-a', ?, 'publisher-c', ?, 1, '政策当日生效')`, []any{string(gb), at, at, at}},
			{`INSERT INTO guide_versions (code, version, status, body, major, change_note, revision, based_on, created_by, created_at, edited_by, edited_at, submitted_by, submitted_at)
				VALUES ('M-1', 2, 'submitted', ?, 1, '改名', 3, 1, 'editor-a', ?, 'editor-a', ?, 'editor-a', ?)`, []any{string(gb2), at, at, at}},
			{`INSERT INTO forms (code, state, published_version, latest_version, created_at, updated_at) VALUES ('MF-1', 'published', 1, 1, ?, ?)`, []any{at, at}},
			{`INSERT INTO form_versions (code, version, status, body, created_by, created_at, edited_by, edited_at, published_by, published_at, scheduled_by)
				VALUES ('MF-1', 1, 'published', ?, 'editor-a', ?, 'editor-a', ?, 'admin-e', ?, 'publisher-c')`, []any{string(fb), at, at, at}},
			{`INSERT INTO guides (code, state, latest_version, created_at, updated_at) VALUES ('M-2', 'archived', 1, ?, ?)`, []any{at, at}},
			{`INSERT INTO guide_versions (code, version, status, body, created_by, created_at, edited_by, edited_at) VALUES ('M-2', 1, 'archived', ?, 'editor-a', ?, 'editor-a', ?)`, []any{string(gb), at, at}},
		} {
			if _, err := d.Exec(ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []string{"create", "submit", "approve", "force_publish", "new_draft", "save"} {
			if _, err := d.Exec(ctx, `INSERT INTO audit_log (at, actor, action, kind, code, version, ip, detail) VALUES (?, 'editor-a', ?, 'guide', 'M-1', 1, '10.0.0.1', '')`, at, a); err != nil {
				t.Fatal(err)
			}
		}

		if _, err := d.Exec(ctx, `INSERT INTO audit_log (at, actor, action, kind, code, version) VALUES (?, 'editor-x', 'save', 'guide', 'M-1', 2)`, at); err != nil {
			t.Fatal(err)
		}
		e := newWF(t, d) // migrates to the one version store
		var docs, versions int
		noErr(t, d.QueryRow(ctx, `SELECT count(*) FROM documents`).Scan(&docs))
		noErr(t, d.QueryRow(ctx, `SELECT count(*) FROM document_versions`).Scan(&versions))
		if docs != 3 || versions != 4 {
			t.Fatalf("documents %d, versions %d; want 3 and 4", docs, versions)
		}
		p, err := e.s.Guide("M-1")
		if err != nil || p.Guide.Version != 1 || p.Guide.Name != "旧名" || p.Guide.ChangeNote != "首发" {
			t.Fatalf("served guide after migration: %+v %v", p, err)
		}
		w := mustf(e.s.WorkingVersion(e.ctx, KindGuide, "M-1"))(t)
		if w.Version != 2 || w.Status != StatusSubmitted || w.Revision != 3 || w.BasedOn != 1 || w.Title != "新名" || w.SubmittedBy != "editor-a" {
			t.Fatalf("working version after migration: %+v", w)
		}
		if q := mustf(e.s.Queue(e.ctx, KindGuide, QueueRetro))(t); len(q) != 1 || q[0].ForceReason != "政策当日生效" {
			t.Fatalf("retro queue: %+v", q)
		}
		f, err := e.s.PublishedForm(e.ctx, "MF-1")
		if err != nil || f.Version != 1 || f.Guide != "M-1" {
			t.Fatalf("form after migration: %+v %v", f, err)
		}
		if v := mustf(e.s.GetVersion(e.ctx, KindForm, "MF-1", 1))(t); v.ScheduledBy != "publisher-c" || v.PublishedBy != "admin-e" {
			t.Fatalf("form version columns: %+v", v)
		}
		if h := mustf(e.s.History(e.ctx, KindGuide, "M-2"))(t); len(h) != 1 || h[0].Status != StatusArchived {
			t.Fatalf("archived guide history: %+v", h)
		}
		au := mustf(e.s.Audit(e.ctx, AuditFilter{Code: "M-1"}))(t)
		if len(au) != 7 {
			t.Fatalf("audit entries after migration: %d", len(au))
		}
		// The two-person rule still sees the authors recorded under the old schema.
		for _, who := range []string{"editor-a", "editor-x"} {
			_, err := e.s.Approve(e.ctx, KindGuide, Actor{ID: who, Roles: []string{RoleReviewer}}, "M-1", 2, 0, "")
			wantKind(t, err, apperr.SelfReviewForbidden)
		}
		mustf(e.s.Approve(e.ctx, KindGuide, reviewerB, "M-1", 2, 0, "同意"))(t)
		mustf(e.s.Publish(e.ctx, KindGuide, publisherC, "M-1", 2))(t)
		if p, _ := e.s.Guide("M-1"); p.Guide.Version != 2 || p.Guide.Name != "新名" {
			t.Fatalf("publish after migration: %+v", p.Guide)
		}
	})
}

// Every row of the transition table names its audit action in Chinese, and every row that
// requires a text says what to write.
func TestTransitionTableIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, tr := range workflow {
		if seen[tr.action] {
			t.Errorf("%s: two rows", tr.action)
		}
		seen[tr.action] = true
		if ActionName(tr.action) == tr.action {
			t.Errorf("%s: no Chinese name in audit.go", tr.action)
		}
		if tr.text == textRequired && textPrompts[tr.action] == "" {
			t.Errorf("%s: required text without a prompt", tr.action)
		}
		if tr.from == nil && tr.rules&retroPending == 0 {
			t.Errorf("%s: no starting status and no rule to decide", tr.action)
		}
		if tr.role == "" {
			t.Errorf("%s: no role", tr.action)
		}
	}
}
