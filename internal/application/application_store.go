package application

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// Migrations are the application component's schema steps.
var Migrations = []db.Migration{
	{
		Name: "applications, their steps, the upstream inbox, the simulator's cases",
		SQL: `
CREATE TABLE applications (
	id TEXT PRIMARY KEY,
	person TEXT NOT NULL,
	form_code TEXT NOT NULL,
	form_version INTEGER NOT NULL,
	guide_code TEXT NOT NULL,
	guide_name TEXT NOT NULL,
	title TEXT NOT NULL,
	status TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	office TEXT NOT NULL DEFAULT '',
	values_cipher TEXT NOT NULL,
	last_seq INTEGER NOT NULL,
	upstream_seq INTEGER NOT NULL DEFAULT 0,
	sent_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX applications_person ON applications (person, created_at);
CREATE INDEX applications_guide ON applications (guide_code);
CREATE TABLE application_steps (
	application_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	status TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	office TEXT NOT NULL DEFAULT '',
	at BIGINT NOT NULL,
	PRIMARY KEY (application_id, seq)
);
CREATE TABLE application_inbox (
	event_id TEXT PRIMARY KEY,
	application_id TEXT NOT NULL,
	useq INTEGER NOT NULL,
	status TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	office TEXT NOT NULL DEFAULT '',
	at BIGINT NOT NULL,
	applied INTEGER NOT NULL DEFAULT 0,
	received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX application_inbox_seq ON application_inbox (application_id, useq);
CREATE TABLE upstream_sim_cases (
	id TEXT PRIMARY KEY,
	guide_code TEXT NOT NULL,
	form_code TEXT NOT NULL,
	next_seq INTEGER NOT NULL,
	waiting INTEGER NOT NULL DEFAULT 0,
	supplements INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
)`,
	},
	{
		// The home screen asks every time for the person's unfinished applications: with this
		// index it reads those rows only, not every application the person ever made.
		Name: "index of unfinished applications",
		SQL:  `CREATE INDEX applications_open ON applications (person, created_at) WHERE ` + unfinished,
	},
	{
		// The same rows, in the list's order and with every column the list returns: the home
		// screen's query reads this index alone, without a table lookup per application (a random
		// page read each, a third of the home request on 1M applications) or a sort.
		Name: "covering index of unfinished applications",
		SQL: `DROP INDEX applications_open;
CREATE INDEX applications_open_list ON applications (person, created_at DESC, id DESC, ` + listColumns + `) WHERE ` + unfinished,
	},
}

// unfinished is the condition of an application still in progress, written once so that the
// partial index and the query that uses it say exactly the same thing (SQLite requires it).
const unfinished = `status NOT IN ('completed', 'rejected', 'benefit_paid')`

const appColumns = `id, person, form_code, form_version, guide_code, guide_name, title, status, detail, office, last_seq, sent_at, created_at, updated_at`

// listColumns are the columns of appColumns not already leading applications_open_list.
const listColumns = `form_code, form_version, guide_code, guide_name, title, status, detail, office, last_seq, sent_at, updated_at`

func scanApp(sc interface{ Scan(...any) error }) (Application, error) {
	var a Application
	var sent, created, updated int64
	err := sc.Scan(&a.ID, &a.Person, &a.FormCode, &a.FormVersion, &a.GuideCode, &a.GuideName, &a.Title, &a.Status, &a.Detail, &a.Office,
		&a.lastSeq, &sent, &created, &updated)
	if err != nil {
		return a, err
	}
	a.CreatedAt, a.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	if sent > 0 {
		t := time.UnixMicro(sent).UTC()
		a.SentAt = &t
	}
	a.decorate()
	return a, nil
}

// get reads one application of person; anything else (another person's, unknown) is the one
// application_not_found.
func (s *Service) get(ctx context.Context, person, id string) (Application, error) {
	if !validID(id) {
		return Application{}, apperr.New(apperr.ApplicationNotFound, "")
	}
	a, err := scanApp(s.db.QueryRowPrepared(ctx, `SELECT `+appColumns+` FROM applications WHERE id = ? AND person = ?`, id, person))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.New(apperr.ApplicationNotFound, "")
	}
	if err != nil {
		return a, fmt.Errorf("application: get: %w", err)
	}
	return a, nil
}

func (s *Service) steps(ctx context.Context, id string) ([]Step, error) {
	rows, err := s.db.QueryPrepared(ctx, `SELECT seq, status, detail, office, at FROM application_steps WHERE application_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("application: steps: %w", err)
	}
	return db.AppendRows(nil, rows, func(r db.Scanner, st *Step) error {
		var at int64
		err := r.Scan(&st.Seq, &st.Status, &st.Detail, &st.Office, &at)
		st.At, st.StatusText = time.UnixMicro(at).UTC(), StatusText(st.Status)
		return err
	})
}

// ListFilter selects a person's applications.
type ListFilter struct {
	Status     string // one status, or "" for all
	InProgress bool   // only those not finished
	Limit      int    // default 20, at most 100
	Before     string // cursor: created_at,id of the last item of the previous page
}

// List returns person's applications, newest first, and the cursor of the next page ("" at the end).
func (s *Service) List(ctx context.Context, person string, f ListFilter) ([]Application, string, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 20
	}
	q := `SELECT ` + appColumns + ` FROM applications WHERE person = ?`
	args := []any{person}
	if f.Status != "" {
		if StatusText(f.Status) == "" {
			return nil, "", apperr.New(apperr.InvalidParameter, "status 不正确。")
		}
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.InProgress {
		q += ` AND ` + unfinished
	}
	if f.Before != "" {
		at, id, ok := parseCursor(f.Before)
		if !ok {
			return nil, "", apperr.New(apperr.InvalidCursor, "")
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, at, at, id)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	// q is one of a few constant texts (filters on or off), so it is prepared once each.
	rows, err := s.db.QueryPrepared(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("application: list: %w", err)
	}
	out, err := db.AppendRows([]Application{}, rows, func(r db.Scanner, a *Application) (err error) {
		*a, err = scanApp(r)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = fmt.Sprintf("%d.%s", last.CreatedAt.UnixMicro(), last.ID)
	}
	return out, next, nil
}

func parseCursor(c string) (int64, string, bool) {
	at, id, ok := strings.Cut(c, ".")
	if !ok || !validID(id) {
		return 0, "", false
	}
	var n int64
	if _, err := fmt.Sscan(at, &n); err != nil {
		return 0, "", false
	}
	return n, id, true
}

// insertStep appends one step to an application's timeline inside tx and moves its status.
func insertStep(ctx context.Context, tx *db.Tx, id string, st Step) error {
	if _, err := tx.ExecPrepared(ctx, `INSERT INTO application_steps (application_id, seq, status, detail, office, at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, st.Seq, st.Status, st.Detail, st.Office, st.At.UnixMicro()); err != nil {
		return fmt.Errorf("application: insert step: %w", err)
	}
	return nil
}
