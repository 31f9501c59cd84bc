// Package cluster runs several replicas of the real shebao binary on loopback ports against one
// PostgreSQL schema and one Redis, and drives them with a small bounded load client: the checks
// of issue #25 that span processes (work sharing, cross-replica events, kill -9 of a replica).
// It runs when SHEBAO_TEST_CLUSTER=1 with SHEBAO_TEST_DATABASE_URL and SHEBAO_TEST_REDIS_URL set
// (.ci/run sets all three).
package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"shebao/internal/testutil"
)

// gate skips the test with the reason unless the cluster environment is configured.
func gate(t *testing.T) (pgURL, redisURL string) {
	t.Helper()
	if os.Getenv("SHEBAO_TEST_CLUSTER") != "1" {
		t.Skip("cluster test: set SHEBAO_TEST_CLUSTER=1 with SHEBAO_TEST_DATABASE_URL and SHEBAO_TEST_REDIS_URL (.ci/run does)")
	}
	pgURL, redisURL = os.Getenv("SHEBAO_TEST_DATABASE_URL"), os.Getenv("SHEBAO_TEST_REDIS_URL")
	if pgURL == "" || redisURL == "" {
		t.Fatal("SHEBAO_TEST_CLUSTER=1 needs SHEBAO_TEST_DATABASE_URL and SHEBAO_TEST_REDIS_URL")
	}
	return pgURL, redisURL
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/shebao once per test process (without -race: these are the replicas as
// deployed).
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shebao-cluster-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "shebao")
		cmd := exec.Command("go", "build", "-o", binPath, "shebao/cmd/shebao")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Cluster is a set of replicas over one fresh PostgreSQL schema.
type Cluster struct {
	t        *testing.T
	DB       *sql.DB // the cluster's schema, for checks that read the store directly
	dbURL    string
	redisURL string
	Replicas []*Replica
	env      []string
	// dir holds the replicas' data directories. It is made before the cleanup that kills the
	// replicas is registered, so that its removal runs after it: a data directory made later
	// (t.TempDir in Start) was removed while its replica still wrote its search index
	// ("directory not empty", a CI failure).
	dir string
}

// Replica is one running shebao process.
type Replica struct {
	Name string
	Base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	out  *testutil.LogBuffer // stdout and stderr
	done chan struct{}
}

// Logs returns what the process wrote so far.
func (r *Replica) Logs() string {
	return r.out.String()
}

// Alive reports whether the process is still running.
func (r *Replica) Alive() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// newCluster makes a fresh schema and the environment of its replicas; signal is the
// events_signal every replica uses (redis, postgres or none).
func newCluster(t *testing.T, signal string) *Cluster {
	pgURL, redisURL := gate(t)
	return newClusterOn(t, pgURL, redisURL, signal)
}

// newClusterOn is newCluster on the given PostgreSQL server and Redis (a fault test's own).
func newClusterOn(t *testing.T, pgURL, redisURL, signal string) *Cluster {
	b := make([]byte, 5)
	rand.Read(b)
	schema := "cluster_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, DB: d, dbURL: u.String(), redisURL: redisURL, dir: t.TempDir()}
	c.env = append(os.Environ(), "DATABASE_URL="+c.dbURL, "SHEBAO_EVENTS_SIGNAL="+signal,
		"SHEBAO_LOG_LEVEL=warn", "SHEBAO_SEED=true", "SHEBAO_SHUTDOWN_TIMEOUT=5s")
	if signal == "redis" {
		c.env = append(c.env, "REDIS_URL="+redisURL)
	}
	t.Cleanup(func() {
		for _, r := range c.Replicas {
			r.kill()
		}
		if t.Failed() {
			for _, r := range c.Replicas {
				t.Logf("--- %s log:\n%s", r.Name, tail(r.Logs(), 3000))
			}
		}
		d.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Start launches n replicas at once (on an empty schema they race for migrations and the seed)
// and waits until every one answers /readyz.
func (c *Cluster) Start(n int) {
	bin := binary(c.t)
	for i := 0; i < n; i++ {
		port := freePort(c.t)
		r := &Replica{Name: fmt.Sprintf("r%d", len(c.Replicas)+1), Base: "http://127.0.0.1:" + port, out: &testutil.LogBuffer{}, done: make(chan struct{})}
		r.cmd = exec.Command(bin, "serve")
		r.cmd.Env = append(append([]string(nil), c.env...), "SHEBAO_ADDR=127.0.0.1:"+port, "SHEBAO_DATA_DIR="+c.dataDir())
		r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
		if err := r.cmd.Start(); err != nil {
			c.t.Fatal(err)
		}
		go func() { r.cmd.Wait(); close(r.done) }()
		c.Replicas = append(c.Replicas, r)
	}
	deadline := time.Now().Add(90 * time.Second)
	for _, r := range c.Replicas {
		for !r.ready() {
			select {
			case <-r.done:
				c.t.Fatalf("replica %s exited during start:\n%s", r.Name, tail(r.Logs(), 3000))
			default:
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("replica %s not ready after 90 s", r.Name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// dataDir makes a new data directory under the cluster's.
func (c *Cluster) dataDir() string {
	d, err := os.MkdirTemp(c.dir, "data")
	if err != nil {
		c.t.Fatal(err)
	}
	return d
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func (r *Replica) ready() bool {
	resp, err := client.Get(r.Base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// kill stops the process at once, as a crash or an OOM kill would (SIGKILL).
func (r *Replica) kill() {
	if r.cmd.Process != nil {
		r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
	}
}

// Token mints a token with the CLI against the cluster's database: the signing keys live there,
// so every replica accepts it.
func (c *Cluster) Token(subject, roles string) string {
	cmd := exec.Command(binary(c.t), "token", "--subject", subject, "--role", roles, "--ttl", "1h")
	cmd.Env = append(append([]string(nil), c.env...), "SHEBAO_DATA_DIR="+c.dataDir())
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("shebao token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// reply is one HTTP answer.
type reply struct {
	status int
	body   map[string]any
	raw    []byte
}

// do sends one request; err is a transport error (connection refused, reset, timeout).
func do(ctx context.Context, method, u, token string, body any) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

// clean reports whether a non-2xx answer is a clean error: a JSON body with a machine code.
func (r reply) clean() bool {
	if r.status < 400 {
		return true
	}
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	if code == "" {
		code, _ = r.body["code"].(string)
	}
	return code != ""
}

// guideDoc is a complete guide whose name carries word, so a search for word finds only it.
func guideDoc(code, word string) map[string]any {
	return map[string]any{
		"code": code, "name": "集群测试事项" + word, "aliases": []string{word}, "category": "pension", "audience": []string{"person"},
		"region": "陕西省", "item_type": "公共服务", "summary": "集群测试用的事项 " + word, "basis": []map[string]any{{"law": "《社会保险法》"}},
		"conditions": []string{"条件"}, "materials": []map[string]any{{"name": "身份证", "form": "原件", "copies": 1, "source": "申请人自备"}},
		"steps": []map[string]any{{"title": "申请", "detail": ""}}, "channels": []map[string]any{{"type": "window", "where": "经办大厅"}},
		"locations": []map[string]any{{"name": "经办大厅", "hours": "工作日"}}, "time_limit": map[string]any{"statutory": "20个工作日", "promised": "10个工作日"},
		"visits": 1, "fee": map[string]any{"charged": false, "standard": "不收费"}, "delivery": "窗口领取", "phone": "12333", "complaint": "12345",
		"faq": []map[string]any{},
	}
}

// randWord is a lowercase ASCII word unlikely to occur in any guide.
func randWord() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "zq" + hex.EncodeToString(b)
}

// want returns a check that fails the test unless the call answered status.
func want(t *testing.T, what string, call func() (reply, error)) func(status int) reply {
	return func(status int) reply {
		t.Helper()
		r, err := call()
		return expect(t, what, r, err, status)
	}
}

func expect(t *testing.T, what string, r reply, err error, status int) reply {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
	return r
}

// found reports whether a search for word on replica r lists code.
func found(ctx context.Context, r *Replica, word, code string) bool {
	rep, err := do(ctx, "GET", r.Base+"/api/v1/search?q="+url.QueryEscape(word), "", nil)
	if err != nil || rep.status != 200 {
		return false
	}
	res, _ := rep.body["results"].([]any)
	for _, x := range res {
		if m, _ := x.(map[string]any); m["code"] == code {
			return true
		}
	}
	return false
}
