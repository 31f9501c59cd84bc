package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
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

// Kind names what a workflow action is about. Guides and forms share the workflow; only the
// tables, validation and events differ.
type Kind string

// The kinds of document that go through the workflow.
const (
	KindGuide Kind = "guide"
	KindForm  Kind = "form"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindGuide || k == KindForm }

// Roles that the workflow checks (the same names as identity's roles).
const (
	RoleEditor    = "editor"
	RoleReviewer  = "reviewer"
	RolePublisher = "publisher"
	RoleAdmin     = "admin"
)

// workingStatuses are the states of a version that is still being worked on.
var workingStatuses = []Status{StatusDraft, StatusSubmitted, StatusApproved, StatusScheduled}

// Working reports whether a version in status st is still being worked on.
func (st Status) Working() bool {
	for _, w := range workingStatuses {
		if st == w {
			return true
		}
	}
	return false
}

// Name returns the Chinese label of the status.
func (st Status) Name() string { return statusNames[st] }

var statusNames = map[Status]string{
	StatusDraft: "草稿", StatusSubmitted: "待审核", StatusApproved: "已审核", StatusScheduled: "定时发布",
	StatusPublished: "已发布", StatusSuperseded: "已被替代", StatusUnpublished: "已下线", StatusArchived: "已归档",
}

// maxScheduleAhead is how far ahead a publication may be scheduled.
const maxScheduleAhead = 365 * 24 * time.Hour

// docKind describes the storage and rules of one Kind.
type docKind struct {
	kind     Kind
	label    string // 办事指南 / 表单
	docs     string // table of documents
	versions string // table of versions
	notFound apperr.Kind
	exists   apperr.Kind
	// check validates a version's body before it is submitted, approved, scheduled or published,
	// returning an *apperr.Error (422) whose details list every problem.
	check func(ctx context.Context, tx *db.Tx, code string, body []byte) error
	// publish makes version the published one and queues its event, inside tx.
	publish        func(ctx context.Context, tx *db.Tx, now time.Time, a Actor, code string, version int, major bool, note string) error
	unpublishTopic string
	title          func(body []byte) string
}

var guideKind = &docKind{
	kind: KindGuide, label: "办事指南", docs: "guides", versions: "guide_versions",
	notFound: apperr.GuideNotFound, exists: apperr.GuideExists,
	check: checkGuideBody, publish: publishInTx, unpublishTopic: event.GuideUnpublished,
	title: func(body []byte) string {
		var g struct{ Name string }
		_ = json.Unmarshal(body, &g)
		return g.Name
	},
}

var formKind = &docKind{
	kind: KindForm, label: "表单", docs: "forms", versions: "form_versions",
	notFound: apperr.FormNotFound, exists: apperr.FormExists,
	check: checkFormBody, publish: publishFormInTx, unpublishTopic: event.FormUnpublished,
	title: func(body []byte) string {
		var f struct{ Title string }
		_ = json.Unmarshal(body, &f)
		return f.Title
	},
}

func kindOf(k Kind) (*docKind, error) {
	switch k {
	case KindGuide:
		return guideKind, nil
	case KindForm:
		return formKind, nil
	}
	return nil, apperr.Newf(apperr.InvalidParameter, "未知的内容类型 %q。", string(k))
}

// Version is one numbered version of a guide or form with its workflow record. Body is the
// document itself (a Guide or a Form as JSON); lists of versions leave it out.
type Version struct {
	Kind             Kind            `json:"kind"`
	Code             string          `json:"code"`
	Version          int             `json:"version"`
	Status           Status          `json:"status"`
	StatusName       string          `json:"status_name"`
	Title            string          `json:"title"`
	Revision         int             `json:"revision"`
	ETag             string          `json:"etag"`
	BasedOn          int             `json:"based_on,omitempty"`
	Major            bool            `json:"major"`
	ChangeNote       string          `json:"change_note"`
	CreatedBy        string          `json:"created_by"`
	CreatedAt        time.Time       `json:"created_at"`
	EditedBy         string          `json:"edited_by"`
	EditedAt         time.Time       `json:"edited_at"`
	SubmittedBy      string          `json:"submitted_by,omitempty"`
	SubmittedAt      time.Time       `json:"submitted_at,omitzero"`
	ReviewedBy       string          `json:"reviewed_by,omitempty"`
	ReviewedAt       time.Time       `json:"reviewed_at,omitzero"`
	ReviewComment    string          `json:"review_comment,omitempty"`
	PublishedBy      string          `json:"published_by,omitempty"`
	PublishedAt      time.Time       `json:"published_at,omitzero"`
	ScheduledAt      time.Time       `json:"scheduled_at,omitzero"`
	ScheduledBy      string          `json:"scheduled_by,omitempty"`
	Forced           bool            `json:"forced,omitempty"`
	ForceReason      string          `json:"force_reason,omitempty"`
	RetroReviewedBy  string          `json:"retro_reviewed_by,omitempty"`
	NeedsRetroReview bool            `json:"needs_retro_review,omitempty"`
	Body             json.RawMessage `json:"body,omitempty"`
}

// Guide decodes the body of a guide version.
func (v *Version) Guide() (Guide, error) {
	var g Guide
	err := json.Unmarshal(v.Body, &g)
	g.Status, g.Version, g.ChangeNote = v.Status, v.Version, v.ChangeNote
	return g, err
}

// Form decodes the body of a form version.
func (v *Version) Form() (Form, error) {
	var f Form
	err := json.Unmarshal(v.Body, &f)
	f.Status, f.Version, f.ChangeNote = v.Status, v.Version, v.ChangeNote
	return f, err
}

// versionETag is the strong validator of one revision of one version.
func versionETag(version, revision int) string {
	return `"v` + strconv.Itoa(version) + `.r` + strconv.Itoa(revision) + `"`
}

// ParseETag reads a version ETag ("v3.r7", quoted or weak) back into version and revision.
func ParseETag(s string) (version, revision int, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	s = strings.Trim(s, `"`)
	vs, rs, found := strings.Cut(s, ".")
	if !found || !strings.HasPrefix(vs, "v") || !strings.HasPrefix(rs, "r") {
		return 0, 0, false
	}
	v, err1 := strconv.Atoi(vs[1:])
	r, err2 := strconv.Atoi(rs[1:])
	return v, r, err1 == nil && err2 == nil && v > 0 && r > 0
}

const versionCols = `code, version, status, body, major, change_note, revision, based_on, created_by, created_at,
	edited_by, edited_at, submitted_by, submitted_at, reviewed_by, reviewed_at, review_comment, published_by,
	published_at, scheduled_at, scheduled_by, forced, force_reason, retro_reviewed_by`

type scanner interface{ Scan(dest ...any) error }

func scanVersion(sc scanner, k *docKind, withBody bool) (*Version, error) {
	v := &Version{Kind: k.kind}
	var status, body, createdAt, editedAt, submittedAt, reviewedAt, publishedAt, scheduledAt string
	var major, forced int
	if err := sc.Scan(&v.Code, &v.Version, &status, &body, &major, &v.ChangeNote, &v.Revision, &v.BasedOn,
		&v.CreatedBy, &createdAt, &v.EditedBy, &editedAt, &v.SubmittedBy, &submittedAt, &v.ReviewedBy, &reviewedAt,
		&v.ReviewComment, &v.PublishedBy, &publishedAt, &scheduledAt, &v.ScheduledBy, &forced, &v.ForceReason,
		&v.RetroReviewedBy); err != nil {
		return nil, err
	}
	v.Status, v.StatusName = Status(status), Status(status).Name()
	v.Major, v.Forced = major != 0, forced != 0
	v.CreatedAt, v.EditedAt, v.SubmittedAt = parseTime(createdAt), parseTime(editedAt), parseTime(submittedAt)
	v.ReviewedAt, v.PublishedAt, v.ScheduledAt = parseTime(reviewedAt), parseTime(publishedAt), parseTime(scheduledAt)
	v.NeedsRetroReview = v.Forced && v.RetroReviewedBy == ""
	v.ETag = versionETag(v.Version, v.Revision)
	v.Title = k.title([]byte(body))
	if withBody {
		v.Body = json.RawMessage(body)
	}
	return v, nil
}

// forUpdate locks the selected rows until the transaction ends on PostgreSQL; SQLite transactions
// here take the write lock at BEGIN (_txlock=immediate), which serialises them anyway.
func forUpdate(tx *db.Tx) string {
	if tx.Dialect() == db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// docRow is the document-level record of a guide or form.
type docRow struct {
	State     string // draft (never published), published, unpublished, archived
	Published int    // 0 when never published
	Latest    int
}

func loadDoc(ctx context.Context, tx *db.Tx, k *docKind, code string) (docRow, error) {
	var r docRow
	var pub *int64
	err := tx.QueryRow(ctx, `SELECT state, published_version, latest_version FROM `+k.docs+` WHERE code = ?`+forUpdate(tx), code).
		Scan(&r.State, &pub, &r.Latest)
	if noRows(err) {
		return r, apperr.New(k.notFound, "")
	}
	if pub != nil {
		r.Published = int(*pub)
	}
	return r, err
}

func loadVersion(ctx context.Context, tx *db.Tx, k *docKind, code string, version int) (*Version, error) {
	v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionCols+` FROM `+k.versions+` WHERE code = ? AND version = ?`+forUpdate(tx), code, version), k, true)
	if noRows(err) {
		return nil, apperr.Newf(apperr.VersionNotFound, "%s %s 没有第%d版。", k.label, code, version)
	}
	return v, err
}

func workingVersionTx(ctx context.Context, tx *db.Tx, k *docKind, code string) (int, error) {
	var v int
	err := tx.QueryRow(ctx, `SELECT version FROM `+k.versions+` WHERE code = ? AND status IN ('draft','submitted','approved','scheduled') ORDER BY version DESC LIMIT 1`, code).Scan(&v)
	if noRows(err) {
		return 0, nil
	}
	return v, err
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

func badTransition(k *docKind, v *Version, action string) error {
	return apperr.Newf(apperr.InvalidTransition, "%s %s 第%d版当前状态为“%s”，不能%s。", k.label, v.Code, v.Version, v.Status.Name(), action).
		WithDetails(map[string]any{"status": v.Status, "version": v.Version})
}

// shanghai is the zone of the people reading the messages.
var shanghai = time.FixedZone("CST", 8*3600)

func humanTime(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04:05") }

// conflict is the 409 for a stale revision: it says who changed the version and when.
func conflict(k *docKind, v *Version) error {
	return apperr.Newf(apperr.EditConflict, "%s %s 第%d版已被 %s 于 %s 修改（修订号 %d），请刷新后再编辑。",
		k.label, v.Code, v.Version, v.EditedBy, humanTime(v.EditedAt), v.Revision).
		WithDetails(map[string]any{"edited_by": v.EditedBy, "edited_at": v.EditedAt, "revision": v.Revision, "etag": v.ETag, "status": v.Status})
}

// authoredBy reports whether actor created or edited this version at any point: such a person
// may not approve it or review it retrospectively.
func authoredBy(ctx context.Context, tx *db.Tx, k *docKind, v *Version, actor string) (bool, error) {
	if v.EditedBy == actor || v.CreatedBy == actor {
		return true, nil
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE kind = ? AND code = ? AND version = ? AND actor = ?
		AND action IN ('create','new_draft','rollback','save','import_draft')`, string(k.kind), v.Code, v.Version, actor).Scan(&n)
	return n > 0, err
}

// change runs fn on version of code inside a transaction with the version locked, then delivers
// the events the transaction appended.
func (s *Service) change(ctx context.Context, k *docKind, code string, version int, fn func(tx *db.Tx, d docRow, v *Version, now time.Time) error) (*Version, error) {
	now := s.now()
	var out *Version
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		v, err := loadVersion(ctx, tx, k, code, version)
		if err != nil {
			return err
		}
		if err := fn(tx, d, v, now); err != nil {
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

// ---- creating and editing ----

// CreateGuide starts a new guide as version 1, a draft. A draft may be incomplete; it is
// validated when it is submitted and again when it is published.
func (s *Service) CreateGuide(ctx context.Context, a Actor, g Guide) (*Version, error) {
	if !ValidCode(g.Code) {
		return nil, apperr.New(apperr.InvalidGuideCode, "事项编码格式不正确：只能包含字母、数字、“-”和“_”，且不超过64个字符。")
	}
	note := g.ChangeNote
	body, err := json.Marshal(normalizeForStore(g))
	if err != nil {
		return nil, err
	}
	return s.create(ctx, guideKind, a, g.Code, body, note)
}

func (s *Service) create(ctx context.Context, k *docKind, a Actor, code string, body []byte, note string) (*Version, error) {
	if err := need(a, RoleEditor, "新建"+k.label); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Version
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+k.docs+` WHERE code = ?`, code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.Newf(k.exists, "编码 %s 已被使用，请换一个编码，或在已有%s上新建版本。", code, k.label)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+k.docs+` (code, state, latest_version, created_at, updated_at) VALUES (?, 'draft', 1, ?, ?)`,
			code, fmtTime(now), fmtTime(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+k.versions+` (code, version, status, body, major, change_note, created_by, created_at, edited_by, edited_at)
			VALUES (?, 1, 'draft', ?, 1, ?, ?, ?, ?, ?)`, code, string(body), note, a.ID, fmtTime(now), a.ID, fmtTime(now)); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, a, "create", string(k.kind), code, 1, ""); err != nil {
			return err
		}
		var err error
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
	now := s.now()
	var out *Version
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		if d.State == "archived" {
			return apperr.Newf(apperr.InvalidTransition, "%s %s 已归档，不能再编辑。", k.label, code)
		}
		if open, err := workingVersionTx(ctx, tx, k, code); err != nil {
			return err
		} else if open > 0 {
			return apperr.Newf(apperr.InvalidTransition, "%s %s 已有正在处理的第%d版，请先完成或放弃它。", k.label, code, open).
				WithDetails(map[string]any{"working_version": open})
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
			return err
		}
		version := d.Latest + 1
		if _, err := tx.Exec(ctx, `INSERT INTO `+k.versions+` (code, version, status, body, major, change_note, based_on, created_by, created_at, edited_by, edited_at)
			VALUES (?, ?, 'draft', ?, 1, '', ?, ?, ?, ?, ?)`, code, version, string(src.Body), base, a.ID, fmtTime(now), a.ID, fmtTime(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.docs+` SET latest_version = ?, updated_at = ? WHERE code = ?`, version, fmtTime(now), code); err != nil {
			return err
		}
		detail := fmt.Sprintf("基于第%d版", base)
		if action == "rollback" {
			detail = fmt.Sprintf("恢复为第%d版的内容", base)
		}
		if err := audit(ctx, tx, now, a, action, string(k.kind), code, version, detail); err != nil {
			return err
		}
		out, err = loadVersion(ctx, tx, k, code, version)
		return err
	})
	return out, err
}

// Edit is one save of a working version. Revision is the revision the editor started from
// (optimistic locking): when someone saved in between, the save fails with edit_conflict.
type Edit struct {
	Version    int
	Revision   int
	Major      bool   // a major change moves public_updated_at and needs a change note
	ChangeNote string // what changed, for the public and for followers
}

// SaveGuide stores a new revision of a working guide version.
func (s *Service) SaveGuide(ctx context.Context, a Actor, code string, e Edit, g Guide) (*Version, error) {
	g.Code = code
	body, err := json.Marshal(normalizeForStore(g))
	if err != nil {
		return nil, err
	}
	return s.save(ctx, guideKind, a, code, e, body)
}

func (s *Service) save(ctx context.Context, k *docKind, a Actor, code string, e Edit, body []byte) (*Version, error) {
	if err := need(a, RoleEditor, "编辑"+k.label); err != nil {
		return nil, err
	}
	if e.Revision < 1 {
		return nil, apperr.New(apperr.PreconditionNeeded, "")
	}
	if len(e.ChangeNote) > 2000 {
		return nil, apperr.New(apperr.InvalidBody, "修改说明不能超过2000个字符。")
	}
	return s.change(ctx, k, code, e.Version, func(tx *db.Tx, _ docRow, v *Version, now time.Time) error {
		if v.Status != StatusDraft && v.Status != StatusSubmitted {
			return badTransition(k, v, "修改（请先退回为草稿）")
		}
		if v.Revision != e.Revision {
			return conflict(k, v)
		}
		res, err := tx.Exec(ctx, `UPDATE `+k.versions+` SET body = ?, major = ?, change_note = ?, revision = revision + 1, edited_by = ?, edited_at = ?
			WHERE code = ? AND version = ? AND revision = ?`, string(body), boolInt(e.Major), strings.TrimSpace(e.ChangeNote), a.ID, fmtTime(now), code, e.Version, e.Revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict(k, v)
		}
		return audit(ctx, tx, now, a, "save", string(k.kind), code, e.Version, fmt.Sprintf("修订号 %d → %d", v.Revision, v.Revision+1))
	})
}

// Discard abandons a working version that was never published (its status becomes archived).
func (s *Service) Discard(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RoleEditor, "放弃"+k.label+"草稿"); err != nil {
		return nil, err
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, _ docRow, v *Version, now time.Time) error {
		if v.Status != StatusDraft && v.Status != StatusSubmitted {
			return badTransition(k, v, "放弃")
		}
		if err := setStatus(ctx, tx, k, v, StatusArchived, ""); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "discard", string(k.kind), code, version, "")
	})
}

// setStatus moves v to status, optionally setting more columns (a SQL fragment with its args).
func setStatus(ctx context.Context, tx *db.Tx, k *docKind, v *Version, st Status, set string, args ...any) error {
	q := `UPDATE ` + k.versions + ` SET status = ?`
	if set != "" {
		q += ", " + set
	}
	q += ` WHERE code = ? AND version = ? AND status = ?`
	all := append([]any{string(st)}, args...)
	all = append(all, v.Code, v.Version, string(v.Status))
	res, err := tx.Exec(ctx, q, all...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Newf(apperr.InvalidTransition, "%s %s 第%d版的状态刚刚被他人改变，请刷新。", k.label, v.Code, v.Version)
	}
	return nil
}

// ---- review ----

// needsNote enforces that a major change to something already published explains itself.
func needsNote(d docRow, v *Version) error {
	if v.Major && d.Published > 0 && strings.TrimSpace(v.ChangeNote) == "" {
		return apperr.New(apperr.ChangeNoteRequired, "这是重大修改，请填写修改说明（将向公众展示并通知关注者）；如只是错别字等小修改，请选择“小修改”。")
	}
	return nil
}

// Submit sends a draft for review. It is validated now so that reviewers see only complete work.
func (s *Service) Submit(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RoleEditor, "提交审核"); err != nil {
		return nil, err
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, d docRow, v *Version, now time.Time) error {
		if v.Status != StatusDraft {
			return badTransition(k, v, "提交审核")
		}
		if err := k.check(ctx, tx, code, v.Body); err != nil {
			return err
		}
		if err := needsNote(d, v); err != nil {
			return err
		}
		if err := setStatus(ctx, tx, k, v, StatusSubmitted, "submitted_by = ?, submitted_at = ?", a.ID, fmtTime(now)); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "submit", string(k.kind), code, version, "")
	})
}

// Approve accepts a submitted version. Nobody who created or edited the version may approve it.
// A revision > 0 makes sure the reviewer approves the revision they read.
func (s *Service) Approve(ctx context.Context, kind Kind, a Actor, code string, version, revision int, comment string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if a.ID == "" {
		return nil, apperr.New(apperr.Unauthenticated, "")
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, d docRow, v *Version, now time.Time) error {
		if v.Status != StatusSubmitted {
			return badTransition(k, v, "审核通过")
		}
		if revision > 0 && revision != v.Revision {
			return conflict(k, v)
		}
		// 岗位不相容 comes first: an author is told why, whatever roles they hold.
		if own, err := authoredBy(ctx, tx, k, v, a.ID); err != nil {
			return err
		} else if own {
			return apperr.Newf(apperr.SelfReviewForbidden, "您编辑过%s %s 第%d版，不能审核自己编辑的内容，请由其他审核人员审核。", k.label, code, version).
				WithDetails(map[string]any{"edited_by": v.EditedBy, "version": v.Version})
		}
		if err := need(a, RoleReviewer, "审核"); err != nil {
			return err
		}
		if err := k.check(ctx, tx, code, v.Body); err != nil {
			return err
		}
		if err := needsNote(d, v); err != nil {
			return err
		}
		if err := setStatus(ctx, tx, k, v, StatusApproved, "reviewed_by = ?, reviewed_at = ?, review_comment = ?",
			a.ID, fmtTime(now), strings.TrimSpace(comment)); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "approve", string(k.kind), code, version, strings.TrimSpace(comment))
	})
}

// SendBack returns a submitted or approved version to its editor as a draft, with a comment.
func (s *Service) SendBack(ctx context.Context, kind Kind, a Actor, code string, version int, comment string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RoleReviewer, "退回修改"); err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	if comment == "" {
		return nil, apperr.New(apperr.ReasonRequired, "退回时请填写意见，告诉编辑需要修改什么。")
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, _ docRow, v *Version, now time.Time) error {
		if v.Status != StatusSubmitted && v.Status != StatusApproved {
			return badTransition(k, v, "退回")
		}
		if err := setStatus(ctx, tx, k, v, StatusDraft, "reviewed_by = ?, reviewed_at = ?, review_comment = ?", a.ID, fmtTime(now), comment); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "send_back", string(k.kind), code, version, comment)
	})
}

// ---- publishing ----

// Publish puts an approved version online now.
func (s *Service) Publish(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RolePublisher, "发布"); err != nil {
		return nil, err
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, d docRow, v *Version, now time.Time) error {
		if v.Status != StatusApproved {
			return badTransition(k, v, "发布（须先审核通过）")
		}
		if err := publishVersion(ctx, tx, k, d, v, a, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "publish", string(k.kind), code, version, v.ChangeNote)
	})
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
	return k.publish(ctx, tx, now, a, v.Code, v.Version, major, v.ChangeNote)
}

// Schedule sets an approved version to be published at a time between now and a year ahead.
// A job in the queue, due at that time, publishes it on exactly one replica (see schedule.go).
func (s *Service) Schedule(ctx context.Context, kind Kind, a Actor, code string, version int, at time.Time) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RolePublisher, "定时发布"); err != nil {
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
	return s.change(ctx, k, code, version, func(tx *db.Tx, d docRow, v *Version, now time.Time) error {
		if v.Status != StatusApproved {
			return badTransition(k, v, "定时发布（须先审核通过）")
		}
		if err := k.check(ctx, tx, code, v.Body); err != nil {
			return err
		}
		if err := needsNote(d, v); err != nil {
			return err
		}
		if err := setStatus(ctx, tx, k, v, StatusScheduled, "scheduled_at = ?, scheduled_by = ?", fmtTime(at), a.ID); err != nil {
			return err
		}
		if err := s.enqueueScheduled(ctx, tx, k, code, version, at); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "schedule", string(k.kind), code, version, "定于 "+humanTime(at)+" 发布")
	})
}

// Unschedule cancels a scheduled publication; the version goes back to approved.
func (s *Service) Unschedule(ctx context.Context, kind Kind, a Actor, code string, version int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RolePublisher, "取消定时发布"); err != nil {
		return nil, err
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, _ docRow, v *Version, now time.Time) error {
		if v.Status != StatusScheduled {
			return badTransition(k, v, "取消定时")
		}
		if err := setStatus(ctx, tx, k, v, StatusApproved, "scheduled_at = '', scheduled_by = ''"); err != nil {
			return err
		}
		if _, err := s.jobs.Cancel(ctx, tx, scheduledJobKey(k, code, version, v.ScheduledAt)); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "unschedule", string(k.kind), code, version, "")
	})
}

// ForcePublish publishes an urgent change without waiting for review. The reason is mandatory,
// and the version stays in the retrospective-review queue until someone else reviews it.
func (s *Service) ForcePublish(ctx context.Context, kind Kind, a Actor, code string, version int, reason string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RolePublisher, "紧急发布"); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.New(apperr.ReasonRequired, "紧急发布必须填写原因，发布后将由其他人员补充审核。")
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, d docRow, v *Version, now time.Time) error {
		if !v.Status.Working() {
			return badTransition(k, v, "紧急发布")
		}
		if err := publishVersion(ctx, tx, k, d, v, a, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.versions+` SET forced = 1, force_reason = ?, scheduled_at = '', scheduled_by = '' WHERE code = ? AND version = ?`,
			reason, code, version); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "force_publish", string(k.kind), code, version, reason)
	})
}

// RetroReview records the after-the-fact review of a force-published version by someone who
// neither edited nor published it.
func (s *Service) RetroReview(ctx context.Context, kind Kind, a Actor, code string, version int, comment string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if err := need(a, RoleReviewer, "补充审核"); err != nil {
		return nil, err
	}
	return s.change(ctx, k, code, version, func(tx *db.Tx, _ docRow, v *Version, now time.Time) error {
		if !v.NeedsRetroReview {
			return apperr.Newf(apperr.InvalidTransition, "%s %s 第%d版不需要补充审核。", k.label, code, version)
		}
		own, err := authoredBy(ctx, tx, k, v, a.ID)
		if err != nil {
			return err
		}
		if own || v.PublishedBy == a.ID {
			return apperr.Newf(apperr.SelfReviewForbidden, "您编辑或紧急发布了%s %s 第%d版，补充审核须由其他人员进行。", k.label, code, version)
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.versions+` SET retro_reviewed_by = ? WHERE code = ? AND version = ?`, a.ID, code, version); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "retro_review", string(k.kind), code, version, strings.TrimSpace(comment))
	})
}

// Unpublish takes a published document offline with a reason and, optionally, the code of the
// document that replaces it. Readers of a guide then get 410 guide_unpublished naming both.
func (s *Service) Unpublish(ctx context.Context, kind Kind, a Actor, code, reason, replacement string) error {
	k, err := kindOf(kind)
	if err != nil {
		return err
	}
	if err := need(a, RolePublisher, "下线"); err != nil {
		return err
	}
	reason, replacement = strings.TrimSpace(reason), strings.TrimSpace(replacement)
	if reason == "" {
		return apperr.New(apperr.ReasonRequired, "下线时请填写原因，将向公众说明。")
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		if d.State != "published" {
			return apperr.Newf(apperr.InvalidTransition, "%s %s 当前未发布，不能下线。", k.label, code)
		}
		if replacement != "" {
			if replacement == code {
				return apperr.New(apperr.InvalidParameter, "替代事项不能是它自己。")
			}
			var st string
			err := tx.QueryRow(ctx, `SELECT state FROM `+k.docs+` WHERE code = ?`, replacement).Scan(&st)
			if noRows(err) || (err == nil && st != "published") {
				return apperr.Newf(apperr.InvalidParameter, "替代%s %s 不存在或未发布。", k.label, replacement).
					WithDetails(map[string]string{"parameter": "replacement"})
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.versions+` SET status = 'unpublished' WHERE code = ? AND version = ?`, code, d.Published); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.docs+` SET state = 'unpublished', state_reason = ?, replacement = ?, updated_at = ? WHERE code = ?`,
			reason, replacement, fmtTime(now), code); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, now, k.unpublishTopic, code, GuideEvent{Code: code, Version: d.Published, Major: true, ChangeNote: reason, Replacement: replacement}); err != nil {
			return err
		}
		detail := "原因：" + reason
		if replacement != "" {
			detail += "；替代：" + replacement
		}
		return audit(ctx, tx, now, a, "unpublish", string(k.kind), code, d.Published, detail)
	})
	if err != nil {
		return err
	}
	s.deliverAfterCommit(ctx)
	return nil
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
	now := s.now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		switch d.State {
		case "published":
			return apperr.Newf(apperr.InvalidTransition, "%s %s 正在发布中，请先下线再归档。", k.label, code)
		case "archived":
			return apperr.Newf(apperr.InvalidTransition, "%s %s 已经归档。", k.label, code)
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.versions+` SET status = 'archived' WHERE code = ? AND status IN ('draft','submitted','approved','scheduled')`, code); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+k.docs+` SET state = 'archived', updated_at = ? WHERE code = ?`, fmtTime(now), code); err != nil {
			return err
		}
		return audit(ctx, tx, now, a, "archive", string(k.kind), code, 0, "")
	})
}

// ---- reading ----

// GetVersion returns one version of code with its body.
func (s *Service) GetVersion(ctx context.Context, kind Kind, code string, version int) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	v, err := scanVersion(s.db.QueryRow(ctx, `SELECT `+versionCols+` FROM `+k.versions+` WHERE code = ? AND version = ?`, code, version), k, true)
	if noRows(err) {
		if _, err := s.docState(ctx, k, code); err != nil {
			return nil, err
		}
		return nil, apperr.Newf(apperr.VersionNotFound, "%s %s 没有第%d版。", k.label, code, version)
	}
	return v, err
}

func (s *Service) docState(ctx context.Context, k *docKind, code string) (string, error) {
	var st string
	err := s.db.QueryRow(ctx, `SELECT state FROM `+k.docs+` WHERE code = ?`, code).Scan(&st)
	if noRows(err) {
		return "", apperr.New(k.notFound, "")
	}
	return st, err
}

// WorkingVersion returns the version of code that is being worked on, with its body, or a
// version_not_found error when there is none.
func (s *Service) WorkingVersion(ctx context.Context, kind Kind, code string) (*Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	v, err := scanVersion(s.db.QueryRow(ctx, `SELECT `+versionCols+` FROM `+k.versions+`
		WHERE code = ? AND status IN ('draft','submitted','approved','scheduled') ORDER BY version DESC LIMIT 1`, code), k, true)
	if noRows(err) {
		if _, err := s.docState(ctx, k, code); err != nil {
			return nil, err
		}
		return nil, apperr.Newf(apperr.VersionNotFound, "%s %s 当前没有正在编辑的版本。", k.label, code)
	}
	return v, err
}

// History returns every version of code, newest first, without bodies.
func (s *Service) History(ctx context.Context, kind Kind, code string) ([]Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	if _, err := s.docState(ctx, k, code); err != nil {
		return nil, err
	}
	return s.versions(ctx, k, `WHERE code = ? ORDER BY version DESC`, code)
}

func (s *Service) versions(ctx context.Context, k *docKind, where string, args ...any) ([]Version, error) {
	rows, err := s.db.Query(ctx, `SELECT `+versionCols+` FROM `+k.versions+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s versions: %w", k.kind, err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows, k, false)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// Queue names a work list of the console.
type Queue string

// The work lists.
const (
	QueueReview    Queue = "review"    // submitted, waiting for a reviewer
	QueuePublish   Queue = "publish"   // approved, waiting for a publisher
	QueueScheduled Queue = "scheduled" // waiting for their time
	QueueRetro     Queue = "retro"     // force-published, waiting for a retrospective review
)

// Queue returns the versions in one work list, oldest first.
func (s *Service) Queue(ctx context.Context, kind Kind, q Queue) ([]Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	switch q {
	case QueueReview:
		return s.versions(ctx, k, `WHERE status = 'submitted' ORDER BY submitted_at, code`)
	case QueuePublish:
		return s.versions(ctx, k, `WHERE status = 'approved' ORDER BY reviewed_at, code`)
	case QueueScheduled:
		return s.versions(ctx, k, `WHERE status = 'scheduled' ORDER BY scheduled_at, code`)
	case QueueRetro:
		return s.versions(ctx, k, `WHERE forced = 1 AND retro_reviewed_by = '' ORDER BY published_at, code`)
	}
	return nil, apperr.Newf(apperr.InvalidParameter, "未知的工作队列 %q，应为 review、publish、scheduled 或 retro。", string(q))
}

// Summary is one document in the console's list: its state online and its working version.
type Summary struct {
	Kind             Kind      `json:"kind"`
	Code             string    `json:"code"`
	Title            string    `json:"title"`
	State            string    `json:"state"` // draft (never published), published, unpublished, archived
	PublishedVersion int       `json:"published_version,omitempty"`
	LatestVersion    int       `json:"latest_version"`
	Working          *Version  `json:"working,omitempty"`
	UpdatedAt        time.Time `json:"updated_at"`
	StateReason      string    `json:"state_reason,omitempty"`
	Replacement      string    `json:"replacement,omitempty"`
}

// DocFilter selects documents for the console's list.
type DocFilter struct {
	// Status matches the document state (published, unpublished, archived) or the status of its
	// working version (draft, submitted, approved, scheduled); empty matches all but archived.
	Status string
	Q      string // case-insensitive substring of the code or title
}

// Documents lists documents of one kind with their working versions, sorted by code.
func (s *Service) Documents(ctx context.Context, kind Kind, f DocFilter) ([]Summary, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT d.code, d.state, COALESCE(d.published_version, 0), d.latest_version, d.updated_at,
		d.state_reason, d.replacement, COALESCE(p.body, '') FROM `+k.docs+` d
		LEFT JOIN `+k.versions+` p ON p.code = d.code AND p.version = d.published_version ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", k.docs, err)
	}
	var out []Summary
	for rows.Next() {
		var sm Summary
		var upd, pubBody string
		if err := rows.Scan(&sm.Code, &sm.State, &sm.PublishedVersion, &sm.LatestVersion, &upd, &sm.StateReason, &sm.Replacement, &pubBody); err != nil {
			rows.Close()
			return nil, err
		}
		sm.Kind, sm.UpdatedAt = kind, parseTime(upd)
		if pubBody != "" {
			sm.Title = k.title([]byte(pubBody))
		}
		out = append(out, sm)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	working, err := s.versions(ctx, k, `WHERE status IN ('draft','submitted','approved','scheduled')`)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*Version{}
	for i := range working {
		byCode[working[i].Code] = &working[i]
	}
	// Titles of documents never published come from their latest version.
	var missing []string
	for i := range out {
		sm := &out[i]
		sm.Working = byCode[sm.Code]
		if sm.Working != nil && sm.Working.Title != "" {
			sm.Title = sm.Working.Title
		}
		if sm.Title == "" {
			missing = append(missing, sm.Code)
		}
	}
	for _, code := range missing {
		var body string
		if err := s.db.QueryRow(ctx, `SELECT v.body FROM `+k.versions+` v JOIN `+k.docs+` d ON d.code = v.code AND d.latest_version = v.version WHERE v.code = ?`, code).Scan(&body); err == nil {
			for i := range out {
				if out[i].Code == code {
					out[i].Title = k.title([]byte(body))
				}
			}
		}
	}
	q := strings.ToLower(strings.TrimSpace(f.Q))
	filtered := out[:0]
	for _, sm := range out {
		if !matchStatus(sm, f.Status) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(sm.Code), q) && !strings.Contains(strings.ToLower(sm.Title), q) {
			continue
		}
		filtered = append(filtered, sm)
	}
	sort.SliceStable(filtered, func(i, j int) bool { return filtered[i].Code < filtered[j].Code })
	return filtered, nil
}

func matchStatus(sm Summary, st string) bool {
	switch st {
	case "":
		return sm.State != "archived"
	case "all":
		return true
	case "draft", "submitted", "approved", "scheduled":
		return sm.Working != nil && string(sm.Working.Status) == st
	case "working":
		return sm.Working != nil
	}
	return sm.State == st
}

// ValidStatusFilter reports whether st is a value DocFilter.Status accepts.
func ValidStatusFilter(st string) bool {
	switch st {
	case "", "all", "working", "draft", "submitted", "approved", "scheduled", "published", "unpublished", "archived":
		return true
	}
	return false
}

// Document returns one document's summary, with the bodies of its working and published
// versions for the console's edit screen.
func (s *Service) Document(ctx context.Context, kind Kind, code string) (*Summary, *Version, error) {
	k, err := kindOf(kind)
	if err != nil {
		return nil, nil, err
	}
	sm := &Summary{Kind: kind, Code: code}
	var upd string
	err = s.db.QueryRow(ctx, `SELECT state, COALESCE(published_version, 0), latest_version, updated_at, state_reason, replacement FROM `+k.docs+` WHERE code = ?`, code).
		Scan(&sm.State, &sm.PublishedVersion, &sm.LatestVersion, &upd, &sm.StateReason, &sm.Replacement)
	if noRows(err) {
		return nil, nil, apperr.New(k.notFound, "")
	}
	if err != nil {
		return nil, nil, err
	}
	sm.UpdatedAt = parseTime(upd)
	if w, err := s.WorkingVersion(ctx, kind, code); err == nil {
		sm.Working, sm.Title = w, w.Title
	} else if !apperr.Is(err, apperr.VersionNotFound) {
		return nil, nil, err
	}
	var pub *Version
	if sm.PublishedVersion > 0 {
		if pub, err = s.GetVersion(ctx, kind, code, sm.PublishedVersion); err != nil {
			return nil, nil, err
		}
		if sm.Working == nil {
			sm.Title = pub.Title
		}
	}
	return sm, pub, nil
}

// checkGuideBody validates a stored guide and checks that the guides it relates to exist.
func checkGuideBody(ctx context.Context, tx *db.Tx, code string, body []byte) error {
	var g Guide
	if err := json.Unmarshal(body, &g); err != nil {
		return fmt.Errorf("guide %s: stored body: %w", code, err)
	}
	var ps []Problem
	if err := Validate(&g); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		ps = ve.Problems
	}
	for i, r := range g.Related {
		if !ValidCode(r) {
			continue // Validate reported it
		}
		var st string
		err := tx.QueryRow(ctx, `SELECT state FROM guides WHERE code = ?`, r).Scan(&st)
		if noRows(err) || (err == nil && st == "archived") {
			ps = append(ps, Problem{fmt.Sprintf("related[%d]", i), "相关事项", "事项 " + r + " 不存在或已归档"})
		} else if err != nil {
			return err
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return apperr.Wrap(apperr.GuideInvalid, fmt.Sprintf("办事指南校验未通过，共%d处问题：%s", len(ps), joinProblems(ps)),
		&ValidationError{Code: code, Problems: ps}).WithDetails(ps)
}
