package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	l := NewMemory(func() time.Time { return now })
	r := Rate{Burst: 3, PerSecond: 2}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _, _ := l.Allow(ctx, "a", r); !ok {
			t.Fatalf("burst message %d refused", i)
		}
	}
	ok, wait, _ := l.Allow(ctx, "a", r)
	if ok || wait != 500*time.Millisecond {
		t.Errorf("over the burst: ok %v wait %v", ok, wait)
	}
	if ok, _, _ := l.Allow(ctx, "b", r); !ok {
		t.Error("another key is affected")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _, _ := l.Allow(ctx, "a", r); !ok {
		t.Error("token not refilled after 500ms")
	}
	now = now.Add(time.Hour)
	l.Allow(ctx, "c", r) // sweeps
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
}

func TestBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	r := Rate{Burst: 2, PerSecond: 4}
	b := NewBucket(r, now)
	for i := 0; i < 2; i++ {
		if ok, _ := b.Take(r, now); !ok {
			t.Fatalf("token %d refused", i)
		}
	}
	if ok, wait := b.Take(r, now); ok || wait != 250*time.Millisecond {
		t.Fatalf("empty bucket: ok %v wait %v", ok, wait)
	}
	if ok, _ := b.Take(r, now.Add(250*time.Millisecond)); !ok {
		t.Error("no token after refilling for one period")
	}
}
