package assistant

import (
	"context"
	"math"
	"sync"
	"time"
)

// Rate is a token bucket: Burst messages at once, refilled at PerSecond.
type Rate struct {
	Burst     int
	PerSecond float64
}

// RateLimiter decides whether one more event for key is allowed under r. The in-memory
// MemoryLimiter serves one replica; a Redis implementation (GCRA in a script) can replace it
// to share limits between replicas.
type RateLimiter interface {
	Allow(ctx context.Context, key string, r Rate) (ok bool, retryAfter time.Duration, err error)
}

// MemoryLimiter is an in-memory RateLimiter with one token bucket per key. Buckets that have
// been full for a while are forgotten.
type MemoryLimiter struct {
	now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewMemoryLimiter returns an empty in-memory limiter. now may be nil (time.Now).
func NewMemoryLimiter(now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket if it has one.
func (l *MemoryLimiter) Allow(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	if r.Burst <= 0 || r.PerSecond <= 0 {
		return true, 0, nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now, r)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(r.Burst), at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(r.Burst), b.tokens+now.Sub(b.at).Seconds()*r.PerSecond)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration((1 - b.tokens) / r.PerSecond * float64(time.Second))
	return false, wait, nil
}

// sweep forgets buckets idle long enough to have refilled completely.
func (l *MemoryLimiter) sweep(now time.Time, r Rate) {
	l.lastSweep = now
	full := time.Duration(float64(r.Burst)/r.PerSecond*float64(time.Second)) + time.Minute
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}
