package queue

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/testutil"
)

// BenchmarkThroughput is the queue alone: SHEBAO_BENCH_JOBS no-op jobs (default 5000) enqueued in
// batches of 1000 per transaction, then claimed, run and completed by one worker with
// concurrency 8 (SHEBAO_BENCH_CONCURRENCY), on SQLite and (with SHEBAO_TEST_DATABASE_URL) PostgreSQL.
func BenchmarkThroughput(b *testing.B) {
	n := 5000
	if v := os.Getenv("SHEBAO_BENCH_JOBS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dbtest.EachBench(b, func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		q, err := Open(ctx, d, Options{})
		if err != nil {
			b.Fatal(err)
		}
		round := 0
		for b.Loop() {
			round++
			t0 := time.Now()
			for i := 0; i < n; i += 1000 {
				err := d.InTx(ctx, func(tx *db.Tx) error {
					for j := i; j < min(i+1000, n); j++ {
						if _, err := q.Enqueue(ctx, tx, Job{Kind: "noop", Key: fmt.Sprintf("r%d-%d", round, j)}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			enq := time.Since(t0)
			var done atomic.Int64
			w := q.NewWorker(WorkerOptions{Name: "bench", Concurrency: benchConc(), Poll: 10 * time.Millisecond})
			w.Handle("noop", func(context.Context, Job) error { done.Add(1); return nil })
			t1 := time.Now()
			run := testutil.RunUntil(ctx, w.Run, func() bool { return done.Load() >= int64(n) }).Sub(t1)
			b.ReportMetric(float64(n)/enq.Seconds(), "enqueued/s")
			b.ReportMetric(float64(n)/run.Seconds(), "run/s")
		}
	})
}

func benchConc() int {
	if v, err := strconv.Atoi(os.Getenv("SHEBAO_BENCH_CONCURRENCY")); err == nil && v > 0 {
		return v
	}
	return 8
}
