package wake

import (
	"testing"
	"time"
)

// TestNudgesFold: nudges given while one is pending fold into it; Wait takes it, then waits for
// the tick or the other source, and stops on stop.
func TestNudgesFold(t *testing.T) {
	c := New()
	c.Wake()
	c.Wake() // must not block
	if len(c) != 1 {
		t.Fatalf("pending nudges %d, want 1", len(c))
	}
	if !c.Wait(nil, nil, nil) || len(c) != 0 {
		t.Fatalf("the nudge was not taken: %d left", len(c))
	}
	tick := make(chan time.Time, 1)
	tick <- time.Time{}
	if !c.Wait(nil, tick, nil) {
		t.Fatal("tick did not run the loop")
	}
	more := make(chan struct{}, 1)
	more <- struct{}{}
	if !c.Wait(nil, nil, more) {
		t.Fatal("the other source did not run the loop")
	}
	stop := make(chan struct{})
	close(stop)
	if c.Wait(stop, nil, nil) {
		t.Fatal("Wait ran after stop")
	}
}
