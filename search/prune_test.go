package search

import (
	"context"
	"testing"
	"time"

	"shebao/internal/db"
)

func TestPruneQueryLog(t *testing.T) {
	eachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := openEmpty(t, d)
		now := time.Now()
		old, recent := idBound(now.AddDate(0, 0, -200))+"aaaaaaaaaaaaaaaa", newQueryID(now, "q", "", 1)
		for _, id := range []string{old, recent} {
			if _, err := d.Exec(ctx, `INSERT INTO search_queries (id, created_at, query, corrected, results, searches) VALUES (?, ?, ?, '', 1, 1)`, id, now.UnixMilli(), "q"); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.PruneQueryLog(ctx, now.AddDate(0, 0, -180))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		var left string
		d.QueryRow(ctx, `SELECT id FROM search_queries`).Scan(&left)
		if left != recent {
			t.Errorf("kept %q, want %q", left, recent)
		}
	})
}

// Identical searches of one second are one row that counts them, also when the second is split
// across two batches; clicks count at most one per search.
func TestQueryLogCountsPerID(t *testing.T) {
	eachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := openEmpty(t, d)
		at := time.Now()
		id := newQueryID(at, "社保卡丢了", "", 3)
		other := newQueryID(at, "社保卡丢了", "", 4) // another result count: another row
		if id == other || len(id) != 24 || id[:8] != idBound(at) {
			t.Fatalf("ids %q %q", id, other)
		}
		search := logRecord{id: id, query: "社保卡丢了", results: 3, at: at}
		click := logRecord{id: id, click: "SX-SBK-003", at: at}
		if err := s.qlog.write(ctx, []logRecord{search, search, search, click}); err != nil {
			t.Fatal(err)
		}
		if err := s.qlog.write(ctx, []logRecord{search, {id: other, query: "社保卡丢了", results: 4, at: at}, click, click, click, click}); err != nil {
			t.Fatal(err)
		}
		var rows, searches, clicks int
		if err := d.QueryRow(ctx, `SELECT count(*), sum(searches), sum(clicks) FROM search_queries WHERE query = ?`, "社保卡丢了").Scan(&rows, &searches, &clicks); err != nil {
			t.Fatal(err)
		}
		if rows != 2 || searches != 5 || clicks != 4 {
			t.Errorf("rows %d searches %d clicks %d, want 2 5 4", rows, searches, clicks)
		}
	})
}

// The per-search rows of the first query log are kept when the log moves to counted rows.
func TestQueryLogMigrationKeepsRows(t *testing.T) {
	eachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx, "search", migrations[:2]); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for i, clicked := range []any{nil, "SX-SY-001"} {
			if _, err := d.Exec(ctx, `INSERT INTO search_queries (id, created_at, query, corrected, results, clicked_code) VALUES (?, ?, '失业金', '', 2, ?)`,
				idBound(now)+"0000000"+string(rune('1'+i)), now.UnixMilli(), clicked); err != nil {
				t.Fatal(err)
			}
		}
		s := openEmpty(t, d)
		rep, err := s.Report(ctx, now.Add(-time.Minute), now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Queries != 2 || rep.NoClick != 1 {
			t.Errorf("after migration: %+v", rep)
		}
	})
}
