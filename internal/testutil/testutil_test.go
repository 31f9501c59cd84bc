package testutil

import (
	"strings"
	"sync"
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
