package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"shebao/internal/dbtest"
)

// testRedis is the shared Redis of the gated tests (dbtest.Redis).
func testRedis(t *testing.T) *redis.Client { return dbtest.Redis(t) }

func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "test:rl:" + hex.EncodeToString(b) + ":"
}

// TestRedisLimitIsSharedAcrossReplicas: two limiters (two replicas) on one Redis take from one
// bucket, so the burst is shared, not doubled; another key has its own bucket.
func TestRedisLimitIsSharedAcrossReplicas(t *testing.T) {
	rdb := testRedis(t)
	prefix := randomPrefix()
	a, b := NewRedis(rdb, prefix, nil), NewRedis(rdb, prefix, nil)
	ctx := context.Background()
	r := Rate{Burst: 3, PerSecond: 0.001} // no refill within the test
	for i, l := range []*Redis{a, b, a} {
		if ok, _, err := l.Allow(ctx, "user:1", r); err != nil || !ok {
			t.Fatalf("message %d refused (ok=%v err=%v)", i+1, ok, err)
		}
	}
	ok, wait, err := b.Allow(ctx, "user:1", r)
	if err != nil || ok {
		t.Fatalf("4th message across replicas allowed (ok=%v err=%v); the burst is 3", ok, err)
	}
	if wait < 500*time.Second {
		t.Errorf("retry after %v, want about 1000 s at 0.001/s", wait)
	}
	if ok, _, _ := b.Allow(ctx, "user:2", r); !ok {
		t.Error("another key shares the bucket")
	}
	if a.Down() || b.Down() {
		t.Error("limiter reports Redis down while it answers")
	}
}

// TestRedisDownFallsBackToMemory: with Redis unreachable the limiter still limits (per replica)
// and reports the fallback.
func TestRedisDownFallsBackToMemory(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer dead.Close()
	l := NewRedis(dead, randomPrefix(), nil)
	ctx := context.Background()
	r := Rate{Burst: 2, PerSecond: 0.001}
	for i := 0; i < 2; i++ {
		if ok, _, err := l.Allow(ctx, "ip:1", r); err != nil || !ok {
			t.Fatalf("message %d refused with Redis down (ok=%v err=%v)", i+1, ok, err)
		}
	}
	if ok, _, _ := l.Allow(ctx, "ip:1", r); ok {
		t.Fatal("3rd message allowed: the memory fallback does not limit")
	}
	if !l.Down() {
		t.Fatal("limiter does not report the fallback")
	}
}
