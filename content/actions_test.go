package content

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// actionScenario sets up one document in a given state and says which version to act on.
type actionScenario struct {
	name  string
	setup func(t *testing.T, e *wfEnv, code string) int
}

var actionScenarios = []actionScenario{
	{"draft by A", func(t *testing.T, e *wfEnv, code string) int {
		mustf(e.s.CreateGuide(e.ctx, editorA, testGuide(code, "草稿")))(t)
		return 1
	}},
	{"submitted by A", func(t *testing.T, e *wfEnv, code string) int {
		mustf(e.s.CreateGuide(e.ctx, editorA, testGuide(code, "待审")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, code, 1))(t)
		return 1
	}},
	{"submitted by editor-reviewer D", func(t *testing.T, e *wfEnv, code string) int {
		mustf(e.s.CreateGuide(e.ctx, editRev, testGuide(code, "自审")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editRev, code, 1))(t)
		return 1
	}},
	{"approved", func(t *testing.T, e *wfEnv, code string) int {
		e.approved(testGuide(code, "已审"))
		return 1
	}},
	{"scheduled", func(t *testing.T, e *wfEnv, code string) int {
		e.approved(testGuide(code, "定时"))
		mustf(e.s.Schedule(e.ctx, KindGuide, publisherC, code, 1, e.clock.Now().Add(time.Hour)))(t)
		return 1
	}},
	{"published", func(t *testing.T, e *wfEnv, code string) int {
		return e.publishNew(t, testGuide(code, "已发布")).Version
	}},
	{"published with a new draft, acting on the old", func(t *testing.T, e *wfEnv, code string) int {
		v := e.publishNew(t, testGuide(code, "有新稿")).Version
		e.draftEdit(t, editorA2, testGuide(code, "有新稿"), false, "")
		return v
	}},
	{"force-published by C", func(t *testing.T, e *wfEnv, code string) int {
		e.forcePublished(t, editorA, publisherC, testGuide(code, "紧急"))
		return 1
	}},
	{"unpublished", func(t *testing.T, e *wfEnv, code string) int {
		v := e.publishNew(t, testGuide(code, "下线")).Version
		noErr(t, e.s.Unpublish(e.ctx, KindGuide, publisherC, code, "合并", ""))
		return v
	}},
}

// tryAction performs act as who on version n of code, with valid inputs.
func tryAction(e *wfEnv, who Actor, act Action, code string, n int) error {
	ctx := e.ctx
	switch act {
	case ActionSave:
		v, err := e.s.GetVersion(ctx, KindGuide, code, n)
		if err != nil {
			return err
		}
		g, err := v.Guide()
		if err != nil {
			return err
		}
		g.Summary += "（改）"
		_, err = e.s.SaveGuide(ctx, who, code, Edit{Version: n, Revision: v.Revision, Major: false}, g)
		return err
	case ActionSubmit:
		return errOnly(e.s.Submit(ctx, KindGuide, who, code, n))
	case ActionDiscard:
		return errOnly(e.s.Discard(ctx, KindGuide, who, code, n))
	case ActionApprove:
		return errOnly(e.s.Approve(ctx, KindGuide, who, code, n, 0, "同意"))
	case ActionSendBack:
		return errOnly(e.s.SendBack(ctx, KindGuide, who, code, n, "请补充材料"))
	case ActionPublish:
		return errOnly(e.s.Publish(ctx, KindGuide, who, code, n))
	case ActionSchedule:
		return errOnly(e.s.Schedule(ctx, KindGuide, who, code, n, e.clock.Now().Add(2*time.Hour)))
	case ActionUnschedule:
		return errOnly(e.s.Unschedule(ctx, KindGuide, who, code, n))
	case ActionForcePublish:
		return errOnly(e.s.ForcePublish(ctx, KindGuide, who, code, n, "紧急更正"))
	case ActionRetroReview:
		return errOnly(e.s.RetroReview(ctx, KindGuide, who, code, n, "已核对"))
	case ActionRollback:
		return errOnly(e.s.Rollback(ctx, KindGuide, who, code, n))
	case ActionNewDraft:
		return errOnly(e.s.NewDraft(ctx, KindGuide, who, code))
	case ActionUnpublish:
		return e.s.Unpublish(ctx, KindGuide, who, code, "事项取消", "")
	case ActionArchive:
		return e.s.Archive(ctx, KindGuide, who, code)
	}
	return fmt.Errorf("unknown action %s", act)
}

// TestActionsAgreeWithTheServer checks, for every person, every state and every step, that the
// console is offered a step exactly when the server accepts it, and that a greyed step is one the
// server refuses, for the reason the console shows.
func TestActionsAgreeWithTheServer(t *testing.T) {
	people := []Actor{editorA, editorA2, reviewerB, publisherC, editRev, adminE}
	versionActs := []Action{ActionSave, ActionSubmit, ActionDiscard, ActionApprove, ActionSendBack, ActionPublish,
		ActionSchedule, ActionUnschedule, ActionForcePublish, ActionRetroReview, ActionRollback}
	docActs := []Action{ActionNewDraft, ActionUnpublish, ActionArchive}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		n := 0
		offered := map[Action]int{}
		for _, sc := range actionScenarios {
			for _, who := range people {
				for _, act := range append(slices.Clone(versionActs), docActs...) {
					n++
					code := fmt.Sprintf("AC-%d", n)
					version := sc.setup(t, e, code)
					var got Actions
					var err error
					if slices.Contains(docActs, act) {
						got, err = e.s.DocumentActions(e.ctx, KindGuide, who, code)
					} else {
						got, err = e.s.VersionActions(e.ctx, KindGuide, who, code, version)
					}
					noErr(t, err)
					serr := tryAction(e, who, act, code, version)
					allowed := got.Can(act)
					if allowed {
						offered[act]++
					}
					switch {
					case allowed && serr != nil:
						t.Errorf("%s, %s, %s: offered but the server refused: %v", sc.name, who.ID, act, serr)
					case !allowed && serr == nil:
						t.Errorf("%s, %s, %s: not offered but the server accepted", sc.name, who.ID, act)
					case !allowed:
						if ae, ok := apperr.As(serr); !ok || ae.Status < 400 || ae.Status >= 500 {
							t.Errorf("%s, %s, %s: refused with %v", sc.name, who.ID, act, serr)
						}
					}
					for _, b := range got.Blocked {
						if got.Can(b.Action) || b.Reason == "" {
							t.Errorf("%s, %s: %s both offered and blocked, or blocked without reason", sc.name, who.ID, b.Action)
						}
						// The console's reason is the server's own refusal, word for word.
						if ae, ok := apperr.As(serr); b.Action == act && (!ok || ae.Message != b.Reason) {
							t.Errorf("%s, %s, %s: blocked because %q, the server said %v", sc.name, who.ID, act, b.Reason, serr)
						}
					}
				}
			}
		}
		for _, act := range append(versionActs, docActs...) {
			if offered[act] == 0 {
				t.Errorf("%s was never offered: the scenarios do not cover it", act)
			}
		}
	})
}

// TestBlockedActionsSayWhy checks the reasons the console greys out: approving one's own edit,
// reviewing one's own force-publish, restoring while another version is open.
func TestBlockedActionsSayWhy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		mustf(e.s.CreateGuide(e.ctx, editRev, testGuide("BL-1", "自审")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editRev, "BL-1", 1))(t)
		got := mustf(e.s.VersionActions(e.ctx, KindGuide, editRev, "BL-1", 1))(t)
		if got.Can(ActionApprove) || len(got.Blocked) != 1 || got.Blocked[0].Action != ActionApprove {
			t.Errorf("editor-reviewer on their own submission: %+v", got)
		}
		// An editor without the reviewer role is not offered approval at all, nor is it greyed.
		mustf(e.s.CreateGuide(e.ctx, editorA, testGuide("BL-2", "编辑")))(t)
		mustf(e.s.Submit(e.ctx, KindGuide, editorA, "BL-2", 1))(t)
		got = mustf(e.s.VersionActions(e.ctx, KindGuide, editorA, "BL-2", 1))(t)
		if got.Can(ActionApprove) || got.Can(ActionSendBack) || got.Can(ActionForcePublish) || len(got.Blocked) != 0 {
			t.Errorf("editor on their own submission: %+v", got)
		}
		if !got.Can(ActionSave) || !got.Can(ActionDiscard) {
			t.Errorf("editor cannot edit their submission: %+v", got)
		}
		got = mustf(e.s.VersionActions(e.ctx, KindGuide, reviewerB, "BL-2", 1))(t)
		if !got.Can(ActionApprove) || !got.Can(ActionSendBack) || got.Can(ActionSave) {
			t.Errorf("reviewer on a submission: %+v", got)
		}
		// Nobody signed in may do anything.
		got = mustf(e.s.VersionActions(e.ctx, KindGuide, Actor{}, "BL-2", 1))(t)
		if len(got.Allowed) != 0 {
			t.Errorf("anonymous: %+v", got)
		}
	})
}
