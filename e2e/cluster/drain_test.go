package cluster

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrains: on SIGTERM a replica first turns /readyz to 503 (draining) while it still
// serves requests for drain_delay, so the balancer moves traffic away before the listeners
// close; then it exits by itself.
func TestSIGTERMDrains(t *testing.T) {
	c := newCluster(t, "postgres")
	c.env = append(c.env, "SHEBAO_DRAIN_DELAY=3s")
	c.Start(1)
	r := c.Replicas[0]
	ctx := context.Background()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		rep, err := do(ctx, "GET", r.Base+"/readyz", "", nil)
		if err != nil {
			t.Fatalf("readyz during the drain: %v", err)
		}
		if rep.status == 503 && strings.Contains(string(rep.raw), "draining") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d after SIGTERM: %s", rep.status, rep.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep, err := do(ctx, "GET", r.Base+"/api/v1/guides", "", nil)
	expect(t, "a request while draining", rep, err, 200)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("replica did not exit within 30 s of SIGTERM")
	}
}
