package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Migration is one schema step. SQL runs on both dialects unless PostgresSQL is set, in which case
// SQL runs on SQLite and PostgresSQL on PostgreSQL. On PostgreSQL, SQLite's
// "INTEGER PRIMARY KEY AUTOINCREMENT" becomes "BIGSERIAL PRIMARY KEY", so the common case needs no
// second text. Statements are separated by ';' at line end.
type Migration struct {
	Name        string
	SQL         string
	PostgresSQL string
}

// Migrate brings component (e.g. "content", "search") to the last of its migrations, each step in
// its own transaction, recording the version in schema_version. Components version independently
// so that each package owns its tables.
func (d *DB) Migrate(ctx context.Context, component string, ms []Migration) error {
	if _, err := d.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	cur, err := d.SchemaVersion(ctx, component)
	if err != nil {
		return err
	}
	for i := cur; i < len(ms); i++ {
		m := ms[i]
		q := m.SQL
		if d.Dialect == Postgres {
			q = strings.ReplaceAll(q, "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
			if m.PostgresSQL != "" {
				q = m.PostgresSQL
			}
		}
		err := d.InTx(ctx, func(tx *Tx) error {
			for _, stmt := range splitStatements(q) {
				if _, err := tx.Tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w", firstLineOf(stmt), err)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_version (component, version) VALUES (?, ?)
				ON CONFLICT (component) DO UPDATE SET version = excluded.version`, component, i+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s #%d (%s): %w", component, i+1, m.Name, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied version of component (0 if none).
func (d *DB) SchemaVersion(ctx context.Context, component string) (int, error) {
	var v int
	err := d.QueryRow(ctx, `SELECT version FROM schema_version WHERE component = ?`, component).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read schema version of %s: %w", component, err)
	}
	return v, nil
}

// UpToDate reports whether component is at the last of ms (for /readyz).
func (d *DB) UpToDate(ctx context.Context, component string, ms []Migration) (bool, error) {
	v, err := d.SchemaVersion(ctx, component)
	return v == len(ms), err
}

func splitStatements(q string) []string {
	var out []string
	start := 0
	for i := 0; i < len(q); i++ {
		if q[i] == ';' && (i+1 == len(q) || q[i+1] == '\n') {
			if s := trimSpace(q[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := trimSpace(q[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\n' || s[j-1] == '\t' || s[j-1] == '\r') {
		j--
	}
	return s[i:j]
}

func firstLineOf(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// WithLock runs fn while holding the PostgreSQL session advisory lock key, so that replicas
// started at once on an empty database migrate and seed one after the other: the first does
// the work, the others find it done. On SQLite (one process owns the file) fn just runs.
func (d *DB) WithLock(ctx context.Context, key int64, fn func() error) error {
	if d.Dialect != Postgres {
		return fn()
	}
	// A session lock belongs to one connection: take it on a pinned connection and release it
	// there, whatever fn does with the pool meanwhile.
	conn, err := d.Conn(ctx)
	if err != nil {
		return fmt.Errorf("advisory lock %d: %w", key, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("advisory lock %d: %w", key, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return fn()
}
