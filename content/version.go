package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"shebao/internal/beijing"
	"strconv"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
)

// Kind names what a workflow action is about. Guides and forms share the workflow and the version
// store; only validation and events differ.
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
func (st Status) Working() bool { return st.in(workingStatuses) }

func (st Status) in(list []Status) bool {
	for _, w := range list {
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

// docKind holds what differs between guides and forms: names, error kinds, validation and events.
type docKind struct {
	kind     Kind
	label    string // 办事指南 / 表单
	notFound apperr.Kind
	exists   apperr.Kind
	// check validates a version's body before it is submitted, approved, scheduled or published,
	// returning an *apperr.Error (422) whose details list every problem.
	check func(ctx context.Context, tx *db.Tx, code string, body []byte) error
	// published is the event a publish of body queues.
	published        func(code string, version int, major bool, note string, body []byte) any
	publishedTopic   string
	unpublishedTopic string
	title            func(body []byte) string
}

var guideKind = &docKind{
	kind: KindGuide, label: "办事指南", notFound: apperr.GuideNotFound, exists: apperr.GuideExists, check: checkGuideBody,
	publishedTopic: event.GuidePublished, unpublishedTopic: event.GuideUnpublished,
	published: func(code string, version int, major bool, note string, _ []byte) any {
		return GuideEvent{Code: code, Version: version, Major: major, ChangeNote: note}
	},
	title: func(body []byte) string {
		var g struct{ Name string }
		_ = json.Unmarshal(body, &g)
		return g.Name
	},
}

var formKind = &docKind{
	kind: KindForm, label: "表单", notFound: apperr.FormNotFound, exists: apperr.FormExists, check: checkFormBody,
	publishedTopic: event.FormPublished, unpublishedTopic: event.FormUnpublished,
	published: func(code string, version int, major bool, note string, body []byte) any {
		var f struct{ Guide string }
		_ = json.Unmarshal(body, &f)
		return FormEvent{Code: code, Version: version, Guide: f.Guide, Major: major, ChangeNote: note}
	},
	title: func(body []byte) string {
		var f struct{ Title string }
		_ = json.Unmarshal(body, &f)
		return f.Title
	},
}

var docKinds = []*docKind{guideKind, formKind}

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
		if ok, err := liveGuide(ctx, tx, r); err != nil {
			return err
		} else if !ok {
			ps = append(ps, Problem{fmt.Sprintf("related[%d]", i), "相关事项", "事项 " + r + " 不存在或已归档"})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return apperr.Wrap(apperr.GuideInvalid, fmt.Sprintf("办事指南校验未通过，共%d处问题：%s", len(ps), joinProblems(ps)),
		&ValidationError{Code: code, Problems: ps}).WithDetails(ps)
}

// liveGuide reports whether a guide with code exists and is not archived (for references).
func liveGuide(ctx context.Context, tx *db.Tx, code string) (bool, error) {
	st, found, err := stateOf(ctx, tx, KindGuide, code)
	return found && st != "archived", err
}

func kindOf(k Kind) (*docKind, error) {
	for _, dk := range docKinds {
		if dk.kind == k {
			return dk, nil
		}
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

// docRow is the document-level record of a guide or form.
type docRow struct {
	State     string // draft (never published), published, unpublished, archived
	Published int    // 0 when never published
	Latest    int
}

// Edit is one save of a working version. Revision is the revision the editor started from
// (optimistic locking): when someone saved in between, the save fails with edit_conflict.
type Edit struct {
	Version    int
	Revision   int
	Major      bool   // a major change moves public_updated_at and needs a change note
	ChangeNote string // what changed, for the public and for followers
}

// humanTime writes t for the people reading the messages, in Beijing time.
func humanTime(t time.Time) string { return beijing.DateTime(t) }
