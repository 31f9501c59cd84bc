package testutil

import (
	"context"
	"testing"

	"shebao/internal/eventlog"
)

// CountEvents is how many of the first 10000 events in the log have topic and key.
func CountEvents(t testing.TB, l *eventlog.Log, topic, key string) int {
	t.Helper()
	evs, err := l.Read(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Topic == topic && ev.Key == key {
			n++
		}
	}
	return n
}
