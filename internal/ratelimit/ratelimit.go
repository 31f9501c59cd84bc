// Package ratelimit holds the token-bucket limits of the chat (messages per person and per IP,
// frames per connection) and, next, of the HTTP edge. Limiter is the seam: Memory serves one
// replica; Redis shares the buckets between replicas.
package ratelimit

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

// Limiter decides whether one more event for key is allowed under r. The in-memory Memory
// serves one replica; Redis (a token bucket in a Lua script) shares limits between replicas.
type Limiter interface {
	Allow(ctx context.Context, key string, r Rate) (ok bool, retryAfter time.Duration, err error)
}

// Memory is an in-memory Limiter with one token bucket per key. Buckets that have been full
// for a while are forgotten.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*Bucket
	lastSweep time.Time
}

// Bucket is one token bucket, for a limit kept by its owner rather than in a Limiter (the
// frames of one connection). It is not safe for concurrent use.
type Bucket struct {
	tokens float64
	at     time.Time
}

// NewBucket returns a full bucket for r.
func NewBucket(r Rate, now time.Time) Bucket { return Bucket{tokens: float64(r.Burst), at: now} }

// Take refills the bucket for the time since its last use and takes one token if it has one.
// It returns false, and how long until a token is there, when it has none.
func (b *Bucket) Take(r Rate, now time.Time) (bool, time.Duration) {
	b.tokens = math.Min(float64(r.Burst), b.tokens+now.Sub(b.at).Seconds()*r.PerSecond)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / r.PerSecond * float64(time.Second))
}

// NewMemory returns an empty in-memory limiter. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, buckets: map[string]*Bucket{}}
}

// Allow takes one token from key's bucket if it has one.
func (l *Memory) Allow(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
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
		nb := NewBucket(r, now)
		b = &nb
		l.buckets[key] = b
	}
	ok, wait := b.Take(r, now)
	return ok, wait, nil
}

// sweep forgets buckets idle long enough to have refilled completely.
func (l *Memory) sweep(now time.Time, r Rate) {
	l.lastSweep = now
	full := time.Duration(float64(r.Burst)/r.PerSecond*float64(time.Second)) + time.Minute
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}
