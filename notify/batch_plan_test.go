package notify

import (
	"fmt"
	"strings"
	"testing"

	"shebao/internal/dbtest"
)

// TestChunkReadsIndexWithoutStatistics: on PostgreSQL with no statistics (autovacuum off, as on
// the development machine, or tables grown since the last ANALYZE), a delivery chunk's reads of
// the subscriptions and the delivery log are index scans. An IN of 128 values alone is estimated
// at 64% of the table: each chunk ran a parallel full scan of both, O(n²) over a campaign.
func TestChunkReadsIndexWithoutStatistics(t *testing.T) {
	d := dbtest.PostgresOnly(t, "its planner")
	e := newEnv(t, d)
	for _, q := range []string{
		`INSERT INTO notify_subscriptions (person, endpoint, p256dh, auth, vapid_key_id, created_at, seen_at)
			SELECT 'p' || lpad(i::text, 7, '0'), 'https://fcm.googleapis.com/fcm/send/' || i, 'k', 'a', 1, 0, 1 FROM generate_series(1, 100000) i`,
		`INSERT INTO notify_log (notice_id, subscription_id, event, at) SELECT i, i, 'sent', 0 FROM generate_series(1, 100000) i`,
	} {
		if _, err := d.Exec(e.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	people := make([]string, batchChunk)
	notices := make([]int64, batchChunk)
	for i := range batchChunk {
		people[i] = fmt.Sprintf("p%07d", 50000+3*i)
		notices[i] = int64(50000 + i)
	}
	in, args := inList("person", people)
	subs := dbtest.PostgresPlan(t, d, subscriptionsSQL(in), append(args, 0)...)
	in, args = inList("notice_id", notices)
	log := dbtest.PostgresPlan(t, d, lastEventsSQL(in), args...)
	for what, plan := range map[string]string{"subscriptions": subs, "delivery log": log} {
		if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index") {
			t.Errorf("a chunk scans the whole %s: %s", what, plan)
		}
	}
}
