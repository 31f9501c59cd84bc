// Command campaignrep runs a reminder campaign to --people people (one push device each) through
// --replicas replicas of the real binary that share the notification queue on one fresh
// PostgreSQL schema and Redis, against the fake push service (notify/pushtest, allowed through
// SHEBAO_PUSH_INSECURE_TEST_HOSTS), and prints how long it took, the push rate, the devices that
// got no push or more than one, the resends, and the store's bytes per notice, log row and job
// (BENCHMARKS.md, issue #25). --kill F kills the last replica with SIGKILL once a fraction F of
// the pushes were sent, to see the survivors take its work over.
//
//	go build -o /tmp/shebao ./cmd/shebao
//	go run ./bench/campaignrep --bin /tmp/shebao --people 1000000 --replicas 2
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"shebao/internal/bulk"
	"shebao/internal/db"
	"shebao/notify/pushtest"
)

type options struct {
	bin, pg, redis  string
	people, n       int
	verify, keep    bool
	kill            float64
	timeout         time.Duration
	queueLease, dir string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "the shebao binary (go build -o … ./cmd/shebao)")
	flag.StringVar(&o.pg, "database-url", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server; a fresh schema is made in it")
	flag.StringVar(&o.redis, "redis-url", "redis://127.0.0.1:6379/0", "Redis shared by the replicas")
	flag.IntVar(&o.people, "people", 1_000_000, "people in the campaign, one device each")
	flag.IntVar(&o.n, "replicas", 2, "replicas sharing the queue")
	flag.BoolVar(&o.verify, "verify", false, "the push service checks VAPID and decrypts every push (costs CPU on this machine)")
	flag.Float64Var(&o.kill, "kill", 0, "kill the last replica with SIGKILL when this fraction of the pushes was sent (0 = never)")
	flag.StringVar(&o.queueLease, "queue-lease", "30s", "SHEBAO_QUEUE_LEASE of the replicas")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Hour, "give up after")
	flag.BoolVar(&o.keep, "keep", false, "keep the schema (its name is printed)")
	flag.Parse()
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "campaignrep: --bin is required")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "campaignrep:", err)
		os.Exit(1)
	}
}

// replica is one running server.
type replica struct {
	base string
	cmd  *exec.Cmd
	done chan struct{}
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	var err error
	if o.dir, err = os.MkdirTemp("", "campaignrep-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.dir)
	schema, dburl, drop, err := db.FreshSchema(ctx, o.pg, "bench_camp_")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Println("schema kept:", schema)
			return
		}
		drop()
	}()

	push := pushtest.New()
	defer push.Close()
	push.Verify.Store(o.verify)
	env := append(os.Environ(), "DATABASE_URL="+dburl, "REDIS_URL="+o.redis, "SHEBAO_LOG_LEVEL=warn", "SHEBAO_SIMULATOR_STEP=24h",
		"SHEBAO_PUSH_VAPID_SUBJECT=mailto:ops@shebao.gov.cn", "SHEBAO_PUSH_INSECURE_TEST_HOSTS="+push.Host(), "SHEBAO_QUEUE_LEASE="+o.queueLease)
	var reps []*replica
	defer func() {
		for _, r := range reps {
			r.cmd.Process.Signal(syscall.SIGTERM)
			<-r.done
		}
	}()
	for i := range o.n {
		r, err := startReplica(o, env, i)
		if err != nil {
			return err
		}
		reps = append(reps, r)
		if err := r.waitReady(ctx); err != nil {
			return err
		}
	}
	d, err := db.OpenPostgres(ctx, dburl)
	if err != nil {
		return err
	}
	defer d.Close()
	t0 := time.Now()
	if err := fill(ctx, d, push, o.people); err != nil {
		return err
	}
	fmt.Printf("filled %d people with a device each in %s\n", o.people, time.Since(t0).Round(time.Millisecond))

	tokCmd := exec.Command(o.bin, "token", "--subject", "ops-campaignrep", "--role", "publisher", "--ttl", "24h")
	tokCmd.Env = append(env, "SHEBAO_DATA_DIR="+filepath.Join(o.dir, "token"))
	tok, err := tokCmd.Output()
	if err != nil {
		return fmt.Errorf("shebao token: %w", err)
	}
	token := strings.TrimSpace(string(tok))
	var c campaign
	if err := call(ctx, "POST", reps[0].base+"/api/v1/admin/notify/campaigns", token, map[string]any{
		"name": "资格认证提醒（压测）", "segment": "certification_due_30d", "kind": "certification", "title": "请完成资格认证",
		"body": "您的养老金领取资格认证即将到期，请在30天内完成认证。", "window_start": "00:00", "window_end": "00:00", "rate_per_minute": 1_000_000,
	}, &c); err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/admin/notify/campaigns/%d", c.ID)
	if err := call(ctx, "POST", reps[0].base+path+"/start", token, map[string]any{}, &c); err != nil {
		return err
	}
	t0 = time.Now()
	killed, last := false, time.Now()
	for ctx.Err() == nil {
		time.Sleep(time.Second)
		if err := call(ctx, "GET", reps[0].base+path, token, nil, &c); err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			fmt.Printf("  %s: enqueued %d, sent %d, resends %d, pushes at the service %d\n", time.Since(t0).Round(time.Second), c.Enqueued, c.Sent, c.Resends, push.Received())
		}
		if o.kill > 0 && !killed && float64(c.Sent) >= o.kill*float64(o.people) {
			victim := reps[len(reps)-1]
			victim.cmd.Process.Signal(syscall.SIGKILL)
			<-victim.done
			killed = true
			fmt.Printf("  killed replica %d (SIGKILL) at sent %d\n", len(reps), c.Sent)
		}
		if c.State == "done" && c.Sent+c.Failed+c.Dropped+c.InboxOnly >= o.people {
			break
		}
	}
	took := time.Since(t0)
	if ctx.Err() != nil {
		// Timed out: the figures so far, and the store as it stands.
		fmt.Printf("NOT DONE after %s (--timeout): ", o.timeout)
		ctx = context.Background()
	}
	got := map[string]int{}
	for _, m := range push.Messages() {
		got[m.Subscription]++
	}
	twice := 0
	for _, n := range got {
		twice += min(n-1, 1)
	}
	fmt.Printf("campaign of %d people, %d replicas: %s, %.0f pushes/s; sent %d, failed %d, dropped %d, inbox only %d; devices without a push %d, with more than one %d; resends %d; killed: %v\n",
		o.people, o.n, took.Round(time.Second), float64(c.Sent)/took.Seconds(), c.Sent, c.Failed, c.Dropped, c.InboxOnly,
		o.people-len(got), twice, c.Resends, killed)
	if err := sizes(ctx, d); err != nil {
		return err
	}
	out, _ := exec.Command("uptime").Output()
	fmt.Print("uptime: ", string(out))
	return nil
}

func startReplica(o options, env []string, i int) (*replica, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(o.dir, fmt.Sprintf("r%d.log", i+1)))
	if err != nil {
		return nil, err
	}
	r := &replica{base: "http://" + addr, cmd: exec.Command(o.bin, "serve"), done: make(chan struct{})}
	r.cmd.Env = append(env, "SHEBAO_ADDR="+addr, "SHEBAO_DATA_DIR="+filepath.Join(o.dir, fmt.Sprintf("r%d", i+1)))
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { r.cmd.Wait(); logf.Close(); close(r.done) }()
	return r, nil
}

func (r *replica) waitReady(ctx context.Context) error {
	for {
		if resp, err := http.Get(r.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-r.done:
			return fmt.Errorf("replica %s exited during start", r.base)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// fill puts n people in the campaign's segment (资格认证 due in 10 days), without quiet hours,
// each with one device at the push service signed up for the replicas' VAPID key.
func fill(ctx context.Context, d *db.DB, push *pushtest.Server, n int) error {
	var keyID int64
	var pub string
	if err := d.QueryRow(ctx, `SELECT id, public_key FROM notify_vapid_keys WHERE current = 1`).Scan(&keyID, &pub); err != nil {
		return fmt.Errorf("the replicas' VAPID key: %w", err)
	}
	person := func(i int) string { return fmt.Sprintf("camp-%07d", i) }
	certified := time.Now().UTC().Add(8*time.Hour).AddDate(-1, 0, 10).Format(time.DateOnly) // due in 10 days
	now := time.Now().UnixMicro()
	if err := bulk.Insert(ctx, d, "person_profiles", []string{"subject", "last_certified", "updated_at"}, n, func(i int) []any {
		return []any{person(i), certified, now}
	}); err != nil {
		return err
	}
	if err := bulk.Insert(ctx, d, "notify_settings", []string{"person", "quiet_start", "quiet_end", "updated_at"}, n, func(i int) []any {
		return []any{person(i), 0, 0, now}
	}); err != nil {
		return err
	}
	var subErr error
	err := bulk.Insert(ctx, d, "notify_subscriptions", []string{"person", "endpoint", "p256dh", "auth", "vapid_key_id", "created_at", "seen_at"}, n, func(i int) []any {
		s, err := push.Subscribe(pub)
		subErr = errors.Join(subErr, err)
		return []any{person(i), s.Endpoint, s.Keys.P256dh, s.Keys.Auth, keyID, now, now}
	})
	return errors.Join(subErr, err)
}

// sizes prints the bytes per row (table, indexes and TOAST) of the notification tables.
func sizes(ctx context.Context, d *db.DB) error {
	for _, t := range []string{"notify_notices", "notify_log", "jobs", "notify_subscriptions", "person_profiles"} {
		var rows, bytes int64
		if err := d.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), pg_total_relation_size('%s') FROM %[1]s`, t)).Scan(&rows, &bytes); err != nil {
			return err
		}
		fmt.Printf("  %s: %d rows, %d bytes, %d per row\n", t, rows, bytes, bytes/max(rows, 1))
	}
	return nil
}

type campaign struct {
	ID        int64  `json:"id"`
	State     string `json:"state"`
	Enqueued  int    `json:"enqueued"`
	Sent      int    `json:"sent"`
	Failed    int    `json:"failed"`
	Dropped   int    `json:"dropped"`
	InboxOnly int    `json:"inbox_only"`
	Resends   int    `json:"resends"`
}

// call sends one JSON request and decodes a 2xx answer into out.
func call(ctx context.Context, method, u, token string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e bytes.Buffer
		e.ReadFrom(resp.Body)
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, e.String())
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
