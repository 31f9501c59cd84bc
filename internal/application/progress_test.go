package application

import (
	"context"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/eventlog"
)

// TestStepReachesTheStreamPastASlowConsumer: a step ingested while another consumer of the log
// is busy (a notice written per step, a catch-up after a restart) reaches the person's open
// stream at once. Before, every delivery waited behind that consumer's handler: seen on
// PostgreSQL as steps that reached no stream within 5 s.
func TestStepReachesTheStreamPastASlowConsumer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := newStack(t, d, newClock(), nil)
		p := NewProgress()
		must(p.Follow(ctx, st.log))
		gate, entered := make(chan struct{}), make(chan struct{}, 1)
		must(st.log.Register(ctx, eventlog.Consumer{Name: "slow", Topics: []string{event.ApplicationChanged}, Start: eventlog.FromHead,
			Handle: func(context.Context, event.Event) error {
				select {
				case entered <- struct{}{}:
				default:
				}
				<-gate
				return nil
			}}))
		defer close(gate)
		steps, stop := p.Watch("alice")
		defer stop()
		a := submit(t, st, "alice")
		select {
		case <-entered: // the slow consumer holds the submission's event
		case <-time.After(10 * time.Second):
			t.Fatal("the slow consumer never got the submission")
		}
		if got := must(st.svc.Ingest(ctx, step(a.ID, 1, event.StatusAccepted))); got != Applied {
			t.Fatalf("ingest = %q", got)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-steps:
				if s.ApplicationID == a.ID && s.Status == event.StatusAccepted {
					return
				}
			case <-deadline:
				t.Fatal("the step did not reach the open stream while another consumer was busy")
			}
		}
	})
}

// TestAStreamThatFallsBehindIsClosed: a stream more than streamBuffer steps behind is closed
// after the steps it holds (the client reads its applications again), never left open with
// steps silently missing; the other streams go on.
func TestAStreamThatFallsBehindIsClosed(t *testing.T) {
	p := NewProgress()
	slow, stopSlow := p.Watch("alice")
	defer stopSlow()
	other, stopOther := p.Watch("alice")
	defer stopOther()
	for i := 1; i <= streamBuffer+1; i++ {
		p.publish(event.ApplicationStep{ApplicationID: "ap1", Person: "alice", Seq: i})
		<-other // a stream that reads keeps up
	}
	n := 0
	for open := true; open; {
		select {
		case _, open = <-slow:
			if open {
				n++
			}
		case <-time.After(time.Second):
			t.Fatalf("the stream that fell behind is still open after %d steps", n)
		}
	}
	if n != streamBuffer {
		t.Fatalf("the stream that fell behind gave %d steps before closing, want the %d it held", n, streamBuffer)
	}
	p.publish(event.ApplicationStep{ApplicationID: "ap1", Person: "alice", Seq: 99})
	select {
	case s, ok := <-other:
		if !ok || s.Seq != 99 {
			t.Fatalf("the stream that kept up: %+v %v", s, ok)
		}
	case <-time.After(time.Second):
		t.Fatal("the stream that kept up got nothing more")
	}
	stopSlow() // closing a stream the hub already closed is harmless
}
