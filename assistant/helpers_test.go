package assistant

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/beijing"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/spoken"
	"shebao/internal/testutil"
)

// testGuides are the fixture guides in testdata/guides.yaml.
func testGuides(t testing.TB) []content.Guide {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "guides.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	gs, err := content.ParseGuides("guides.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := content.CheckSet(gs, nil, nil); err != nil {
		t.Fatalf("fixture guides invalid: %v", err)
	}
	return gs
}

func testGuide(t testing.TB, code string) *content.Guide {
	t.Helper()
	for _, g := range testGuides(t) {
		if g.Code == code {
			return &g
		}
	}
	t.Fatalf("no fixture guide %s", code)
	return nil
}

// sqliteDB opens a fresh SQLite database in a temporary directory.
func sqliteDB(t testing.TB) *db.DB {
	t.Helper()
	return sqliteDBAt(t, filepath.Join(t.TempDir(), "test.db"))
}

func sqliteDBAt(t testing.TB, path string) *db.DB {
	t.Helper()
	d, err := db.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// slogDiscard is a logger that drops everything (benchmarks).
func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// postgresDB opens a fresh schema on the server named by SHEBAO_TEST_DATABASE_URL, or returns
// nil when it is not set.
func postgresDB(t testing.TB) *db.DB { return dbtest.Postgres(t) }

// eachDB runs f on SQLite, and on PostgreSQL when SHEBAO_TEST_DATABASE_URL is set.
func eachDB(t *testing.T, f func(t *testing.T, d *db.DB)) { dbtest.Each(t, f) }

// logBuffer is a slog handler target that tests can read.
type logBuffer = testutil.LogBuffer

// testService builds a Service over the fixture guides and a fresh SQLite database.
func testService(t testing.TB, mutate func(*Options)) (*Service, *logBuffer) {
	t.Helper()
	corpus := NewCorpus(testGuides(t))
	logs := &logBuffer{}
	opts := Options{DB: sqliteDB(t), Retriever: corpus, Guides: corpus, Log: logs.Logger(),
		Now: func() time.Time { return time.Date(2026, 3, 15, 10, 0, 0, 0, beijing.Location()) }}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, logs
}

// validID returns an 18-digit ID number with a correct check digit.
func validID(first17 string) string { return first17 + string(spoken.IDCheckDigit(first17)) }

// luhnNumber completes digits with a Luhn check digit.
func luhnNumber(digits string) string { return digits + string(spoken.LuhnDigit(digits)) }

func mustContain(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}
