// Package dbtest gives store tests real databases: a fresh SQLite file always, and a fresh
// PostgreSQL schema when SHEBAO_TEST_DATABASE_URL is set, so that runs never collide.
package dbtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"shebao/internal/db"
)

// EnvVar names the PostgreSQL URL that enables PostgreSQL-backed tests.
const EnvVar = "SHEBAO_TEST_DATABASE_URL"

// SQLite opens a new SQLite database in a temporary directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "shebao.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Postgres opens a new schema on the server named by SHEBAO_TEST_DATABASE_URL and drops it when
// the test ends. It returns nil when the variable is not set.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		return nil
	}
	ctx := context.Background()
	_, u, drop, err := db.FreshSchema(ctx, base, "t_")
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.OpenPostgres(ctx, u)
	if err != nil {
		drop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		drop()
	})
	return d
}

// Each runs fn once per available dialect, as subtests named "sqlite" and "postgres". Without
// SHEBAO_TEST_DATABASE_URL the PostgreSQL subtest is skipped with a message saying how to run it.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) { each(t, fn) }

// EachBench is Each for benchmarks: sub-benchmarks "sqlite" and "postgres".
func EachBench(b *testing.B, fn func(b *testing.B, d *db.DB)) { each(b, fn) }

func each[T interface {
	testing.TB
	Run(name string, fn func(T)) bool
}](t T, fn func(t T, d *db.DB)) {
	t.Run("sqlite", func(t T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t T) {
		d := Postgres(t)
		if d == nil {
			t.Skip("set " + EnvVar + " to run against PostgreSQL")
		}
		fn(t, d)
	})
}

// SQLitePlan is SQLite's EXPLAIN QUERY PLAN of q with args: each step's detail, joined by "; ".
func SQLitePlan(t testing.TB, d *db.DB, q string, args ...any) string {
	t.Helper()
	rows, err := d.Query(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// PostgresOnly is Postgres for a test that means something only there: it skips the test, saying
// why, when SHEBAO_TEST_DATABASE_URL is not set.
func PostgresOnly(t testing.TB, why string) *db.DB {
	t.Helper()
	d := Postgres(t)
	if d == nil {
		t.Skip("set " + EnvVar + " to run against PostgreSQL (" + why + ")")
	}
	return d
}

// PostgresPlan is PostgreSQL's EXPLAIN of q with args, one line per plan node, joined by "; ".
func PostgresPlan(t testing.TB, d *db.DB, q string, args ...any) string {
	t.Helper()
	rows, err := d.Query(context.Background(), `EXPLAIN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, strings.TrimSpace(line))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// Getenv returns the environment variable name, or skips t with the message skip (saying how to
// run it) when the variable is not set: the gate of a test that needs a service from outside.
func Getenv(t testing.TB, name, skip string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skip(skip)
	}
	return v
}

// RedisEnvVar names the Redis URL that enables the Redis-backed tests.
const RedisEnvVar = "SHEBAO_TEST_REDIS_URL"

// Redis returns a client of the Redis named by RedisEnvVar, closed when t ends, or skips t
// (saying how to run it) when the variable is not set.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(Getenv(t, RedisEnvVar, "set "+RedisEnvVar+"=redis://127.0.0.1:6379/0 to run against Redis"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
