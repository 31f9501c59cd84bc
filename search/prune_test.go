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
		s, err := Open(ctx, Options{DB: d})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		now := time.Now()
		old, recent := idBound(now.AddDate(0, 0, -200))[:8]+"aaaaaaaa", newQueryID()
		for _, id := range []string{old, recent} {
			if _, err := d.Exec(ctx, `INSERT INTO search_queries (id, created_at, query, corrected, results) VALUES (?, ?, ?, '', 1)`, id, now.UnixMilli(), "q"); err != nil {
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
