package person

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shebao/internal/db"
)

// profileColumns are person_profiles' columns: the same in the first table and in its rebuild
// keyed by subject.
const profileColumns = `
	subject TEXT PRIMARY KEY,
	name TEXT NOT NULL DEFAULT '',
	id_cipher TEXT NOT NULL DEFAULT '',
	birth_month TEXT NOT NULL DEFAULT '',
	sex TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT '',
	city TEXT NOT NULL DEFAULT '',
	phone_cipher TEXT NOT NULL DEFAULT '',
	last_certified TEXT NOT NULL DEFAULT '',
	sources TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL
`

// Migrations are the person component's schema steps.
var Migrations = []db.Migration{
	{
		Name: "profiles, follows, secrets",
		SQL: `
CREATE TABLE person_profiles (` + profileColumns + `);
CREATE TABLE person_follows (
	subject TEXT NOT NULL,
	guide_code TEXT NOT NULL,
	seen_at BIGINT NOT NULL,
	PRIMARY KEY (subject, guide_code)
);
CREATE INDEX person_follows_guide ON person_follows (guide_code);
CREATE TABLE person_secrets (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
)`,
	},
	{
		// The home screen reads a profile and the follows by subject on every request. As rowid
		// tables each read was two B-tree searches (the primary-key index, then the row); keyed
		// by subject (WITHOUT ROWID) it is one, and a person's follows lie together. PostgreSQL
		// gets an index-only scan for the follows instead.
		Name: "profiles and follows keyed by subject",
		SQL: `
CREATE TABLE person_profiles_by_subject (` + profileColumns + `) WITHOUT ROWID;
INSERT INTO person_profiles_by_subject (subject, name, id_cipher, birth_month, sex, category, city, phone_cipher, last_certified, sources, updated_at)
	SELECT subject, name, id_cipher, birth_month, sex, category, city, phone_cipher, last_certified, sources, updated_at FROM person_profiles;
DROP TABLE person_profiles;
ALTER TABLE person_profiles_by_subject RENAME TO person_profiles;
CREATE TABLE person_follows_by_subject (
	subject TEXT NOT NULL,
	guide_code TEXT NOT NULL,
	seen_at BIGINT NOT NULL,
	PRIMARY KEY (subject, guide_code)
) WITHOUT ROWID;
INSERT INTO person_follows_by_subject (subject, guide_code, seen_at) SELECT subject, guide_code, seen_at FROM person_follows;
DROP TABLE person_follows;
ALTER TABLE person_follows_by_subject RENAME TO person_follows;
CREATE INDEX person_follows_guide ON person_follows (guide_code)`,
		PostgresSQL: `CREATE INDEX person_follows_subject ON person_follows (subject, guide_code) INCLUDE (seen_at)`,
	},
	{
		// Reminder campaigns select people by these facts (notify kept its own copy until now;
		// its migration moves that here).
		Name: "城乡居民医保 facts for campaigns",
		SQL: `
ALTER TABLE person_profiles ADD COLUMN resident_insured INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_profiles ADD COLUMN resident_paid_through INTEGER NOT NULL DEFAULT 0`,
	},
}

// CampaignFacts are the facts about a person that reminder campaigns select by.
type CampaignFacts struct {
	Subject             string
	LastCertified       string // YYYY-MM-DD of the last 养老金领取资格认证; due a year later
	BirthMonth          string // YYYY-MM
	Category            string // retirement category: male, female50, female55
	ResidentInsured     bool   // insured under 城乡居民医保
	ResidentPaidThrough int    // the last year paid for
}

// Selection filters people by their campaign facts; zero fields do not filter.
type Selection struct {
	CertifiedFrom, CertifiedTo string // last certified within [from, to] (YYYY-MM-DD)
	ResidentUnpaidFor          int    // resident insured and not paid for this year
	RetirementFacts            bool   // birth month and retirement category known
}

func (sel Selection) where() (string, []any) {
	f, args := sel.filters()
	return "subject > ? AND " + f, args
}

// filters is sel as an SQL condition on person_profiles, with its arguments.
func (sel Selection) filters() (string, []any) {
	w, args := "1 = 1", []any(nil)
	if sel.CertifiedFrom != "" || sel.CertifiedTo != "" {
		w += " AND last_certified <> '' AND last_certified >= ? AND last_certified <= ?"
		args = append(args, sel.CertifiedFrom, sel.CertifiedTo)
	}
	if sel.ResidentUnpaidFor != 0 {
		w += " AND resident_insured = 1 AND resident_paid_through < ?"
		args = append(args, sel.ResidentUnpaidFor)
	}
	if sel.RetirementFacts {
		w += " AND birth_month <> '' AND category <> ''"
	}
	return w, args
}

// SelectPeople returns up to limit people matching sel whose subject sorts after after, in
// ascending order of subject (a campaign's cursor is the last subject it reached). It walks the
// primary key in windows of limit profiles and filters each window, so that the plan is an index
// range scan whatever the planner knows: the filtered ORDER BY subject LIMIT it replaces was, on
// PostgreSQL without statistics (autovacuum off, or profiles loaded since the last ANALYZE), a
// full scan and sort of person_profiles per call — O(n²) over a campaign of a million.
func (s *Store) SelectPeople(ctx context.Context, sel Selection, after string, limit int) ([]CampaignFacts, error) {
	f, args := sel.filters()
	var out []CampaignFacts
	for len(out) < limit {
		rows, err := s.db.Query(ctx, selectPeopleSQL(f), append(args, after, limit)...)
		if err != nil {
			return nil, fmt.Errorf("person: select people: %w", err)
		}
		scanned := 0
		for rows.Next() {
			var f CampaignFacts
			var insured, match int
			if err := rows.Scan(&f.Subject, &f.LastCertified, &f.BirthMonth, &f.Category, &insured, &f.ResidentPaidThrough, &match); err != nil {
				rows.Close()
				return nil, fmt.Errorf("person: select people: %w", err)
			}
			scanned++
			after, f.ResidentInsured = f.Subject, insured != 0
			if match == 1 && len(out) < limit {
				out = append(out, f)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("person: select people: %w", err)
		}
		if scanned < limit {
			break // the end of the profiles
		}
	}
	return out, nil
}

// selectPeopleSQL is SelectPeople's query for the filters f (Selection.filters): a window of the
// profiles after a subject, each with 1 when it matches.
func selectPeopleSQL(f string) string {
	return `SELECT subject, last_certified, birth_month, category, resident_insured, resident_paid_through,
			CASE WHEN ` + f + ` THEN 1 ELSE 0 END
		FROM (SELECT subject, last_certified, birth_month, category, resident_insured, resident_paid_through
			FROM person_profiles WHERE subject > ? ORDER BY subject LIMIT ?) w ORDER BY subject`
}

// CountPeople is how many people match sel.
func (s *Store) CountPeople(ctx context.Context, sel Selection) (int, error) {
	w, args := sel.where()
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM person_profiles WHERE `+w, append([]any{""}, args...)...).Scan(&n)
	return n, err
}

// PutCampaignFacts records campaign facts (from the 经办 system's feed), creating profiles that
// do not exist yet and leaving their other fields alone.
func (s *Store) PutCampaignFacts(ctx context.Context, fs ...CampaignFacts) error {
	now := s.now().UnixMicro()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, f := range fs {
			insured := 0
			if f.ResidentInsured {
				insured = 1
			}
			if _, err := tx.Exec(ctx, `INSERT INTO person_profiles (subject, last_certified, birth_month, category, resident_insured, resident_paid_through, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject) DO UPDATE SET last_certified = excluded.last_certified,
				birth_month = excluded.birth_month, category = excluded.category, resident_insured = excluded.resident_insured,
				resident_paid_through = excluded.resident_paid_through, updated_at = excluded.updated_at`,
				f.Subject, f.LastCertified, f.BirthMonth, f.Category, insured, f.ResidentPaidThrough, now); err != nil {
				return fmt.Errorf("person: campaign facts: %w", err)
			}
		}
		return nil
	})
}

// Phone returns the person's clear mobile number ("" when none is known), opened only for the
// SMS channel's send.
func (s *Store) Phone(ctx context.Context, subject string) (string, error) {
	var c string
	err := s.db.QueryRowPrepared(ctx, `SELECT phone_cipher FROM person_profiles WHERE subject = ?`, subject).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("person: phone: %w", err)
	}
	return s.sealer.OpenString(c)
}

// Follow is one guide a person follows, and when they last looked at it.
type Follow struct {
	GuideCode string    `json:"guide_code"`
	SeenAt    time.Time `json:"seen_at"`
}

// Follow records that subject follows guide code, or — when they already do — that they have
// looked at it now (its changes until now are seen).
func (s *Store) Follow(ctx context.Context, subject, code string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO person_follows (subject, guide_code, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (subject, guide_code) DO UPDATE SET seen_at = excluded.seen_at`, subject, code, s.now().UnixMicro())
	if err != nil {
		return fmt.Errorf("person: follow: %w", err)
	}
	return nil
}

// Unfollow stops subject following code; it reports whether they did.
func (s *Store) Unfollow(ctx context.Context, subject, code string) (bool, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM person_follows WHERE subject = ? AND guide_code = ?`, subject, code)
	if err != nil {
		return false, fmt.Errorf("person: unfollow: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Follows lists the guides subject follows, by code.
func (s *Store) Follows(ctx context.Context, subject string) ([]Follow, error) {
	rows, err := s.db.QueryPrepared(ctx, `SELECT guide_code, seen_at FROM person_follows WHERE subject = ? ORDER BY guide_code LIMIT 200`, subject)
	if err != nil {
		return nil, fmt.Errorf("person: follows: %w", err)
	}
	return db.AppendRows([]Follow{}, rows, func(r db.Scanner, f *Follow) error {
		var at int64
		err := r.Scan(&f.GuideCode, &at)
		f.SeenAt = time.UnixMicro(at).UTC()
		return err
	})
}

// Followers lists the subjects who follow guide code (for guide-change alerts).
func (s *Store) Followers(ctx context.Context, guideCode string) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT subject FROM person_follows WHERE guide_code = ? ORDER BY subject`, guideCode)
	if err != nil {
		return nil, fmt.Errorf("person: followers: %w", err)
	}
	return db.Column[string](rows)
}
