package content

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/spoken"
)

// The editorial workflow. Every rule is enforced here, whatever a client sends:
//
//	draft ──submit──▶ submitted ──approve──▶ approved ──publish──▶ published ──▶ superseded
//	  ▲                  │                      │  └──schedule──▶ scheduled ──(due)──┘   └─unpublish─▶ unpublished
//	  └────send back─────┴──────────────────────┘
//	draft/submitted/approved/scheduled ──force-publish (with reason)──▶ published (needs retrospective review)
//
// At most one working version (draft, submitted, approved or scheduled) exists per document; the
// person who created or edited a version can never approve it (岗位不相容); published versions are
// never changed again; every action appends an audit record in the same transaction.

// transition is one row of the workflow: who may take a version from which statuses to which,
// whether they must say why, and what else must hold. Its action is also its audit record.
type transition struct {
	action string   // the audit action (audit.go gives its Chinese name)
	role   string   // the role the actor must hold
	from   []Status // the statuses it starts from; nil = rule decides (retro_review)
	to     Status   // the status it ends in; "" = unchanged
	text   textRule // the free text the actor writes: a reason, a comment
	rules  rule     // what else must hold or happen
}

// textRule says whether an action's free text is required.
type textRule int

const (
	textOptional textRule = iota
	textRequired          // checked after invisible characters are removed
)

// rule is a set of extra conditions and effects of a transition.
type rule int

const (
	validated    rule = 1 << iota // the body validates and a major change has a note
	revisioned                    // a revision the actor read must still be current
	notAuthor                     // 岗位不相容: whoever created or edited the version may not do this
	notPublisher                  // nor whoever published it
	retroPending                  // the version was force-published and awaits its second person
	publishes                     // the version goes online (validated again, event queued)
)

var (
	editable = []Status{StatusDraft, StatusSubmitted}
	reviewed = []Status{StatusSubmitted, StatusApproved}
	online   = []Status{StatusPublished}
)

// workflow is the table the code runs; nothing else moves a version between statuses (except the
// scheduler carrying out a schedule, RunDue, and imports by an admin).
var workflow = []transition{
	// action, role, from, to, text, rules
	{"save", RoleEditor, editable, "", textOptional, revisioned},
	{"discard", RoleEditor, editable, StatusArchived, textOptional, 0},
	{"submit", RoleEditor, []Status{StatusDraft}, StatusSubmitted, textOptional, validated},
	{"approve", RoleReviewer, []Status{StatusSubmitted}, StatusApproved, textOptional, revisioned | notAuthor | validated},
	{"send_back", RoleReviewer, reviewed, StatusDraft, textRequired, 0},
	{"publish", RolePublisher, []Status{StatusApproved}, StatusPublished, textOptional, publishes},
	{"schedule", RolePublisher, []Status{StatusApproved}, StatusScheduled, textOptional, validated},
	{"unschedule", RolePublisher, []Status{StatusScheduled}, StatusApproved, textOptional, 0},
	{"force_publish", RolePublisher, workingStatuses, StatusPublished, textRequired, publishes},
	{"retro_review", RoleReviewer, nil, "", textOptional, retroPending | notAuthor | notPublisher},
	{"unpublish", RolePublisher, online, StatusUnpublished, textRequired, 0},
}

// textPrompts tell the actor what to write when a required text is missing.
var textPrompts = map[string]string{
	"send_back":     "退回时请填写意见，告诉编辑需要修改什么。",
	"force_publish": "紧急发布必须填写原因，发布后将由其他人员补充审核。",
	"unpublish":     "下线时请填写原因，将向公众说明。",
}

func transitionOf(action string) *transition {
	for i := range workflow {
		if workflow[i].action == action {
			return &workflow[i]
		}
	}
	panic("content: no transition " + action)
}

// request is one actor's request to apply a transition to one version.
type request struct {
	kind     Kind
	actor    Actor
	code     string
	version  int
	revision int       // > 0: the revision the actor read (approve) or edited (save)
	text     string    // reason or comment
	at       time.Time // schedule: when to publish
	edit     Edit      // save: the new body's metadata
	body     []byte    // save: the new body
	replace  string    // unpublish: the code of the document that replaces it
}

// apply runs one transition of the table: role, text, status, two-person rule, validation, then
// the change, its event and its audit record, all in one transaction.
func (s *Service) apply(ctx context.Context, action string, r request) (*Version, error) {
	t := transitionOf(action)
	k, err := kindOf(r.kind)
	if err != nil {
		return nil, err
	}
	if r.actor.ID == "" {
		return nil, apperr.New(apperr.Unauthenticated, "")
	}
	// Where the two-person rule applies, an author is told that first, whatever roles they hold.
	if t.rules&notAuthor == 0 {
		if err := t.permit(r.actor); err != nil {
			return nil, err
		}
	}
	text := strings.TrimSpace(r.text)
	if t.text == textRequired {
		if text = requiredText(r.text); text == "" {
			return nil, apperr.New(apperr.ReasonRequired, textPrompts[action])
		}
	}
	return s.change(ctx, k, r.code, r.version, func(tx *db.Tx, d docRow, v *Version, now time.Time) error {
		if err := t.check(ctx, tx, k, v, r.actor, r.revision); err != nil {
			return err
		}
		if t.rules&validated != 0 {
			if err := k.check(ctx, tx, v.Code, v.Body); err != nil {
				return err
			}
			if err := needsNote(d, v); err != nil {
				return err
			}
		}
		detail, err := s.effect(ctx, tx, t, k, d, v, r, text, now)
		if err != nil {
			return err
		}
		return audit(ctx, tx, now, r.actor, action, string(k.kind), v.Code, v.Version, detail)
	})
}

// effect makes the change of one transition, inside tx, and returns the detail of its audit record.
func (s *Service) effect(ctx context.Context, tx *db.Tx, t *transition, k *docKind, d docRow, v *Version, r request, text string, now time.Time) (string, error) {
	switch {
	case t.action == "save":
		ok, err := saveBody(ctx, tx, k, v, r.edit, r.body, r.actor.ID, now)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", conflict(k, v)
		}
		return fmt.Sprintf("修订号 %d → %d", v.Revision, v.Revision+1), nil
	case t.rules&publishes != 0:
		if err := publishVersion(ctx, tx, k, d, v, r.actor, now); err != nil {
			return "", err
		}
		v.Status = StatusPublished
		if set, args := stamps(t.action, r.actor, text, r.at, now); set != "" {
			if err := setStatus(ctx, tx, k, v, v.Status, set, args...); err != nil {
				return "", err
			}
		}
		if t.action == "publish" {
			return v.ChangeNote, nil
		}
		return text, nil
	}
	to := t.to
	if to == "" {
		to = v.Status
	}
	set, args := stamps(t.action, r.actor, text, r.at, now)
	if err := setStatus(ctx, tx, k, v, to, set, args...); err != nil {
		return "", err
	}
	switch t.action {
	case "schedule":
		if err := s.enqueueScheduled(ctx, tx, k, v.Code, v.Version, r.at); err != nil {
			return "", err
		}
		return "定于 " + humanTime(r.at) + " 发布", nil
	case "unschedule":
		if _, err := s.jobs.Cancel(ctx, tx, scheduledJobKey(k, v.Code, v.Version, v.ScheduledAt)); err != nil {
			return "", err
		}
	case "unpublish":
		return unpublishDoc(ctx, tx, k, v, text, r.replace, now)
	}
	return text, nil
}

// check runs the rules of t that depend on who acts and on the version, not on what they write:
// the status it starts from, a stale revision (revision > 0), the two-person rule, then the role.
// apply runs it before every change; the console's actions (actions.go) run it without applying,
// so that what the console offers is exactly what apply accepts.
func (t *transition) check(ctx context.Context, tx *db.Tx, k *docKind, v *Version, a Actor, revision int) error {
	if err := t.allows(k, v); err != nil {
		return err
	}
	if t.rules&revisioned != 0 && revision > 0 && revision != v.Revision {
		return conflict(k, v)
	}
	if err := t.secondPerson(ctx, tx, k, v, a); err != nil {
		return err
	}
	return t.permit(a)
}

// permit refuses an actor without the transition's role.
func (t *transition) permit(a Actor) error {
	return need(a, t.role, ActionName(t.action))
}

// allows refuses a version the transition cannot start from, naming the statuses it can.
func (t *transition) allows(k *docKind, v *Version) error {
	if t.rules&retroPending != 0 {
		if !v.NeedsRetroReview {
			return apperr.Newf(apperr.InvalidTransition, "%s %s 第%d版不需要补充审核。", k.label, v.Code, v.Version)
		}
		return nil
	}
	if v.Status.in(t.from) {
		return nil
	}
	names := make([]string, len(t.from))
	for i, st := range t.from {
		names[i] = "“" + st.Name() + "”"
	}
	return apperr.Newf(apperr.InvalidTransition, "%s %s 第%d版当前状态为“%s”，不能%s：只有%s状态的版本可以%s。",
		k.label, v.Code, v.Version, v.Status.Name(), ActionName(t.action), strings.Join(names, "或"), ActionName(t.action)).
		WithDetails(map[string]any{"status": v.Status, "version": v.Version})
}

// secondPerson enforces 岗位不相容: whoever created, edited (or, where the row says so, published)
// a version may not be the second person on it.
func (t *transition) secondPerson(ctx context.Context, tx *db.Tx, k *docKind, v *Version, a Actor) error {
	if t.rules&notAuthor == 0 {
		return nil
	}
	own, err := authoredBy(ctx, tx, k, v, a.ID)
	if err != nil {
		return err
	}
	published := t.rules&notPublisher != 0 && v.PublishedBy == a.ID
	if !own && !published {
		return nil
	}
	if t.rules&notPublisher != 0 {
		return apperr.Newf(apperr.SelfReviewForbidden, "您编辑或紧急发布了%s %s 第%d版，%s须由其他人员进行。", k.label, v.Code, v.Version, ActionName(t.action)).
			WithDetails(map[string]any{"edited_by": v.EditedBy, "published_by": v.PublishedBy, "version": v.Version})
	}
	return apperr.Newf(apperr.SelfReviewForbidden, "您编辑过%s %s 第%d版，不能审核自己编辑的内容，请由其他审核人员审核。", k.label, v.Code, v.Version).
		WithDetails(map[string]any{"edited_by": v.EditedBy, "version": v.Version})
}

// need returns a forbidden error unless a holds role.
func need(a Actor, role, what string) error {
	if a.ID == "" {
		return apperr.New(apperr.Unauthenticated, "")
	}
	if !a.Has(role) {
		return apperr.Newf(apperr.Forbidden, "您没有%s的权限（需要 %s 角色）。", what, role)
	}
	return nil
}

// needsNote enforces that a major change to something already published explains itself.
func needsNote(d docRow, v *Version) error {
	if v.Major && d.Published > 0 && spoken.IsBlank(v.ChangeNote) {
		return apperr.New(apperr.ChangeNoteRequired, "这是重大修改，请填写修改说明（将向公众展示并通知关注者）；如只是错别字等小修改，请选择“小修改”。")
	}
	return nil
}

// conflict is the 409 for a stale revision: it says who changed the version and when.
func conflict(k *docKind, v *Version) error {
	return apperr.Newf(apperr.EditConflict, "%s %s 第%d版已被 %s 于 %s 修改（修订号 %d），请刷新后再编辑。",
		k.label, v.Code, v.Version, v.EditedBy, humanTime(v.EditedAt), v.Revision).
		WithDetails(map[string]any{"edited_by": v.EditedBy, "edited_at": v.EditedAt, "revision": v.Revision, "etag": v.ETag, "status": v.Status})
}

// publishVersion validates v once more and publishes it with its event, inside tx. The first
// publication of a document is always a major change.
func publishVersion(ctx context.Context, tx *db.Tx, k *docKind, d docRow, v *Version, a Actor, now time.Time) error {
	if err := k.check(ctx, tx, v.Code, v.Body); err != nil {
		return err
	}
	if err := needsNote(d, v); err != nil {
		return err
	}
	major := v.Major || d.Published == 0
	return publishTx(ctx, tx, k, now, a, v.Code, v.Version, v.Body, major, v.ChangeNote)
}

// inDoc runs fn inside a transaction with the document code locked, then delivers the events the
// transaction appended. It returns the version fn names (0: none) as it stands after fn.
func (s *Service) inDoc(ctx context.Context, k *docKind, code string, fn func(tx *db.Tx, d docRow, now time.Time) (int, error)) (*Version, error) {
	now := s.now()
	var out *Version
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		version, err := fn(tx, d, now)
		if err != nil || version == 0 {
			return err
		}
		out, err = loadVersion(ctx, tx, k, code, version)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.deliverAfterCommit(ctx)
	return out, nil
}

// change runs fn on version of code (0: the version online) inside a transaction with the
// document and version locked.
func (s *Service) change(ctx context.Context, k *docKind, code string, version int, fn func(tx *db.Tx, d docRow, v *Version, now time.Time) error) (*Version, error) {
	return s.inDoc(ctx, k, code, func(tx *db.Tx, d docRow, now time.Time) (int, error) {
		if version == 0 {
			if version = d.Published; d.State != "published" {
				return 0, apperr.Newf(apperr.InvalidTransition, "%s %s 当前未发布。", k.label, code)
			}
		}
		v, err := loadVersion(ctx, tx, k, code, version)
		if err != nil {
			return 0, err
		}
		return version, fn(tx, d, v, now)
	})
}

// ---- the actions: each one row of the table ----

// SaveGuide stores a new revision of a working guide version.
func (s *Service) SaveGuide(ctx context.Context, a Actor, code string, e Edit, g Guide) (*Version, error) {
	g.Code = code
	return s.save(ctx, KindGuide, a, code, e, normalizeForStore(g))
}

// SaveForm stores a new revision of a working form version.
func (s *Service) SaveForm(ctx context.Context, a Actor, code string, e Edit, f Form) (*Version, error) {
	f.Code = code
	return s.save(ctx, KindForm, a, code, e, normalizeForm(f))
}

func (s *Service) save(ctx context.Context, kind Kind, a Actor, code string, e Edit, doc any) (*Version, error) {
	if err := transitionOf("save").permit(a); err != nil {
		return nil, err
	}
	if e.Revision < 1 {
		return nil, apperr.New(apperr.PreconditionNeeded, "")
	}
	if len(e.ChangeNote) > 2000 {
		return nil, apperr.New(apperr.InvalidBody, "修改说明不能超过2000个字符。")
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	e.ChangeNote = strings.TrimSpace(e.ChangeNote)
	return s.apply(ctx, "save", request{kind: kind, actor: a, code: code, version: e.Version, revision: e.Revision, edit: e, body: body})
}

// Discard abandons a working version that was never published (its status becomes archived).
func (s *Service) Discard(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	return s.apply(ctx, "discard", request{kind: kind, actor: a, code: code, version: version})
}

// Submit sends a draft for review. It is validated now so that reviewers see only complete work.
func (s *Service) Submit(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	return s.apply(ctx, "submit", request{kind: kind, actor: a, code: code, version: version})
}

// Approve accepts a submitted version. Nobody who created or edited the version may approve it.
// A revision > 0 makes sure the reviewer approves the revision they read.
func (s *Service) Approve(ctx context.Context, kind Kind, a Actor, code string, version, revision int, comment string) (*Version, error) {
	return s.apply(ctx, "approve", request{kind: kind, actor: a, code: code, version: version, revision: revision, text: comment})
}

// SendBack returns a submitted or approved version to its editor as a draft, with a comment.
func (s *Service) SendBack(ctx context.Context, kind Kind, a Actor, code string, version int, comment string) (*Version, error) {
	return s.apply(ctx, "send_back", request{kind: kind, actor: a, code: code, version: version, text: comment})
}

// Publish puts an approved version online now.
func (s *Service) Publish(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	return s.apply(ctx, "publish", request{kind: kind, actor: a, code: code, version: version})
}

// maxScheduleAhead is how far ahead a publication may be scheduled.
const maxScheduleAhead = 365 * 24 * time.Hour

// Schedule sets an approved version to be published at a time between now and a year ahead.
// A job in the queue, due at that time, publishes it on exactly one replica (see schedule.go).
func (s *Service) Schedule(ctx context.Context, kind Kind, a Actor, code string, version int, at time.Time) (*Version, error) {
	if err := transitionOf("schedule").permit(a); err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case at.IsZero():
		return nil, apperr.New(apperr.InvalidSchedule, "请填写发布时间。")
	case !at.After(now):
		return nil, apperr.Newf(apperr.InvalidSchedule, "发布时间 %s 已经过去，请选择将来的时间。", humanTime(at)).
			WithDetails(map[string]any{"at": at, "now": now})
	case at.After(now.Add(maxScheduleAhead)):
		return nil, apperr.Newf(apperr.InvalidSchedule, "发布时间 %s 超过一年以后，最晚只能定在 %s。", humanTime(at), humanTime(now.Add(maxScheduleAhead))).
			WithDetails(map[string]any{"at": at, "latest": now.Add(maxScheduleAhead)})
	}
	return s.apply(ctx, "schedule", request{kind: kind, actor: a, code: code, version: version, at: at})
}

// Unschedule cancels a scheduled publication; the version goes back to approved.
func (s *Service) Unschedule(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	return s.apply(ctx, "unschedule", request{kind: kind, actor: a, code: code, version: version})
}

// ForcePublish publishes an urgent change without waiting for review. The reason is mandatory,
// and the version stays in the retrospective-review queue until someone else reviews it.
func (s *Service) ForcePublish(ctx context.Context, kind Kind, a Actor, code string, version int, reason string) (*Version, error) {
	return s.apply(ctx, "force_publish", request{kind: kind, actor: a, code: code, version: version, text: reason})
}

// RetroReview records the after-the-fact review of a force-published version by someone who
// neither edited nor published it.
func (s *Service) RetroReview(ctx context.Context, kind Kind, a Actor, code string, version int, comment string) (*Version, error) {
	return s.apply(ctx, "retro_review", request{kind: kind, actor: a, code: code, version: version, text: comment})
}

// Unpublish takes a published document offline with a reason and, optionally, the code of the
// document that replaces it. Readers of a guide then get 410 guide_unpublished naming both.
func (s *Service) Unpublish(ctx context.Context, kind Kind, a Actor, code, reason, replacement string) error {
	_, err := s.apply(ctx, "unpublish", request{kind: kind, actor: a, code: code, text: reason, replace: strings.TrimSpace(replacement)})
	return err
}

// unpublishDoc takes the document of v (its version online) offline, checking its replacement and
// queueing the unpublished event.
func unpublishDoc(ctx context.Context, tx *db.Tx, k *docKind, v *Version, reason, replacement string, now time.Time) (string, error) {
	detail := "原因：" + reason
	if replacement == v.Code {
		return "", apperr.New(apperr.InvalidParameter, "替代事项不能是它自己。")
	}
	if replacement != "" {
		st, _, err := stateOf(ctx, tx, k.kind, replacement)
		if err != nil {
			return "", err
		}
		if st != "published" {
			return "", apperr.Newf(apperr.InvalidParameter, "替代%s %s 不存在或未发布。", k.label, replacement).
				WithDetails(map[string]string{"parameter": "replacement"})
		}
		detail += "；替代：" + replacement
	}
	if err := unpublishTx(ctx, tx, k, v.Code, reason, replacement, now); err != nil {
		return "", err
	}
	return detail, enqueue(ctx, tx, now, k.unpublishedTopic, v.Code, GuideEvent{Code: v.Code, Version: v.Version, Major: true, ChangeNote: reason, Replacement: replacement})
}

// ---- creating documents and versions ----

// CreateGuide starts a new guide as version 1, a draft. A draft may be incomplete; it is
// validated when it is submitted and again when it is published.
func (s *Service) CreateGuide(ctx context.Context, a Actor, g Guide) (*Version, error) {
	if !ValidCode(g.Code) {
		return nil, apperr.New(apperr.InvalidGuideCode, "事项编码格式不正确：只能包含字母、数字、“-”和“_”，且不超过64个字符。")
	}
	return s.create(ctx, guideKind, a, g.Code, normalizeForStore(g), g.ChangeNote)
}

// CreateForm starts a new form as version 1, a draft.
func (s *Service) CreateForm(ctx context.Context, a Actor, f Form) (*Version, error) {
	if !ValidCode(f.Code) {
		return nil, apperr.New(apperr.InvalidParameter, "表单编码格式不正确：只能包含字母、数字、“-”和“_”，且不超过64个字符。")
	}
	return s.create(ctx, formKind, a, f.Code, normalizeForm(f), f.ChangeNote)
}

func (s *Service) create(ctx context.Context, k *docKind, a Actor, code string, doc any, note string) (*Version, error) {
	if err := need(a, RoleEditor, "新建"+k.label); err != nil {
		return nil, err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Version
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := docState(ctx, tx, k, code); err == nil {
			return apperr.Newf(k.exists, "编码 %s 已被使用，请换一个编码，或在已有%s上新建版本。", code, k.label)
		} else if !apperr.Is(err, k.notFound) {
			return err
		}
		if err := insertDoc(ctx, tx, k, code, 1, now); err != nil {
			return err
		}
		if err := insertVersion(ctx, tx, k, newVersion{code: code, version: 1, status: StatusDraft, body: body, note: note, by: a.ID}, now); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, a, "create", string(k.kind), code, 1, ""); err != nil {
			return err
		}
		out, err = loadVersion(ctx, tx, k, code, 1)
		return err
	})
	return out, err
}

// NewDraft starts a new working version of code from its published version (or, if it was never
// published, from its latest version).
func (s *Service) NewDraft(ctx context.Context, kind Kind, a Actor, code string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	return s.branch(ctx, k, a, code, 0, "new_draft")
}

// Rollback starts a new draft whose content is that of an earlier version; the history keeps
// everything in between.
func (s *Service) Rollback(ctx context.Context, kind Kind, a Actor, code string, from int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if from < 1 {
		return nil, apperr.New(apperr.InvalidParameter, "请指定要恢复的版本号。")
	}
	return s.branch(ctx, k, a, code, from, "rollback")
}

func (s *Service) branch(ctx context.Context, k *docKind, a Actor, code string, from int, action string) (*Version, error) {
	if err := need(a, RoleEditor, "编辑"+k.label); err != nil {
		return nil, err
	}
	return s.inDoc(ctx, k, code, func(tx *db.Tx, d docRow, now time.Time) (int, error) {
		if err := notArchived(k, code, d); err != nil {
			return 0, err
		}
		if open, err := workingVersion(ctx, tx, k, code); err != nil {
			return 0, err
		} else if err := noneOpen(k, code, open); err != nil {
			return 0, err
		}
		base := from
		if base == 0 {
			base = d.Published
			if base == 0 {
				base = d.Latest
			}
		}
		src, err := loadVersion(ctx, tx, k, code, base)
		if err != nil {
			return 0, err
		}
		version := d.Latest + 1
		if err := insertVersion(ctx, tx, k, newVersion{code: code, version: version, status: StatusDraft, body: src.Body, basedOn: base, by: a.ID}, now); err != nil {
			return 0, err
		}
		if err := setLatest(ctx, tx, k, code, version, now); err != nil {
			return 0, err
		}
		detail := fmt.Sprintf("基于第%d版", base)
		if action == "rollback" {
			detail = fmt.Sprintf("恢复为第%d版的内容", base)
		}
		return version, audit(ctx, tx, now, a, action, string(k.kind), code, version, detail)
	})
}

// Archive retires a document that is not online (never published, or unpublished): its working
// version, if any, is archived with it and it can no longer be edited.
func (s *Service) Archive(ctx context.Context, kind Kind, a Actor, code string) error {
	k, err := kindOf(kind)
	if err != nil {
		return err
	}
	if err := need(a, RolePublisher, "归档"); err != nil {
		return err
	}
	_, err = s.inDoc(ctx, k, code, func(tx *db.Tx, d docRow, now time.Time) (int, error) {
		if err := archivable(k, code, d); err != nil {
			return 0, err
		}
		if err := archiveTx(ctx, tx, k, code, now); err != nil {
			return 0, err
		}
		return 0, audit(ctx, tx, now, a, "archive", string(k.kind), code, 0, "")
	})
	return err
}

// The preconditions of the steps that are not transitions of a version, shared with the console's
// actions (actions.go).

// notArchived refuses to start a version of an archived document.
func notArchived(k *docKind, code string, d docRow) error {
	if d.State == "archived" {
		return apperr.Newf(apperr.InvalidTransition, "%s %s 已归档，不能再编辑。", k.label, code)
	}
	return nil
}

// noneOpen refuses to start a version while the document has a working one (open > 0).
func noneOpen(k *docKind, code string, open int) error {
	if open > 0 {
		return apperr.Newf(apperr.InvalidTransition, "%s %s 已有正在处理的第%d版，请先完成或放弃它。", k.label, code, open).
			WithDetails(map[string]any{"working_version": open})
	}
	return nil
}

// archivable refuses to archive a document that is online or already archived.
func archivable(k *docKind, code string, d docRow) error {
	switch d.State {
	case "published":
		return apperr.Newf(apperr.InvalidTransition, "%s %s 正在发布中，请先下线再归档。", k.label, code)
	case "archived":
		return apperr.Newf(apperr.InvalidTransition, "%s %s 已经归档。", k.label, code)
	}
	return nil
}
