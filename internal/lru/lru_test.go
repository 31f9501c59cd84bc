package lru

import (
	"testing"
	"time"

	"shebao/internal/testutil"
)

func TestCache(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	var evicted []string
	c := New(Options{Size: 2, Now: clock.Now}, Options{Size: 99, TTL: time.Minute}, func(k string, v int) { evicted = append(evicted, k) })
	if c.TTL() != time.Minute || c.o.Size != 2 {
		t.Fatalf("defaults: TTL %v, size %d", c.TTL(), c.o.Size)
	}
	c.Put("a", 1)
	c.Put("b", 2)
	if v, ok := c.Get("a"); !ok || v != 1 { // a is now the most recently used
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	c.Put("c", 3) // drops b, the least recently used
	if _, ok := c.Peek("b"); ok || len(evicted) != 1 || evicted[0] != "b" || c.Len() != 2 {
		t.Fatalf("after the third entry: evicted %v, len %d", evicted, c.Len())
	}
	c.Put("a", 10) // replaces in place
	if v, _ := c.Get("a"); v != 10 || c.Len() != 2 {
		t.Fatalf("replaced a = %d, len %d", v, c.Len())
	}

	clock.Add(time.Minute)
	if v, ok := c.Peek("c"); !ok || v != 3 {
		t.Fatal("Peek must see an expired entry")
	}
	if _, ok := c.Get("c"); ok {
		t.Fatal("Get returned an expired entry")
	}
	if _, ok := c.Peek("c"); ok || evicted[len(evicted)-1] != "c" {
		t.Fatalf("an expired entry found by Get is dropped and reported: %v", evicted)
	}

	c.PutUntil("d", 4, clock.Now().Add(time.Second))
	clock.Add(999 * time.Millisecond)
	if _, ok := c.Get("d"); !ok {
		t.Fatal("entry dropped before its own deadline")
	}
	clock.Add(time.Millisecond)
	if _, ok := c.Get("d"); ok {
		t.Fatal("entry used at its deadline")
	}

	n := len(evicted)
	c.Clear()
	if c.Len() != 0 || len(evicted) != n {
		t.Fatalf("Clear: len %d, evicted %v", c.Len(), evicted)
	}
}
