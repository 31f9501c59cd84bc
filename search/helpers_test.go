package search

import (
	"context"
	"sync"
	"testing"

	"shebao/content"
	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// eachDB runs fn on a fresh SQLite database and, when SHEBAO_TEST_DATABASE_URL is set, on a fresh
// PostgreSQL schema (dropped afterwards).
func eachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) { dbtest.Each(t, fn) }

func sqliteDB(t testing.TB) *db.DB { return dbtest.SQLite(t) }

func postgresDB(t testing.TB) *db.DB { return dbtest.Postgres(t) }

var seed = sync.OnceValues(func() ([]content.Guide, error) { return content.LoadSeed(content.SeedFS()) })

// seedGuides returns the seed corpus, skipping the test when it is not there yet.
func seedGuides(t testing.TB) []content.Guide {
	t.Helper()
	gs, err := seed()
	if err != nil {
		t.Fatalf("seed corpus: %v", err)
	}
	if len(gs) < 10 {
		t.Skipf("seed corpus has %d guides; search quality tests need it", len(gs))
	}
	return gs
}

// mustOpen opens a service with o, failing the test when it cannot; the caller closes it.
func mustOpen(t testing.TB, o Options) *Service {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openEmpty opens a service over d with an empty index, closed when the test ends.
func openEmpty(t testing.TB, d *db.DB) *Service {
	t.Helper()
	s := mustOpen(t, Options{DB: d})
	t.Cleanup(func() { s.Close() })
	return s
}

// openSeeded opens an in-memory service over guides.
func openSeeded(t testing.TB, d *db.DB, guides []content.Guide) *Service {
	t.Helper()
	s := openEmpty(t, d)
	if err := s.Rebuild(context.Background(), guides); err != nil {
		t.Fatal(err)
	}
	return s
}
