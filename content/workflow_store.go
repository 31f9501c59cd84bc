package content

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// The version store: every SQL statement of the editorial workflow. Guides and forms share two
// tables, documents and document_versions, keyed by (kind, code[, version]); the workflow rules
// themselves are in workflow.go.

// querier is what reads go through: the database, or a transaction when the read must see (and,
// on PostgreSQL, lock) what the transaction is about to change.
type querier interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

const versionCols = `code, version, status, body, major, change_note, revision, based_on, created_by, created_at,
	edited_by, edited_at, submitted_by, submitted_at, reviewed_by, reviewed_at, review_comment, published_by,
	published_at, scheduled_at, scheduled_by, forced, force_reason, retro_reviewed_by`

// workingSQL is the SQL list of workingStatuses.
const workingSQL = `('draft','submitted','approved','scheduled')`

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
		v.Body = []byte(body)
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

// ---- documents ----

func loadDoc(ctx context.Context, tx *db.Tx, k *docKind, code string) (docRow, error) {
	var r docRow
	var pub *int64
	err := tx.QueryRow(ctx, `SELECT state, published_version, latest_version FROM documents WHERE kind = ? AND code = ?`+forUpdate(tx), string(k.kind), code).
		Scan(&r.State, &pub, &r.Latest)
	if noRows(err) {
		return r, apperr.New(k.notFound, "")
	}
	if pub != nil {
		r.Published = int(*pub)
	}
	return r, err
}

// docState returns the state of a document, or k's not-found error.
func docState(ctx context.Context, q querier, k *docKind, code string) (string, error) {
	st, found, err := stateOf(ctx, q, k.kind, code)
	if err == nil && !found {
		return "", apperr.New(k.notFound, "")
	}
	return st, err
}

// stateOf returns the state of a document and whether it exists.
func stateOf(ctx context.Context, q querier, kind Kind, code string) (string, bool, error) {
	var st string
	err := q.QueryRow(ctx, `SELECT state FROM documents WHERE kind = ? AND code = ?`, string(kind), code).Scan(&st)
	if noRows(err) {
		return "", false, nil
	}
	return st, err == nil, err
}

// insertDoc adds a document that has never been published, with latest as its latest version.
func insertDoc(ctx context.Context, tx *db.Tx, k *docKind, code string, latest int, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO documents (kind, code, state, latest_version, created_at, updated_at) VALUES (?, ?, 'draft', ?, ?, ?)`,
		string(k.kind), code, latest, fmtTime(now), fmtTime(now))
	return err
}

func setLatest(ctx context.Context, tx *db.Tx, k *docKind, code string, version int, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE documents SET latest_version = ?, updated_at = ? WHERE kind = ? AND code = ?`, version, fmtTime(now), string(k.kind), code)
	return err
}

// ---- versions ----

func loadVersion(ctx context.Context, tx *db.Tx, k *docKind, code string, version int) (*Version, error) {
	v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionCols+` FROM document_versions WHERE kind = ? AND code = ? AND version = ?`+forUpdate(tx),
		string(k.kind), code, version), k, true)
	if noRows(err) {
		return nil, apperr.Newf(apperr.VersionNotFound, "%s %s 没有第%d版。", k.label, code, version)
	}
	return v, err
}

// workingVersion returns the number of the working version of code, or 0 when there is none.
func workingVersion(ctx context.Context, q querier, k *docKind, code string) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT version FROM document_versions WHERE kind = ? AND code = ? AND status IN `+workingSQL+` ORDER BY version DESC LIMIT 1`,
		string(k.kind), code).Scan(&v)
	if noRows(err) {
		return 0, nil
	}
	return v, err
}

// versionBody returns the body of one version, or "" when there is no such version.
func versionBody(ctx context.Context, q querier, k *docKind, code string, version int) (string, error) {
	var body string
	err := q.QueryRow(ctx, `SELECT body FROM document_versions WHERE kind = ? AND code = ? AND version = ?`, string(k.kind), code, version).Scan(&body)
	if noRows(err) {
		return "", nil
	}
	return body, err
}

// newVersion is a version about to be written.
type newVersion struct {
	code    string
	version int
	status  Status
	body    []byte
	note    string
	basedOn int
	by      string
}

func insertVersion(ctx context.Context, tx *db.Tx, k *docKind, nv newVersion, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO document_versions (kind, code, version, status, body, major, change_note, based_on, created_by, created_at, edited_by, edited_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`, string(k.kind), nv.code, nv.version, string(nv.status), string(nv.body), nv.note, nv.basedOn,
		nv.by, fmtTime(now), nv.by, fmtTime(now))
	return err
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

// saveBody writes a new revision of v's body if nobody saved since revision.
func saveBody(ctx context.Context, tx *db.Tx, k *docKind, v *Version, e Edit, body []byte, by string, now time.Time) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE document_versions SET body = ?, major = ?, change_note = ?, revision = revision + 1, edited_by = ?, edited_at = ?
		WHERE kind = ? AND code = ? AND version = ? AND revision = ?`, string(body), boolInt(e.Major), e.ChangeNote, by, fmtTime(now),
		string(k.kind), v.Code, v.Version, e.Revision)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// stamps are the columns each transition records beside the new status: who did it, when, and
// what they wrote.
func stamps(action string, a Actor, text string, at, now time.Time) (set string, args []any) {
	switch action {
	case "submit":
		return "submitted_by = ?, submitted_at = ?", []any{a.ID, fmtTime(now)}
	case "approve", "send_back":
		return "reviewed_by = ?, reviewed_at = ?, review_comment = ?", []any{a.ID, fmtTime(now), text}
	case "schedule":
		return "scheduled_at = ?, scheduled_by = ?", []any{fmtTime(at), a.ID}
	case "unschedule":
		return "scheduled_at = '', scheduled_by = ''", nil
	case "force_publish":
		return "forced = 1, force_reason = ?, scheduled_at = '', scheduled_by = ''", []any{text}
	case "retro_review":
		return "retro_reviewed_by = ?", []any{a.ID}
	}
	return "", nil
}

// setStatus moves v from its status to st (st == v.Status keeps it), also setting the columns of
// set with args. It fails when someone changed the status in between.
func setStatus(ctx context.Context, tx *db.Tx, k *docKind, v *Version, st Status, set string, args ...any) error {
	q := `UPDATE document_versions SET status = ?`
	if set != "" {
		q += ", " + set
	}
	q += ` WHERE kind = ? AND code = ? AND version = ? AND status = ?`
	all := append([]any{string(st)}, args...)
	all = append(all, string(k.kind), v.Code, v.Version, string(v.Status))
	res, err := tx.Exec(ctx, q, all...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Newf(apperr.InvalidTransition, "%s %s 第%d版的状态刚刚被他人改变，请刷新。", k.label, v.Code, v.Version)
	}
	return nil
}

// publishTx makes version (whose body is body) the published version of code, inside tx: the previous published
// version is superseded, public_updated_at moves on a major change, and the kind's published
// event is queued in the same transaction.
func publishTx(ctx context.Context, tx *db.Tx, k *docKind, now time.Time, a Actor, code string, version int, body []byte, major bool, note string) error {
	kind := string(k.kind)
	if _, err := tx.Exec(ctx, `UPDATE document_versions SET status = 'superseded' WHERE kind = ? AND code = ? AND status = 'published' AND version <> ?`,
		kind, code, version); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE document_versions SET status = 'published', published_by = ?, published_at = ?, major = ?, change_note = ?
		WHERE kind = ? AND code = ? AND version = ?`, a.ID, fmtTime(now), boolInt(major), note, kind, code, version); err != nil {
		return err
	}
	set := `state = 'published', published_version = ?, replacement = '', state_reason = '', updated_at = ?`
	args := []any{version, fmtTime(now)}
	if major {
		set += `, public_updated_at = ?`
		args = append(args, fmtTime(now))
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET `+set+` WHERE kind = ? AND code = ?`, append(args, kind, code)...); err != nil {
		return err
	}
	return enqueue(ctx, tx, now, k.publishedTopic, code, k.published(code, version, major, note, body))
}

// unpublishTx records that code is offline, with the reason and replacement.
func unpublishTx(ctx context.Context, tx *db.Tx, k *docKind, code, reason, replacement string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE documents SET state = 'unpublished', state_reason = ?, replacement = ?, updated_at = ? WHERE kind = ? AND code = ?`,
		reason, replacement, fmtTime(now), string(k.kind), code)
	return err
}

// archiveTx archives a document and its working version, if any.
func archiveTx(ctx context.Context, tx *db.Tx, k *docKind, code string, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE document_versions SET status = 'archived' WHERE kind = ? AND code = ? AND status IN `+workingSQL, string(k.kind), code); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE documents SET state = 'archived', updated_at = ? WHERE kind = ? AND code = ?`, fmtTime(now), string(k.kind), code)
	return err
}

// ---- scheduling ----

// claimDue marks a due version published, reporting false when another caller claimed it first
// or it was unscheduled.
func claimDue(ctx context.Context, tx *db.Tx, k *docKind, code string, version int, now time.Time) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE document_versions SET status = 'published' WHERE kind = ? AND code = ? AND version = ? AND status = 'scheduled' AND scheduled_at <= ?`,
		string(k.kind), code, version, fmtTime(now))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// unschedule returns a version that could not be published on time to approved.
func unschedule(ctx context.Context, tx *db.Tx, k *docKind, code string, version int) error {
	_, err := tx.Exec(ctx, `UPDATE document_versions SET status = 'approved', scheduled_at = '', scheduled_by = '' WHERE kind = ? AND code = ? AND version = ?`,
		string(k.kind), code, version)
	return err
}

// ---- reading, for the console ----

// getVersion returns one version with its body, or nil when there is none.
func getVersion(ctx context.Context, q querier, k *docKind, code string, version int) (*Version, error) {
	v, err := scanVersion(q.QueryRow(ctx, `SELECT `+versionCols+` FROM document_versions WHERE kind = ? AND code = ? AND version = ?`,
		string(k.kind), code, version), k, true)
	if noRows(err) {
		return nil, nil
	}
	return v, err
}

// getWorking returns the working version of code with its body, or nil when there is none.
func getWorking(ctx context.Context, q querier, k *docKind, code string) (*Version, error) {
	v, err := scanVersion(q.QueryRow(ctx, `SELECT `+versionCols+` FROM document_versions WHERE kind = ? AND code = ? AND status IN `+workingSQL+`
		ORDER BY version DESC LIMIT 1`, string(k.kind), code), k, true)
	if noRows(err) {
		return nil, nil
	}
	return v, err
}

// queueWhere selects each work list.
var queueWhere = map[Queue]string{
	QueueReview:    `status = 'submitted' ORDER BY submitted_at, code`,
	QueuePublish:   `status = 'approved' ORDER BY reviewed_at, code`,
	QueueScheduled: `status = 'scheduled' ORDER BY scheduled_at, code`,
	QueueRetro:     `forced = 1 AND retro_reviewed_by = '' ORDER BY published_at, code`,
	queueHistory:   `code = ? ORDER BY version DESC`,
	queueWorking:   `status IN ` + workingSQL,
}

// listVersions returns the versions of one kind in list (without bodies).
func listVersions(ctx context.Context, q querier, k *docKind, list Queue, args ...any) ([]Version, error) {
	rows, err := q.Query(ctx, `SELECT `+versionCols+` FROM document_versions WHERE kind = ? AND `+queueWhere[list], append([]any{string(k.kind)}, args...)...)
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

// summaries lists the documents of one kind, each with the title of its published version.
func summaries(ctx context.Context, q querier, k *docKind) ([]Summary, error) {
	rows, err := q.Query(ctx, `SELECT d.code, d.state, COALESCE(d.published_version, 0), d.latest_version, d.updated_at,
		d.state_reason, d.replacement, COALESCE(p.body, '') FROM documents d
		LEFT JOIN document_versions p ON p.kind = d.kind AND p.code = d.code AND p.version = d.published_version
		WHERE d.kind = ? ORDER BY d.code`, string(k.kind))
	if err != nil {
		return nil, fmt.Errorf("list %s documents: %w", k.kind, err)
	}
	return db.AppendRows(nil, rows, func(r db.Scanner, sm *Summary) error {
		var upd, pubBody string
		if err := r.Scan(&sm.Code, &sm.State, &sm.PublishedVersion, &sm.LatestVersion, &upd, &sm.StateReason, &sm.Replacement, &pubBody); err != nil {
			return err
		}
		sm.Kind, sm.UpdatedAt = k.kind, parseTime(upd)
		if pubBody != "" {
			sm.Title = k.title([]byte(pubBody))
		}
		return nil
	})
}

// summary returns one document's record, without its versions.
func summary(ctx context.Context, q querier, k *docKind, code string) (*Summary, error) {
	sm := &Summary{Kind: k.kind, Code: code}
	var upd string
	err := q.QueryRow(ctx, `SELECT state, COALESCE(published_version, 0), latest_version, updated_at, state_reason, replacement FROM documents WHERE kind = ? AND code = ?`,
		string(k.kind), code).Scan(&sm.State, &sm.PublishedVersion, &sm.LatestVersion, &upd, &sm.StateReason, &sm.Replacement)
	if noRows(err) {
		return nil, apperr.New(k.notFound, "")
	}
	sm.UpdatedAt = parseTime(upd)
	return sm, err
}

// ---- importing ----

// importUnchanged reports whether importing body would change nothing: a draft import matches the
// latest version, a publishing import the version online. A draft that merely holds the same text
// is not online, so a publishing import goes on (and meets the open draft) instead of reporting
// the document unchanged.
func importUnchanged(ctx context.Context, tx *db.Tx, k *docKind, d docRow, code string, body []byte, publish bool) (bool, error) {
	against := d.Latest
	if publish {
		if d.State != "published" {
			return false, nil
		}
		against = d.Published
	}
	if against == 0 {
		return false, nil
	}
	cur, err := versionBody(ctx, tx, k, code, against)
	return err == nil && cur == string(body), err
}

// codes returns every code of one kind.
func codes(ctx context.Context, q querier, k *docKind) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT code FROM documents WHERE kind = ?`, string(k.kind))
	if err != nil {
		return nil, fmt.Errorf("list %s codes: %w", k.kind, err)
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		m[c] = true
	}
	return m, rows.Err()
}

// publishedBodies returns the bodies of the published versions of one kind, by code.
func publishedBodies(ctx context.Context, q querier, k *docKind) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT v.body FROM documents d JOIN document_versions v ON v.kind = d.kind AND v.code = d.code AND v.version = d.published_version
		WHERE d.kind = ? AND d.state = 'published' ORDER BY d.code`, string(k.kind))
	if err != nil {
		return nil, err
	}
	return db.Column[string](rows)
}

// scheduledVersion is one version waiting for its scheduled publication.
type scheduledVersion struct {
	code    string
	version int
	at      time.Time
}

// scheduledVersions lists every scheduled version of kind k, due or not.
func scheduledVersions(ctx context.Context, q querier, k *docKind) ([]scheduledVersion, error) {
	rows, err := q.Query(ctx, `SELECT code, version, scheduled_at FROM document_versions WHERE kind = ? AND status = 'scheduled' ORDER BY scheduled_at, code`, string(k.kind))
	if err != nil {
		return nil, fmt.Errorf("scheduled %s versions: %w", k.kind, err)
	}
	return db.AppendRows(nil, rows, func(r db.Scanner, x *scheduledVersion) error {
		var at string
		err := r.Scan(&x.code, &x.version, &at)
		x.at = parseTime(at)
		return err
	})
}
