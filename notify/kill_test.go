package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/queue"
	"shebao/notify/pushtest"
)

// openShared opens the service over the SQLite file at path the way the worker process does.
func openShared(t testing.TB, path, pushHost string) (*db.DB, *queue.Queue, *Service) {
	ctx := context.Background()
	d, err := db.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(ctx, d, queue.Options{Lease: 2 * time.Second, BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{DB: d, Queue: q, VAPIDSubject: "mailto:ops@shebao.gov.cn", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Endpoints: &EndpointPolicy{InsecureTestHosts: []string{pushHost}}, Concurrency: 8, QuietStart: 1, QuietEnd: 1,
		Minute: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return d, q, s
}

// TestHelperWorkerProcess is the worker process of TestKill9MidCampaign: it runs the queue
// until it is killed. It does nothing in a normal run.
func TestHelperWorkerProcess(t *testing.T) {
	path := os.Getenv("NOTIFY_HELPER_DB")
	if path == "" {
		t.Skip("only runs as the child process of TestKill9MidCampaign")
	}
	exitWithParent()
	_, _, s := openShared(t, path, os.Getenv("NOTIFY_HELPER_PUSH"))
	s.Worker("child").Run(context.Background())
}

// TestKill9MidCampaign: a 10k-person campaign whose worker process is killed with SIGKILL in
// the middle and restarted, then a second campaign during which the push service is down for a
// while: every device shows exactly one notification per campaign (0 lost, 0 shown twice), and
// the resends are counted.
func TestKill9MidCampaign(t *testing.T) {
	people := 10_000
	if testing.Short() || raceBuild {
		// Under -race (CI) the same test on fewer people; the 10k run is `go test ./notify`.
		people = 1000
		t.Logf("-short or -race: %d people", people)
	}
	push := pushtest.New()
	defer push.Close()
	path := filepath.Join(t.TempDir(), "shebao.db")
	d, _, s := openShared(t, path, push.Host())
	defer d.Close()
	ctx := context.Background()
	// Seed: people due for 资格认证, one device each.
	subs := make([]pushtest.Subscription, people)
	err := d.InTx(ctx, func(tx *db.Tx) error {
		last := certifiedFor(time.Now().AddDate(0, 0, 10)) // due in 10 days
		for i := range people {
			sub, err := push.Subscribe(s.VAPIDPublicKey())
			if err != nil {
				return err
			}
			subs[i] = sub
			p := fmt.Sprintf("p%06d", i)
			if _, err := tx.Exec(ctx, `INSERT INTO person_profiles (subject, last_certified, updated_at) VALUES (?, ?, 0)`, p, last); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notify_subscriptions (person, endpoint, p256dh, auth, vapid_key_id, created_at, seen_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, p, sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, s.cur.ID, time.Now().UnixMicro(), time.Now().UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$")
		cmd.Env = append(os.Environ(), "NOTIFY_HELPER_DB="+path, "NOTIFY_HELPER_PUSH="+push.Host())
		cmd.Stderr = os.Stderr
		if err := startChild(t, cmd); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) // a failed test leaves no worker running
		return cmd
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	pending := func() int {
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE state IN ('ready', 'running')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	in := CampaignInput{Name: "kill", Segment: SegmentCertificationDue, Kind: KindCertification, Title: "请完成资格认证",
		Body: "您的养老金领取资格认证即将到期。", WindowStart: "00:00", WindowEnd: "00:00", RatePerMinute: 1_000_000}
	check := func(c Campaign, base int) {
		t.Helper()
		shown, repeats := push.Shown()
		lost, twice := 0, 0
		for i, sub := range subs {
			tag := fmt.Sprintf("campaign:%d:p%06d", c.ID, i)
			if !shown[sub.ID()][tag] {
				lost++
			}
			if len(shown[sub.ID()]) != base {
				twice++
			}
		}
		c, _ = s.Campaign(ctx, c.ID)
		reached := devicesReached(t, d, c.ID)
		t.Logf("campaign %d: %d people, lost %d, shown twice %d; pushes repeated at the service (all campaigns so far) %d, resends counted in the log %d, log sent %d (%d devices)",
			c.ID, people, lost, twice, repeats, c.Resends, c.Sent, reached)
		if lost != 0 || twice != 0 || reached != people {
			t.Fatalf("lost %d, shown twice %d, sent to %d devices of %d", lost, twice, reached, people)
		}
		if errs := push.Errors(); len(errs) > 0 {
			t.Fatalf("protocol errors at the push service: %v", errs[:min(3, len(errs))])
		}
	}

	// 1. kill -9 in the middle of the campaign, then restart.
	c, err := s.CreateCampaign(ctx, "ops", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	child := start()
	waitFor("a third of the campaign", func() bool { return push.Received() >= int64(people/3) })
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	t.Logf("killed the worker after %d pushes", push.Received())
	child = start()
	waitFor("the campaign to finish", func() bool { c, _ := s.Campaign(ctx, c.ID); return c.State == CampaignDone && pending() == 0 })
	check(c, 1)

	// 2. The push service down for a while in the middle of the next campaign.
	before := push.Received()
	c2, _ := s.CreateCampaign(ctx, "ops", in)
	s.StartCampaign(ctx, c2.ID)
	waitFor("a third of the second campaign", func() bool { return push.Received()-before >= int64(people/3) })
	push.SetDown(true)
	time.Sleep(2 * time.Second) // the "minute" the service is down, shortened
	push.SetDown(false)
	waitFor("the second campaign to finish", func() bool { c, _ := s.Campaign(ctx, c2.ID); return c.State == CampaignDone && pending() == 0 })
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	check(c2, 2)
	var retried int
	d.QueryRow(ctx, `SELECT count(*) FROM notify_log l JOIN notify_notices n ON n.id = l.notice_id WHERE n.campaign_id = ? AND l.event = 'retried'`, c2.ID).Scan(&retried)
	t.Logf("retried while the push service was down: %d", retried)
	if retried == 0 {
		t.Fatal("the outage caused no retry: the test did not test it")
	}
}

// devicesReached is how many distinct devices (notice and subscription) of campaign have a sent
// line in the delivery log. The log's sent count may be higher: a worker that lost its lease
// mid-chunk and still recorded, and the worker that took the job over, both log a send (the
// resend the guarantee allows; the tag keeps the screen right).
func devicesReached(t testing.TB, d *db.DB, campaign int64) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT DISTINCT l.notice_id, l.subscription_id FROM notify_log l
		JOIN notify_notices n ON n.id = l.notice_id WHERE n.campaign_id = ? AND l.event = 'sent') x`, campaign).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
