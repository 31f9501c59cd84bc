package content

import (
	"context"
	"fmt"

	"shebao/internal/db"
)

// What a person may do, computed from the rules the workflow methods enforce, so that the
// console offers only what the server will accept. The rules below mirror the checks in
// workflow.go (role, status, the two-person rule); TestActionsAgreeWithTheServer runs every
// action as every person on versions in every state and fails when the two disagree. When the
// workflow becomes a transition table, actionRules becomes a lookup in it.

// Action is one workflow step, named as in the admin API's routes (underscores for hyphens).
type Action string

// The workflow steps on a version, and on a document as a whole.
const (
	ActionSave         Action = "save"
	ActionSubmit       Action = "submit"
	ActionDiscard      Action = "discard"
	ActionApprove      Action = "approve"
	ActionSendBack     Action = "send_back"
	ActionPublish      Action = "publish"
	ActionSchedule     Action = "schedule"
	ActionUnschedule   Action = "unschedule"
	ActionForcePublish Action = "force_publish"
	ActionRetroReview  Action = "retro_review"
	ActionRollback     Action = "rollback"

	ActionNewDraft  Action = "new_draft"
	ActionUnpublish Action = "unpublish"
	ActionArchive   Action = "archive"
)

// BlockedAction is a step the person's roles allow but a rule forbids on this version (for
// example approving a version they edited), with the reason in Chinese for the console to show
// beside the greyed-out button.
type BlockedAction struct {
	Action Action `json:"action"`
	Reason string `json:"reason"`
}

// Actions is what one person may do now: the steps the server will accept, and the steps their
// roles cover that a rule forbids here, with the reason.
type Actions struct {
	Allowed []Action        `json:"allowed_actions"`
	Blocked []BlockedAction `json:"blocked_actions,omitempty"`
}

// Can reports whether act is allowed.
func (a Actions) Can(act Action) bool {
	for _, x := range a.Allowed {
		if x == act {
			return true
		}
	}
	return false
}

// actionFacts is what the rules look at: the version (nil for document-level steps), its
// document, the working version of the document (0 if none) and the person.
type actionFacts struct {
	k        *docKind
	v        *Version
	doc      docRow
	working  int
	actor    Actor
	authored bool // the person created or edited v (岗位不相容)
}

// actionRule is one step: the role it needs, when it applies (otherwise it is not offered at
// all) and what forbids it to this person (a non-empty reason greys it out).
type actionRule struct {
	action  Action
	role    string
	applies func(f actionFacts) bool
	forbids func(f actionFacts) string
}

func statusIn(sts ...Status) func(f actionFacts) bool {
	return func(f actionFacts) bool {
		for _, st := range sts {
			if f.v.Status == st {
				return true
			}
		}
		return false
	}
}

// versionRules mirror Save, Submit, Discard, Approve, SendBack, Publish, Schedule, Unschedule,
// ForcePublish, RetroReview and Rollback.
var versionRules = []actionRule{
	{action: ActionSave, role: RoleEditor, applies: statusIn(StatusDraft, StatusSubmitted)},
	{action: ActionSubmit, role: RoleEditor, applies: statusIn(StatusDraft)},
	{action: ActionDiscard, role: RoleEditor, applies: statusIn(StatusDraft, StatusSubmitted)},
	{action: ActionApprove, role: RoleReviewer, applies: statusIn(StatusSubmitted), forbids: func(f actionFacts) string {
		if f.authored {
			return "您编辑过这一版，不能审核自己编辑的内容，须由其他审核人员审核。"
		}
		return ""
	}},
	{action: ActionSendBack, role: RoleReviewer, applies: statusIn(StatusSubmitted, StatusApproved)},
	{action: ActionPublish, role: RolePublisher, applies: statusIn(StatusApproved)},
	{action: ActionSchedule, role: RolePublisher, applies: statusIn(StatusApproved)},
	{action: ActionUnschedule, role: RolePublisher, applies: statusIn(StatusScheduled)},
	{action: ActionForcePublish, role: RolePublisher, applies: func(f actionFacts) bool { return f.v.Status.Working() }},
	{action: ActionRetroReview, role: RoleReviewer, applies: func(f actionFacts) bool { return f.v.NeedsRetroReview }, forbids: func(f actionFacts) string {
		if f.authored || f.v.PublishedBy == f.actor.ID {
			return "您编辑或紧急发布了这一版，补充审核须由其他人员进行。"
		}
		return ""
	}},
	// Restoring is offered on the history's other versions; the open one is edited instead.
	{action: ActionRollback, role: RoleEditor, applies: func(f actionFacts) bool { return f.doc.State != "archived" && !f.v.Status.Working() }, forbids: func(f actionFacts) string {
		if f.working > 0 {
			return fmt.Sprintf("已有正在处理的第%d版，请先完成或放弃它。", f.working)
		}
		return ""
	}},
}

// documentRules mirror NewDraft, Unpublish and Archive.
var documentRules = []actionRule{
	{action: ActionNewDraft, role: RoleEditor, applies: func(f actionFacts) bool { return f.doc.State != "archived" && f.working == 0 }},
	{action: ActionUnpublish, role: RolePublisher, applies: func(f actionFacts) bool { return f.doc.State == "published" }},
	{action: ActionArchive, role: RolePublisher, applies: func(f actionFacts) bool { return f.doc.State != "published" && f.doc.State != "archived" }},
}

// evaluate applies rules to the facts: a step needs its role and its state; a rule that forbids
// it turns it into a blocked step with the reason.
func evaluate(rules []actionRule, f actionFacts) Actions {
	out := Actions{Allowed: []Action{}}
	if f.actor.ID == "" {
		return out
	}
	for _, r := range rules {
		if !f.actor.Has(r.role) || !r.applies(f) {
			continue
		}
		if r.forbids != nil {
			if why := r.forbids(f); why != "" {
				out.Blocked = append(out.Blocked, BlockedAction{r.action, why})
				continue
			}
		}
		out.Allowed = append(out.Allowed, r.action)
	}
	return out
}

// VersionActions returns what a may do on version of code now.
func (s *Service) VersionActions(ctx context.Context, kind Kind, a Actor, code string, version int) (Actions, error) {
	k, err := kindOf(kind)
	if err != nil {
		return Actions{}, err
	}
	var out Actions
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		f, err := loadFacts(ctx, tx, k, a, code)
		if err != nil {
			return err
		}
		if f.v, err = loadVersion(ctx, tx, k, code, version); err != nil {
			return err
		}
		if f.authored, err = authoredBy(ctx, tx, k, f.v, a.ID); err != nil {
			return err
		}
		out = evaluate(versionRules, f)
		return nil
	})
	return out, err
}

// DocumentActions returns what a may do on the document code as a whole (start a new draft,
// unpublish, archive).
func (s *Service) DocumentActions(ctx context.Context, kind Kind, a Actor, code string) (Actions, error) {
	k, err := kindOf(kind)
	if err != nil {
		return Actions{}, err
	}
	var out Actions
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		f, err := loadFacts(ctx, tx, k, a, code)
		if err != nil {
			return err
		}
		out = evaluate(documentRules, f)
		return nil
	})
	return out, err
}

func loadFacts(ctx context.Context, tx *db.Tx, k *docKind, a Actor, code string) (actionFacts, error) {
	f := actionFacts{k: k, actor: a}
	var err error
	if f.doc, err = loadDoc(ctx, tx, k, code); err != nil {
		return f, err
	}
	f.working, err = workingVersion(ctx, tx, k, code)
	return f, err
}
