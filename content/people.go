package content

import (
	"context"
	"database/sql"
	"fmt"
	"unicode/utf8"

	"shebao/internal/db"
)

// People: the audit log and the versions name people by their stable subject (工号); the console
// shows their display names. A token carries the name, so the store remembers the latest name of
// everyone who has acted, in the same transaction as the audit record that names them.

// PeopleMigrations are the schema of the people directory, versioned on its own so that it does
// not interleave with the workflow's migrations.
var PeopleMigrations = []db.Migration{{
	Name: "people: display names of the subjects in the audit log",
	SQL: `
CREATE TABLE people (
	subject TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	seen_at TEXT NOT NULL
)`,
}}

// Person is a subject that has acted, with the display name from their latest token.
type Person struct {
	Subject string `json:"subject"`
	Name    string `json:"name"`
}

// maxNameRunes bounds a stored display name.
const maxNameRunes = 64

type execer interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// rememberPerson records a's display name; an actor without one changes nothing.
func rememberPerson(ctx context.Context, x execer, a Actor, at string) error {
	name := a.Name
	if a.ID == "" || name == "" {
		return nil
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = string([]rune(name)[:maxNameRunes])
	}
	_, err := x.Exec(ctx, `INSERT INTO people (subject, name, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at`, a.ID, name, at)
	return err
}

// People returns every subject that has acted with a display name, sorted by subject.
func (s *Service) People(ctx context.Context) ([]Person, error) {
	rows, err := s.db.Query(ctx, `SELECT subject, name FROM people ORDER BY subject`)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return db.AppendRows([]Person{}, rows, func(r db.Scanner, p *Person) error {
		return r.Scan(&p.Subject, &p.Name)
	})
}
