package lease

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/testutil"
)

type clock = testutil.Clock

// TestOneHolderAtATime: of many replicas trying at once, exactly one takes the lease; others
// get it only once it ran out or was released; the holder can renew.
func TestOneHolderAtATime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := testutil.NewClock(time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC))
		l, err := Open(ctx, d, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := l.Take(ctx, "prune-daily", fmt.Sprintf("replica-%d", i), 24*time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Fatalf("%d replicas took the lease at once, want 1", n)
		}
		if ok, _ := l.Take(ctx, "other", "x", time.Hour); !ok {
			t.Fatal("a second lease name is blocked by the first")
		}
		clk.Add(23 * time.Hour)
		if ok, _ := l.Take(ctx, "prune-daily", "late", 24*time.Hour); ok {
			t.Fatal("lease taken before it ran out")
		}
		clk.Add(time.Hour)
		if ok, _ := l.Take(ctx, "prune-daily", "late", 24*time.Hour); !ok {
			t.Fatal("lease not taken after it ran out (its holder died)")
		}
		if ok, _ := l.Take(ctx, "prune-daily", "late", 24*time.Hour); !ok {
			t.Fatal("holder cannot renew its own lease")
		}
		if err := l.Release(ctx, "prune-daily", "late"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := l.Take(ctx, "prune-daily", "next", time.Hour); !ok {
			t.Fatal("released lease not taken")
		}
	})
}
