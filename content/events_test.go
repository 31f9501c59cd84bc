package content

import (
	"context"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
)

// TestOutboxRowsMoveIntoTheEventLog: a store from before the event log keeps every outbox row,
// delivered or not, in order, as events in the log.
func TestOutboxRowsMoveIntoTheEventLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx, "content", Migrations[:2]); err != nil {
			t.Fatal(err)
		}
		rows := [][4]string{
			{event.GuidePublished, "A-1", `{"code":"A-1","version":1}`, "2025-01-01T00:00:00.000000Z"},
			{event.GuidePublished, "A-2", `{"code":"A-2","version":1}`, "2025-01-02T00:00:00.000000Z"},
			{event.GuideUnpublished, "A-1", `{"code":"A-1","version":1}`, "2025-01-03T00:00:00.000000Z"},
		}
		for i, r := range rows {
			delivered := ""
			if i < 2 {
				delivered = r[3]
			}
			if _, err := d.Exec(ctx, `INSERT INTO outbox (topic, key, data, created_at, delivered_at) VALUES (?, ?, ?, ?, ?)`,
				r[0], r[1], r[2], r[3], delivered); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := New(ctx, Options{DB: d}); err != nil {
			t.Fatal(err)
		}
		l := openEvents(t, d)
		evs, err := l.Read(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(rows) {
			t.Fatalf("%d events, want %d", len(evs), len(rows))
		}
		for i, e := range evs {
			if e.Topic != rows[i][0] || e.Key != rows[i][1] || string(e.Data) != rows[i][2] || e.At.Format(timeFormat) != rows[i][3] {
				t.Errorf("event %d = %+v, want %v", i, e, rows[i])
			}
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err == nil {
			t.Error("the outbox table is still there")
		}
	})
}

// TestScheduleFromBeforeTheQueueIsPublished: a version scheduled when schedules were not jobs
// yet (no job row) gets its job at start and is published when due.
func TestScheduleFromBeforeTheQueueIsPublished(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.approved(testGuide("Q-1", "队列前的定时"))
		mustf(e.s.Schedule(e.ctx, KindGuide, publisherC, "Q-1", 1, e.clock.Now().Add(time.Minute)))(t)
		if _, err := d.Exec(e.ctx, `DELETE FROM jobs`); err != nil {
			t.Fatal(err)
		}
		s2 := mustf(New(e.ctx, Options{DB: d, Events: e.bus, Now: e.clock.Now}))(t)
		e.clock.Add(2 * time.Minute)
		noErr(t, s2.RunDue(e.ctx))
		if p, err := s2.Guide("Q-1"); err != nil || p.Guide.Version != 1 {
			t.Fatalf("not published: %v", err)
		}
	})
}

// TestSnapshotSeesPublishOfAnotherProcess: a publish made by another process on the same store
// (a second service with its own database handle and event log) reaches this service's snapshot
// when its log is next read — the poll, here called directly.
func TestSnapshotSeesPublishOfAnotherProcess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		running := mustf(New(ctx, Options{DB: d}))(t)
		mustf(running.Import(ctx, []Guide{testGuide("P-1", "第一版")}, nil, System, true))(t)

		other := secondHandle(t, d)
		cli := mustf(New(ctx, Options{DB: other}))(t)
		g := testGuide("P-1", "第一版")
		g.Summary = "另一个进程发布的新简述"
		mustf(cli.Import(ctx, []Guide{g}, nil, System, true))(t)

		if p, _ := running.Guide("P-1"); p.Guide.Version != 1 {
			t.Fatalf("served v%d before reading the log", p.Guide.Version)
		}
		noErr(t, running.Events().Deliver(ctx))
		p := mustf(running.Guide("P-1"))(t)
		if p.Guide.Version != 2 || p.Guide.Summary != g.Summary {
			t.Fatalf("served v%d %q, want v2 from the other process", p.Guide.Version, p.Guide.Summary)
		}
	})
}

// secondHandle opens another connection pool on the database behind d, as another process has.
func secondHandle(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	if d.Dialect == db.SQLite {
		o, err := db.OpenSQLite(context.Background(), d.Where())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		return o
	}
	return d // PostgreSQL: the pool is already a set of independent connections
}
