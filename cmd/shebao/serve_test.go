package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"shebao/internal/testutil"
)

// lockedBuf is a log sink safe for concurrent writers.
type lockedBuf = testutil.LogBuffer

// serveBackground starts `shebao serve` with vars as its environment and returns its output, the
// channel its exit code arrives on, and the cancel that stops it (SIGINT/SIGTERM in main).
func serveBackground(vars map[string]string) (*lockedBuf, <-chan int, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuf{}
	env := &environment{stdin: strings.NewReader(""), stdout: out, stderr: out, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, []string{"serve"}) }()
	return out, done, cancel
}

// waitReady polls addr's /readyz until it answers 200; the test fails when serve exits first or
// is not ready in time (a hang detector, not a speed bound: a loaded machine may take long).
func waitReady(t *testing.T, addr string, out *lockedBuf, done <-chan int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before it was ready:\n%s", code, out.String())
		default:
		}
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready in time; output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopServe cancels serve and checks that it exits 0 within the drain time.
func stopServe(t *testing.T, cancel context.CancelFunc, done <-chan int, out *lockedBuf) {
	t.Helper()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d; output:\n%s", code, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop after cancellation")
	}
}

// serveUntilReady runs `shebao serve` until /readyz answers 200, calls check, stops the server
// and returns its output.
func serveUntilReady(t *testing.T, vars map[string]string, addr string, check func()) string {
	t.Helper()
	out, done, cancel := serveBackground(vars)
	defer cancel()
	waitReady(t, addr, out, done)
	check()
	stopServe(t, cancel, done, out)
	return out.String()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeStartsReadyAndStopsOnSignal runs the real serve command: it becomes ready on an empty
// data dir, serves the seeded guides, and on cancellation (SIGINT/SIGTERM in main) drains and
// exits 0.
func TestServeStartsReadyAndStopsOnSignal(t *testing.T) {
	addr := freeAddr(t)
	vars := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_ADDR": addr, "SHEBAO_SHUTDOWN_TIMEOUT": "5s"}
	out := serveUntilReady(t, vars, addr, func() {
		res, err := http.Get("http://" + addr + "/api/v1/guides/SX-YL-012")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("guide: %v %v", err, res)
		}
		res.Body.Close()
	})
	if !strings.Contains(out, `"msg":"stopped"`) {
		t.Errorf("no shutdown log:\n%s", out)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("port still accepting after shutdown")
	}
}
