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
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuf{}
	env := &environment{stdin: strings.NewReader(""), stdout: out, stderr: out, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, []string{"serve"}) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready in time; output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, err := http.Get("http://" + addr + "/api/v1/guides/SX-YL-012")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("guide: %v %v", err, res)
	}
	res.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d; output:\n%s", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	if !strings.Contains(out.String(), `"msg":"stopped"`) {
		t.Errorf("no shutdown log:\n%s", out.String())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("port still accepting after shutdown")
	}
}
