package content

import (
	"context"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// What a person may do, so that the console offers only what the server will accept. Nothing here
// restates a rule: each transition of the workflow table (workflow.go) is offered when its check —
// the one apply runs before any change — passes, and greyed out with that check's refusal when
// the person holds its role and the version is in a status it starts from but another rule (the
// two-person rule) refuses. The steps that are not transitions (restore, new draft, archive) call
// the preconditions their methods call. TestActionsAgreeWithTheServer runs every action as every
// person on versions in every state and fails when the two disagree.

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

// offer adds transition t to out when its check passes on v, or to out.Blocked with the check's
// refusal when a holds its role and v is in a status it starts from but another rule refuses.
// A transition whose role or status does not fit is not mentioned at all.
func offer(ctx context.Context, tx *db.Tx, k *docKind, v *Version, a Actor, t *transition, out *Actions) error {
	if !a.Has(t.role) || t.allows(k, v) != nil {
		return nil
	}
	return verdict(Action(t.action), t.check(ctx, tx, k, v, a, 0), out)
}

// verdict records act as allowed (refusal nil) or blocked with the refusal's Chinese message. An
// error that is not a refusal (the store failed) is returned.
func verdict(act Action, refusal error, out *Actions) error {
	if refusal == nil {
		out.Allowed = append(out.Allowed, act)
		return nil
	}
	ae, ok := apperr.As(refusal)
	if !ok || ae.Status >= 500 {
		return refusal
	}
	out.Blocked = append(out.Blocked, BlockedAction{act, ae.Message})
	return nil
}

// VersionActions returns what a may do on version of code now: the transitions of the table that
// start from a version (unpublish acts on the document, see DocumentActions), and restoring it.
func (s *Service) VersionActions(ctx context.Context, kind Kind, a Actor, code string, version int) (Actions, error) {
	return s.actionsOn(ctx, kind, a, code, func(tx *db.Tx, k *docKind, d docRow, open int, out *Actions) error {
		v, err := loadVersion(ctx, tx, k, code, version)
		if err != nil {
			return err
		}
		for i := range workflow {
			if t := &workflow[i]; t.action != string(ActionUnpublish) {
				if err := offer(ctx, tx, k, v, a, t, out); err != nil {
					return err
				}
			}
		}
		// Restoring is offered on the history's other versions; the open one is edited instead.
		if a.Has(RoleEditor) && notArchived(k, code, d) == nil && !v.Status.Working() {
			return verdict(ActionRollback, noneOpen(k, code, open), out)
		}
		return nil
	})
}

// DocumentActions returns what a may do on the document code as a whole (start a new draft,
// unpublish, archive).
func (s *Service) DocumentActions(ctx context.Context, kind Kind, a Actor, code string) (Actions, error) {
	return s.actionsOn(ctx, kind, a, code, func(tx *db.Tx, k *docKind, d docRow, open int, out *Actions) error {
		if a.Has(RoleEditor) && notArchived(k, code, d) == nil && noneOpen(k, code, open) == nil {
			out.Allowed = append(out.Allowed, ActionNewDraft)
		}
		if d.State == "published" { // Unpublish acts on the version online
			v, err := loadVersion(ctx, tx, k, code, d.Published)
			if err != nil {
				return err
			}
			if err := offer(ctx, tx, k, v, a, transitionOf(string(ActionUnpublish)), out); err != nil {
				return err
			}
		}
		if a.Has(RolePublisher) && archivable(k, code, d) == nil {
			out.Allowed = append(out.Allowed, ActionArchive)
		}
		return nil
	})
}

// actionsOn runs fn in a transaction with the document code and the number of its working version
// (0: none) loaded, to collect what a may do. Nobody signed in may do anything.
func (s *Service) actionsOn(ctx context.Context, kind Kind, a Actor, code string, fn func(tx *db.Tx, k *docKind, d docRow, open int, out *Actions) error) (Actions, error) {
	k, err := kindOf(kind)
	if err != nil {
		return Actions{}, err
	}
	out := Actions{Allowed: []Action{}}
	if a.ID == "" {
		return out, nil
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		open, err := workingVersion(ctx, tx, k, code)
		if err != nil {
			return err
		}
		return fn(tx, k, d, open, &out)
	})
	return out, err
}
