// Package testutil holds the small helpers that tests of several packages share, so each package
// does not keep its own copy.
package testutil

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LogBuffer is a log sink that concurrent handlers may write to while a test reads it.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p under the lock.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Await returns everything written once it contains every one of subs, or what there is after
// within has passed (lines logged just after a reply reached the test are waited for, not raced).
func (l *LogBuffer) Await(within time.Duration, subs ...string) string {
	deadline := time.Now().Add(within)
	for {
		s := l.String()
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(s, sub)
		}
		if all || time.Now().After(deadline) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Logger is a JSON logger at debug level that writes into the buffer.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Clock is a time source tests move by hand; its Now method is what services take as their clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// RunUntil runs run in the background until done holds (looked at every 5ms), then cancels its
// context and waits for it to return. It returns when done was first seen to hold, so a
// benchmark's timing leaves out the shutdown.
func RunUntil(ctx context.Context, run func(ctx context.Context), done func() bool) time.Time {
	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() { run(ctx); close(finished) }()
	for !done() {
		time.Sleep(5 * time.Millisecond)
	}
	at := time.Now()
	cancel()
	<-finished
	return at
}
