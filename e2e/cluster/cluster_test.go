package cluster

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// publishAndWait force-publishes a new guide through replica a and returns how long after the
// publish answered it was searchable on replica b.
func publishAndWait(t *testing.T, ctx context.Context, a, b *Replica, token, code string) time.Duration {
	t.Helper()
	word := randWord()
	want(t, "create "+code, do2(ctx, "POST", a.Base+"/api/v1/admin/guides", token, guideDoc(code, word)))(201)
	want(t, "force-publish "+code, do2(ctx, "POST", a.Base+"/api/v1/admin/guides/"+code+"/versions/1/force-publish", token, map[string]any{"reason": "集群测试"}))(200)
	start := time.Now()
	for !found(ctx, b, word, code) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s published on %s not searchable on %s after 10 s", code, a.Name, b.Name)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// do2 pairs do with want for one-line calls: want(t, what, do2(...))(status).
func do2(ctx context.Context, method, u, token string, body any) func() (reply, error) {
	return func() (reply, error) { return do(ctx, method, u, token, body) }
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// TestPublishOnASearchableOnB: with each wake-up transport (Redis pub/sub, PostgreSQL
// LISTEN/NOTIFY, polling alone) a guide published through replica A is found by a search on
// replica B within 1 s (issue #25 item 2), measured over 20 publishes.
func TestPublishOnASearchableOnB(t *testing.T) {
	for _, signal := range []string{"redis", "postgres", "none"} {
		t.Run(signal, func(t *testing.T) {
			if signal != "redis" && os.Getenv("SHEBAO_TEST_CLUSTER_FIGURES") != "1" {
				t.Skip("the " + signal + " transport's figure: set SHEBAO_TEST_CLUSTER_FIGURES=1 (kept out of CI for time; its unit test is in internal/eventlog)")
			}
			c := newCluster(t, signal)
			c.Start(2)
			tok := c.Token("ops-"+signal, "editor,publisher")
			ctx := context.Background()
			var lat []time.Duration
			for i := 0; i < 20; i++ {
				lat = append(lat, publishAndWait(t, ctx, c.Replicas[0], c.Replicas[1], tok, fmt.Sprintf("CL-%s-%d", signal, i)))
			}
			p50, p99 := percentile(lat, 50), percentile(lat, 99)
			t.Logf("publish on A → searchable on B, signal=%s, n=%d: p50 %v, p99 %v, max %v", signal, len(lat),
				p50.Round(time.Millisecond), p99.Round(time.Millisecond), slices.Max(lat).Round(time.Millisecond))
			if p99 >= time.Second {
				t.Errorf("p99 %v: a publish must be searchable on another replica within 1 s", p99)
			}
		})
	}
}

// outcome is one load request's result.
type outcome struct {
	replica int
	at      time.Time
	status  int
	clean   bool
	err     error
}

// TestClusterSurvivesKill: three replicas started at once on an empty database, under a bounded
// load from every side, lose one to kill -9. Migrations and the seed ran once; every scheduled
// publish happened once; every request either succeeded or failed with a clean error (a
// transport error only from the killed replica, after its death: a balancer retries those).
func TestClusterSurvivesKill(t *testing.T) {
	c := newCluster(t, "redis")
	c.env = append(c.env, "SHEBAO_MODEL_BASE_URL="+startHangingModel(t), "SHEBAO_MODEL_NAME=fake", "SHEBAO_MODEL_TIMEOUT=60s")
	c.Start(3)
	ctx := context.Background()

	// Seed once: every seeded guide was published exactly once.
	var seeded, dup int
	if err := c.DB.QueryRow(`SELECT count(DISTINCT key), count(*) - count(DISTINCT key) FROM event_log WHERE topic = 'guide.published'`).Scan(&seeded, &dup); err != nil {
		t.Fatal(err)
	}
	if seeded == 0 || dup != 0 {
		t.Fatalf("seed: %d guides published, %d extra publications; three replicas started at once must seed once", seeded, dup)
	}

	editor, reviewer := c.Token("ed-1", "editor"), c.Token("rv-1", "reviewer,publisher")
	// Three publications scheduled a few seconds ahead, through different replicas; they fall
	// due after the kill.
	at := time.Now().Add(6 * time.Second).Truncate(time.Second).Add(time.Second)
	var scheduled []string
	for i := 0; i < 3; i++ {
		r, code := c.Replicas[i], fmt.Sprintf("SCHED-%d", i)
		base := r.Base + "/api/v1/admin/guides"
		want(t, "create", do2(ctx, "POST", base, editor, guideDoc(code, randWord())))(201)
		want(t, "submit", do2(ctx, "POST", base+"/"+code+"/versions/1/submit", editor, map[string]any{}))(200)
		want(t, "approve", do2(ctx, "POST", base+"/"+code+"/versions/1/approve", reviewer, map[string]any{}))(200)
		want(t, "schedule", do2(ctx, "POST", base+"/"+code+"/versions/1/schedule", reviewer, map[string]any{"at": at.Format(time.RFC3339)}))(200)
		scheduled = append(scheduled, code)
	}

	// A chat session on the replica that will be killed, with a turn in progress there.
	chat := startChat(t, c, c.Replicas[2])

	// Load: 6 workers, round-robin over the replicas, at most 4000 requests or 8 s.
	const workers, maxRequests = 6, 4000
	var sent atomic.Int64
	var mu sync.Mutex
	var outcomes []outcome
	var killedAt atomic.Value
	lctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	paths := []string{"/api/v1/guides", "/api/v1/search?q=" + "养老保险", "/api/v1/categories", "/api/v1/guides/" + "SCHED-0"}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; lctx.Err() == nil && sent.Add(1) <= maxRequests; i++ {
				ri := i % len(c.Replicas)
				rep, err := do(lctx, "GET", c.Replicas[ri].Base+paths[i%len(paths)], "", nil)
				if lctx.Err() != nil {
					return
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{replica: ri, at: time.Now(), status: rep.status, clean: rep.clean(), err: err})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second)
	victim := c.Replicas[2]
	victim.kill()
	killedAt.Store(time.Now())
	// Publish on a survivor, searchable on the other, while the load goes on.
	lat := publishAndWait(t, ctx, c.Replicas[0], c.Replicas[1], editorPublisher(t, c), "AFTER-KILL")
	t.Logf("after the kill: publish on r1 searchable on r2 in %v", lat.Round(time.Millisecond))
	wg.Wait()

	killed := killedAt.Load().(time.Time)
	var ok, cleanErr, refusedDead, bad int
	for _, o := range outcomes {
		switch {
		case o.err != nil && o.replica == 2 && !o.at.Before(killed.Add(-100*time.Millisecond)):
			refusedDead++
		case o.err != nil:
			bad++
			if bad <= 5 {
				t.Errorf("request to live replica r%d failed at the transport: %v", o.replica+1, o.err)
			}
		case o.status < 400:
			ok++
		case o.clean:
			cleanErr++
		default:
			bad++
			if bad <= 5 {
				t.Errorf("r%d answered %d without an error code", o.replica+1, o.status)
			}
		}
	}
	t.Logf("load: %d requests: %d ok, %d clean errors, %d refused by the killed replica, %d bad", len(outcomes), ok, cleanErr, refusedDead, bad)
	if ok == 0 {
		t.Fatal("no request succeeded")
	}

	// Every scheduled publication happened, once, and is served by both survivors.
	deadline := time.Now().Add(30 * time.Second)
	for _, code := range scheduled {
		for {
			var n int
			if err := c.DB.QueryRow(`SELECT count(*) FROM event_log WHERE topic = 'guide.published' AND key = $1`, code).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 1 {
				t.Fatalf("scheduled publication of %s happened %d times", code, n)
			}
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("scheduled publication of %s (due %s) did not happen", code, at.Format(time.TimeOnly))
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, r := range c.Replicas[:2] {
			// The event is committed; each replica serves the guide once its poll or signal
			// delivered it.
			for {
				rep, err := do(ctx, "GET", r.Base+"/api/v1/guides/"+code, "", nil)
				if err == nil && rep.status == 200 {
					break
				}
				if time.Now().After(deadline) {
					expect(t, "read "+code+" on "+r.Name, rep, err, 200)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	// Give a slow duplicate the chance to show itself.
	time.Sleep(time.Second)
	var total int
	c.DB.QueryRow(`SELECT count(*) FROM event_log WHERE topic = 'guide.published' AND key LIKE 'SCHED-%'`).Scan(&total)
	if total != len(scheduled) {
		t.Fatalf("%d publications of %d scheduled guides", total, len(scheduled))
	}

	t.Run("chat resume", func(t *testing.T) {
		// The chat session opened on the killed replica goes on on a survivor: no frame lost,
		// the turn that died with the replica ended with a frame saying so.
		chat.t = t
		resumeChat(t, c, chat, c.Replicas[0])
	})
}

// editorPublisher mints a token that may create and force-publish in one go.
func editorPublisher(t *testing.T, c *Cluster) string { return c.Token("ops-kill", "editor,publisher") }
