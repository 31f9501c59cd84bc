package cluster

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apps "shebao/internal/application"
	"shebao/internal/db"
	"shebao/internal/identity"
	"shebao/notify"
	"shebao/notify/pushtest"
)

// userTokens mints one user token per subject with the cluster's signing keys (kept in its
// schema, so every replica accepts them): the CLI's way, without a process per person.
func (c *Cluster) userTokens(subjects []string) []string {
	ctx := context.Background()
	d, err := db.OpenPostgres(ctx, c.dbURL)
	if err != nil {
		c.t.Fatal(err)
	}
	defer d.Close()
	keys, err := identity.OpenKeyringDB(ctx, d, identity.KeyringOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	out := make([]string, len(subjects))
	for i, s := range subjects {
		if out[i], err = keys.Mint(s, "", []identity.Role{identity.RoleUser}, time.Hour); err != nil {
			c.t.Fatal(err)
		}
	}
	return out
}

// survivor sends a request to the replicas in turn from start, moving on from one that refuses
// at the transport (a balancer's retry), and returns the first answer.
func (c *Cluster) survivor(ctx context.Context, start int, send func(base string) (reply, error)) (reply, error) {
	var lastErr error
	for k := range c.Replicas {
		rep, err := send(c.Replicas[(start+k)%len(c.Replicas)].Base)
		if err == nil {
			return rep, nil
		}
		lastErr = err
	}
	return reply{}, lastErr
}

// webhook posts one signed 经办 step for application id to base.
func webhook(ctx context.Context, base string, secret []byte, id string, seq int, status string) (reply, error) {
	body, _ := json.Marshal(apps.UpstreamEvent{EventID: fmt.Sprintf("cl-%s-%d", id, seq), ApplicationID: id, Seq: seq,
		Status: status, Office: "西安市社会保险经办中心", At: time.Now().UTC()})
	now := time.Now()
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/upstream/events", bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(apps.HeaderTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(apps.HeaderSignature, apps.Sign(secret, now, body))
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	resp.Body.Close()
	return reply{status: resp.StatusCode}, nil
}

// upstreamSteps are the 经办 system's steps every application of the test goes through; each is
// a progress notification.
var upstreamSteps = []string{"accepted", "reviewing", "completed"}

// TestNotificationsSurviveKill: three replicas share the notification queue; people with two
// devices each at the fake push service (which answers slowly, so deliveries are in flight)
// get their applications' progress and a 资格认证 campaign, and one replica is killed with SIGKILL
// while it holds deliveries. Every device shows every expected notification exactly once (no
// loss, no tag it should not have); every push the service received twice is a resend the
// delivery log flags; the killed replica's deliveries were finished by the survivors.
func TestNotificationsSurviveKill(t *testing.T) {
	const people, withApps = 120, 40
	push := pushtest.New()
	defer push.Close()
	push.Answer("", pushtest.Answer{Delay: 150 * time.Millisecond})
	secret := []byte("cluster-upstream-secret-0123456789")
	c := newCluster(t, "redis")
	c.env = append(c.env, "SHEBAO_PUSH_VAPID_SUBJECT=mailto:ops@shebao.gov.cn", "SHEBAO_PUSH_INSECURE_TEST_HOSTS="+push.Host(),
		"SHEBAO_QUEUE_LEASE=2s", "SHEBAO_NOTIFY_CAMPAIGN_RATE_PERIOD=300ms", "SHEBAO_UPSTREAM_SECRET="+string(secret),
		"SHEBAO_SIMULATOR_STEP=24h", "SHEBAO_ME_RATE_PER_USER=100000", "SHEBAO_ME_RATE_PER_IP=100000")
	c.Start(3)
	ctx := context.Background()
	r1 := c.Replicas[0]

	vapid := want(t, "vapid key", do2(ctx, "GET", r1.Base+"/api/v1/push/vapid-public-key", "", nil))(200).body["public_key"].(string)
	subjects := make([]string, people)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("cl-p%04d", i)
	}
	tokens := c.userTokens(subjects)
	// Each person: no quiet hours (the test runs at any hour), two devices, and the fact that
	// puts them in the campaign's segment (the person store's last 资格认证, which comes from the
	// 经办 system's feed, not from an API of ours).
	devices := make([][]pushtest.Subscription, people)
	// Due in 10 days (Beijing time): certified a year before that.
	certified := time.Now().UTC().Add(8*time.Hour).AddDate(-1, 0, 10).Format(time.DateOnly)
	if err := parallel(people, 8, func(i int) error {
		base := c.Replicas[i%3].Base
		if rep, err := do(ctx, "PUT", base+"/api/v1/me/notification-settings", tokens[i], map[string]any{"quiet_start": "00:00", "quiet_end": "00:00"}); err != nil || rep.status != 200 {
			return fmt.Errorf("settings of %s: %v %d %s", subjects[i], err, rep.status, rep.raw)
		}
		for range 2 {
			sub, err := push.Subscribe(vapid)
			if err != nil {
				return err
			}
			if rep, err := do(ctx, "POST", base+"/api/v1/push/subscriptions", tokens[i], sub); err != nil || rep.status != 201 {
				return fmt.Errorf("subscribe %s: %v %d %s", subjects[i], err, rep.status, rep.raw)
			}
			devices[i] = append(devices[i], sub)
		}
		_, err := c.DB.ExecContext(ctx, `INSERT INTO person_profiles (subject, last_certified, updated_at) VALUES ($1, $2, 0)
			ON CONFLICT (subject) DO UPDATE SET last_certified = excluded.last_certified`, subjects[i], certified)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The first withApps people have an application each, submitted through different replicas.
	appIDs := make([]string, withApps)
	for i := range appIDs {
		rep := want(t, "submit", do2(ctx, "POST", c.Replicas[i%3].Base+"/api/v1/me/applications", tokens[i], json.RawMessage(
			`{"form_code":"F-SBK-003","form_version":1,"values":{"name":"王小明","id_number":"11010519491231002X","loss":"lost","phone":"13812345678"}}`)))(201)
		appIDs[i] = rep.body["id"].(string)
	}

	// The campaign walks its 120 people 10 at a time (a batch job of 20 pushes), a step every
	// 300 ms.
	ops := c.Token("ops-notify", "publisher")
	camp := want(t, "create campaign", do2(ctx, "POST", r1.Base+"/api/v1/admin/notify/campaigns", ops, map[string]any{
		"name": "集群资格认证提醒", "segment": "certification_due_30d", "kind": "certification", "title": "请完成资格认证",
		"body": "您的养老金领取资格认证即将到期。", "window_start": "00:00", "window_end": "00:00", "rate_per_minute": 10,
	}))(201)
	campID := int64(camp.body["id"].(float64))
	want(t, "start campaign", do2(ctx, "POST", fmt.Sprintf("%s/api/v1/admin/notify/campaigns/%d/start", r1.Base, campID), ops, map[string]any{}))(200)

	// The 经办 steps arrive meanwhile, spread over the replicas (a refused one is retried on the
	// next, as a balancer would).
	var wg sync.WaitGroup
	var stepErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for seq, status := range upstreamSteps {
			for _, id := range appIDs {
				n++
				rep, err := c.survivor(ctx, n, func(base string) (reply, error) { return webhook(ctx, base, secret, id, seq+1, status) })
				if err == nil && rep.status != 200 {
					err = fmt.Errorf("status %d", rep.status)
				}
				if err != nil {
					stepErr = fmt.Errorf("webhook %s seq %d: %w", id, seq+1, err)
					return
				}
				time.Sleep(15 * time.Millisecond)
			}
		}
	}()

	// Kill whichever replica first holds a batch of the campaign's deliveries (the replica that
	// runs a campaign step usually takes its batch too).
	workers := make([]string, len(c.Replicas))
	for i, r := range c.Replicas {
		workers[i] = fmt.Sprintf("/%d/notify/", r.cmd.Process.Pid) // claimed_by is host/pid/notify/claim
	}
	vi, held := -1, []string(nil)
	for start := time.Now(); vi < 0; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatal("no replica held a campaign batch in 30 s")
		}
		for i, w := range workers {
			var batch bool
			if held, batch = heldJobs(t, c.DB, w); batch {
				vi = i
				break
			}
		}
	}
	victim, worker, live := c.Replicas[vi], workers[vi], c.Replicas[(vi+1)%len(c.Replicas)]
	victim.kill()
	// What it held when it died: between the read above and the kill it may have finished some
	// (a CI run saw three of fifteen done by the victim itself), which the survivors then never
	// had to take over.
	held, _ = heldJobs(t, c.DB, worker)
	t.Logf("killed %s holding delivery jobs %v", victim.Name, held)
	if len(held) == 0 {
		t.Logf("%s finished every delivery it held before it died: the takeover is not exercised in this run", victim.Name)
	}
	wg.Wait()
	if stepErr != nil {
		t.Fatal(stepErr)
	}

	// What every device must show: the campaign's tag, and a tag per 经办 step of its person's
	// application (the step numbers from the person's own timeline).
	expected := make([]map[string]bool, people)
	for i := range expected {
		expected[i] = map[string]bool{fmt.Sprintf("campaign:%d:%s", campID, subjects[i]): true}
	}
	for i, id := range appIDs {
		a := want(t, "read application", do2(ctx, "GET", live.Base+"/api/v1/me/applications/"+id, tokens[i], nil))(200)
		steps, _ := a.body["steps"].([]any)
		n := 0
		for _, s := range steps {
			st := s.(map[string]any)
			if st["status"] != "submitted" {
				expected[i][fmt.Sprintf("app:%s:%d", id, int(st["seq"].(float64)))] = true
				n++
			}
		}
		if n != len(upstreamSteps) {
			t.Fatalf("application %s has %d 经办 steps, want %d: %s", id, n, len(upstreamSteps), a.raw)
		}
	}
	missing := func() (lost, extra int) {
		shown, _ := push.Shown()
		for i, subs := range devices {
			for _, sub := range subs {
				for tag := range expected[i] {
					if !shown[sub.ID()][tag] {
						lost++
					}
				}
				extra += len(shown[sub.ID()]) - len(expected[i])
			}
		}
		return lost, extra
	}
	deadline := time.Now().Add(90 * time.Second)
	for lost, _ := missing(); lost > 0; lost, _ = missing() {
		if time.Now().After(deadline) {
			t.Fatalf("%d (device, notification) pairs never arrived", lost)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A late duplicate has the time to show itself: the survivors finish what they hold.
	waitQueueIdle(t, c.DB, deadline)
	if lost, extra := missing(); lost != 0 || extra != 0 {
		t.Fatalf("lost %d, unexpected tags %d", lost, extra)
	}
	if errs := push.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors at the push service: %v", errs[:min(3, len(errs))])
	}

	// Every push the service accepted twice is flagged as a resend in the delivery log.
	dup := map[[2]string]int{}
	for _, m := range push.Messages() {
		dup[[2]string{m.Subscription, m.Tag}]++
	}
	repeats, unflagged := 0, 0
	for k, n := range dup {
		if n < 2 {
			continue
		}
		repeats += n - 1
		var flagged int
		if err := c.DB.QueryRow(`SELECT count(*) FROM notify_log l JOIN notify_notices n ON n.id = l.notice_id
			JOIN notify_subscriptions s ON s.id = l.subscription_id
			WHERE n.key = $1 AND s.endpoint LIKE $2 AND l.event = 'sent' AND l.resend = 1`, k[1], "%/"+k[0]).Scan(&flagged); err != nil {
			t.Fatal(err)
		}
		if flagged < n-1 {
			unflagged++
			t.Errorf("%s reached device %s %d times, %d of them flagged as resends", k[1], k[0], n, flagged)
		}
	}
	var resends int
	if err := c.DB.QueryRow(`SELECT count(*) FROM notify_log WHERE resend = 1 AND event = 'sent'`).Scan(&resends); err != nil {
		t.Fatal(err)
	}
	cr := want(t, "campaign", do2(ctx, "GET", fmt.Sprintf("%s/api/v1/admin/notify/campaigns/%d", live.Base, campID), ops, nil))(200)
	if cr.body["state"] != "done" || int(cr.body["sent"].(float64)) != 2*people {
		t.Errorf("campaign: %s; want done with %d sent", cr.raw, 2*people)
	}
	t.Logf("%d people × 2 devices, %d applications × %d steps, campaign of %d: pushes accepted %d, repeated at the service %d, resends in the log %d (campaign's count %v)",
		people, withApps, len(upstreamSteps), people, len(push.Messages()), repeats, resends, cr.body["resends"])

	// The killed replica's deliveries were finished by the survivors.
	for _, id := range held {
		var state, by string
		if err := c.DB.QueryRow(`SELECT state, claimed_by FROM jobs WHERE id = $1`, id).Scan(&state, &by); err != nil {
			t.Fatal(err)
		}
		if state != "done" || strings.Contains(by, worker) {
			t.Errorf("job %s held by the killed replica: state %s, claimed by %q", id, state, by)
		}
	}
}

// parallel runs fn(0 … n-1) on at most width goroutines and returns the first error.
func parallel(n, width int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, width)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}

// heldJobs lists the delivery jobs (one notice's or a campaign batch's) a worker (by a part of
// its claims' name) holds right now, and whether one of them is a campaign batch.
func heldJobs(t *testing.T, d *sql.DB, worker string) (ids []string, batch bool) {
	t.Helper()
	var list string
	var batches int
	if err := d.QueryRow(`SELECT coalesce(string_agg(id::text, ',' ORDER BY id), ''), count(*) FILTER (WHERE kind = $2)
		FROM jobs WHERE kind LIKE 'notify.deliver%' AND state = 'running' AND claimed_by LIKE $1`, "%"+worker+"%", notify.JobDeliverBatch).Scan(&list, &batches); err != nil {
		t.Fatal(err)
	}
	if list != "" {
		ids = strings.Split(list, ",")
	}
	return ids, batches > 0
}

// waitQueueIdle waits until no job is ready or running (the survivors took over the dead one's
// after its lease).
func waitQueueIdle(t *testing.T, d *sql.DB, deadline time.Time) {
	t.Helper()
	for {
		var n int
		if err := d.QueryRow(`SELECT count(*) FROM jobs WHERE kind LIKE 'notify.%' AND state IN ('ready', 'running')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notification jobs still pending", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
