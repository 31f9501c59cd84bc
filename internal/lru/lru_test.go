package lru

import (
	"math/rand/v2"
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

// TestSecondChance: when full, an entry used since the last sweep stays and one not used goes;
// a used entry loses its mark when the sweep passes it, and goes next time unless used again.
func TestSecondChance(t *testing.T) {
	var evicted []string
	c := New(Options{Size: 3}, Options{TTL: time.Hour}, func(k string, _ int) { evicted = append(evicted, k) })
	c.Put("a", 1)
	c.Put("b", 2)
	c.Put("c", 3)
	c.Get("a")
	c.Get("c")
	c.Put("d", 4) // the sweep clears a's mark and takes b, not used
	c.Put("e", 5) // it clears c's mark and takes a, not used since its mark was cleared
	if len(evicted) != 2 || evicted[0] != "b" || evicted[1] != "a" {
		t.Fatalf("evicted %v, want [b a]", evicted)
	}
	if v, ok := c.Get("c"); !ok || v != 3 {
		t.Errorf("c, used before the sweeps, was dropped")
	}
	for _, k := range evicted {
		if _, ok := c.Peek(k); ok {
			t.Errorf("%s evicted but still found", k)
		}
	}
	if c.Len() != 3 {
		t.Errorf("len %d, want 3", c.Len())
	}
}

// TestBoundsAndValues: under a random mix of puts, gets and expiries the cache never holds more
// than Size entries, and whatever Get returns is the last value put for that key.
func TestBoundsAndValues(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	c := New[int, int](Options{Size: 50, TTL: time.Minute, Now: clock.Now}, Options{}, nil)
	last := map[int]int{}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		k := int(r.ExpFloat64() * 40)
		switch r.IntN(3) {
		case 0:
			c.Put(k, i)
			last[k] = i
		case 1:
			if v, ok := c.Get(k); ok && v != last[k] {
				t.Fatalf("Get(%d) = %d, last put %d", k, v, last[k])
			}
		default:
			clock.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		}
		if c.Len() > 50 {
			t.Fatalf("%d entries, size 50", c.Len())
		}
	}
}
