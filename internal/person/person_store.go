package person

import (
	"context"
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
