package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"shebao/content"
	"shebao/internal/db"
)

// testDBEnv names the PostgreSQL URL that enables PostgreSQL-backed tests.
const testDBEnv = "SHEBAO_TEST_DATABASE_URL"

// eachDB runs fn on a fresh SQLite database and, when SHEBAO_TEST_DATABASE_URL is set, on a fresh
// PostgreSQL schema (dropped afterwards).
func eachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteDB(t)) })
	t.Run("postgres", func(t *testing.T) {
		d := postgresDB(t)
		if d == nil {
			t.Skip("set " + testDBEnv + " to run against PostgreSQL")
		}
		fn(t, d)
	})
}

func sqliteDB(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "search.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func postgresDB(t testing.TB) *db.DB {
	t.Helper()
	base := os.Getenv(testDBEnv)
	if base == "" {
		return nil
	}
	ctx := context.Background()
	admin, err := db.OpenPostgres(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d, err := db.OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return d
}

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

// openSeeded opens an in-memory service over guides.
func openSeeded(t testing.TB, d *db.DB, guides []content.Guide) *Service {
	t.Helper()
	s, err := Open(context.Background(), Options{DB: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Rebuild(context.Background(), guides); err != nil {
		t.Fatal(err)
	}
	return s
}
