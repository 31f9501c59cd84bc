package testutil

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLogBufferKeepsConcurrentWrites(t *testing.T) {
	var l LogBuffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Logger().Info("hello", "k", "v")
		}()
	}
	wg.Wait()
	if got := strings.Count(l.String(), `"msg":"hello"`); got != 8 {
		t.Fatalf("want 8 records, got %d in %q", got, l.String())
	}
}

func TestClockMovesOnlyWhenAdded(t *testing.T) {
	start := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("now %v, want %v", c.Now(), start)
	}
	c.Add(90 * time.Second)
	if want := start.Add(90 * time.Second); !c.Now().Equal(want) {
		t.Fatalf("now %v, want %v", c.Now(), want)
	}
}

// TestRunUntilStopsTheRunnerOnceDone: the runner works until the condition holds, is then
// cancelled, and has returned by the time RunUntil does.
func TestRunUntilStopsTheRunnerOnceDone(t *testing.T) {
	var steps atomic.Int64
	var returned atomic.Bool
	run := func(ctx context.Context) {
		defer returned.Store(true)
		for ctx.Err() == nil {
			steps.Add(1)
			time.Sleep(time.Millisecond)
		}
	}
	before := time.Now()
	at := RunUntil(context.Background(), run, func() bool { return steps.Load() >= 3 })
	if !returned.Load() {
		t.Fatal("RunUntil returned while the runner was still running")
	}
	if steps.Load() < 3 {
		t.Fatalf("%d steps, want at least 3", steps.Load())
	}
	if at.Before(before) || at.After(time.Now()) {
		t.Fatalf("done seen at %v, outside the call", at)
	}
}
