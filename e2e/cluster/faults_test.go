package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultGate skips a fault test with the reason unless SHEBAO_TEST_FAULTS=1. Fault tests stop and
// start a PostgreSQL and a Redis of their own, never the shared ones.
func faultGate(t *testing.T) {
	t.Helper()
	if os.Getenv("SHEBAO_TEST_FAULTS") != "1" {
		t.Skip("fault test: set SHEBAO_TEST_FAULTS=1 (.ci/run does); it starts its own PostgreSQL (initdb) and Redis on other ports")
	}
}

// ownPostgres is a PostgreSQL server of the test's own, in a temporary directory.
type ownPostgres struct {
	t         *testing.T
	bin, data string
	sock      string
	port      string
}

// asPostgres runs a PostgreSQL program, as the postgres user when we are root (initdb refuses
// root).
func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func startPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no initdb under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("", "shebao-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	p := &ownPostgres{t: t, bin: filepath.Dir(bins[0]), data: filepath.Join(dir, "data"), sock: dir, port: freePort(t)}
	if out, err := asPostgres(filepath.Join(p.bin, "initdb"), "-D", p.data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		asPostgres(filepath.Join(p.bin, "pg_ctl"), "-D", p.data, "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	})
	p.start()
	return p
}

func (p *ownPostgres) ctl(args ...string) {
	p.t.Helper()
	if out, err := asPostgres(filepath.Join(p.bin, "pg_ctl"), append([]string{"-D", p.data, "-w"}, args...)...).CombinedOutput(); err != nil {
		p.t.Fatalf("pg_ctl %s: %v\n%s", args[len(args)-1], err, out)
	}
}

func (p *ownPostgres) start() {
	p.ctl("-l", filepath.Join(p.sock, "log"), "-o", fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off", p.port, p.sock), "start")
}

func (p *ownPostgres) stop() { p.ctl("-m", "fast", "stop") }

func (p *ownPostgres) url() string {
	return "postgres://postgres@127.0.0.1:" + p.port + "/postgres?sslmode=disable"
}

// ownRedis is a redis-server of the test's own on a free port.
type ownRedis struct {
	t    *testing.T
	port string
	cmd  *exec.Cmd
}

func startRedis(t *testing.T) *ownRedis {
	t.Helper()
	r := &ownRedis{t: t, port: freePort(t)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("redis-cli", "-p", r.port, "ping").Run() != nil {
		if time.Now().After(deadline) {
			r.t.Fatal("own redis-server did not answer within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *ownRedis) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Signal(syscall.SIGKILL)
		r.cmd.Wait()
		r.cmd = nil
	}
}

// waitLog waits (bounded) until replica r has logged text.
func waitLog(t *testing.T, r *Replica, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(r.Logs(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q:\n%s", r.Name, text, tail(r.Logs(), 2000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresRestartWhileServing: PostgreSQL goes away under two replicas and comes back. While
// it is down every request answers either normally (published guides are served from memory)
// or 503 with an error code; afterwards both replicas are ready again, without a restart, and a
// publish on one is searchable on the other (the LISTEN connection came back too).
func TestPostgresRestartWhileServing(t *testing.T) {
	faultGate(t)
	pg := startPostgres(t)
	c := newClusterOn(t, pg.url(), "", "postgres")
	c.Start(2)
	editor := c.Token("ed-pg", "editor,publisher")
	ctx := context.Background()
	paths := []struct{ path, token string }{{"/readyz", ""}, {"/api/v1/admin/guides", editor}, {"/api/v1/guides", ""}}

	pg.stop()
	var unavailable, ok int
	for i := 0; i < 60; i++ {
		r := c.Replicas[i%2]
		p := paths[i%len(paths)]
		rep, err := do(ctx, "GET", r.Base+p.path, p.token, nil)
		switch {
		case err != nil:
			t.Fatalf("%s %s while PostgreSQL is down: transport error %v", r.Name, p.path, err)
		case rep.status < 400:
			ok++
		case rep.status == 503 && rep.clean():
			unavailable++
		default:
			t.Fatalf("%s %s while PostgreSQL is down: %d %s; want 503 with a code", r.Name, p.path, rep.status, rep.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("while down: %d answered, %d clean 503", ok, unavailable)
	if unavailable == 0 {
		t.Fatal("no request noticed PostgreSQL was down: the test did not test anything")
	}
	pg.start()
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range c.Replicas {
		for {
			rep, err := do(ctx, "GET", r.Base+"/api/v1/admin/guides", editor, nil)
			if err == nil && rep.status == 200 && r.ready() {
				break
			}
			if !r.Alive() || time.Now().After(deadline) {
				t.Fatalf("%s did not recover after PostgreSQL came back (alive=%v)", r.Name, r.Alive())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	lat := publishAndWait(t, ctx, c.Replicas[0], c.Replicas[1], editor, "PG-BACK")
	t.Logf("after the restart: publish on r1 searchable on r2 in %v", lat.Round(time.Millisecond))
}

// TestRedisDownEventsFallBackToPolling: with Redis gone, replicas say so in their log and events
// still travel (by polling): a publish on A is searchable on B. When Redis is back they say so
// and use it again, without a restart.
func TestRedisDownEventsFallBackToPolling(t *testing.T) {
	faultGate(t)
	pgURL := os.Getenv("SHEBAO_TEST_DATABASE_URL")
	if pgURL == "" {
		t.Fatal("SHEBAO_TEST_FAULTS=1 needs SHEBAO_TEST_DATABASE_URL")
	}
	rd := startRedis(t)
	c := newClusterOn(t, pgURL, "redis://127.0.0.1:"+rd.port+"/0", "redis")
	c.env = append(c.env, "SHEBAO_LOG_LEVEL=info", "SHEBAO_LOG_FORMAT=text")
	c.Start(2)
	tok := c.Token("ops-redis", "editor,publisher")
	ctx := context.Background()
	a, b := c.Replicas[0], c.Replicas[1]
	publishAndWait(t, ctx, a, b, tok, "RD-UP")

	rd.stop()
	lat := publishAndWait(t, ctx, a, b, tok, "RD-DOWN")
	t.Logf("Redis down: publish on A searchable on B in %v (polling)", lat.Round(time.Millisecond))
	waitLog(t, a, "event signal down")

	rd.start()
	waitLog(t, b, "event signal back")
	lat = publishAndWait(t, ctx, a, b, tok, "RD-BACK")
	t.Logf("Redis back: publish on A searchable on B in %v", lat.Round(time.Millisecond))
	for _, r := range c.Replicas {
		if !r.Alive() {
			t.Fatalf("%s exited", r.Name)
		}
	}
}
