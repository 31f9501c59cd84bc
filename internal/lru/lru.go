// Package lru is the one bounded in-memory cache of shebao: at most Size entries, each living at
// most TTL, a recently used entry kept over one not used since the last sweep (CLOCK, the
// second-chance approximation of least-recently-used). Its users (the token verifier's cache, the
// home screen's cache) hold their own lock, because they keep more state under it; a Cache is not
// safe for concurrent use on its own.
//
// CLOCK rather than a list in use order: a hit only sets the entry's bit, where moving a list
// element touched it, its two neighbours and the list's head — on a hundred thousand entries, cache
// misses on every request of the home screen (a tenth of a cached request's CPU with the map).
package lru

import "time"

// Options bound a cache; New fills zero fields from the user's defaults.
type Options struct {
	Size int              // entries kept, one not used recently dropped first
	TTL  time.Duration    // an entry lives this long at the most
	Now  func() time.Time // time.Now
}

// Cache maps K to V within Options' bounds.
type Cache[K comparable, V any] struct {
	o       Options
	evicted func(K, V)
	m       map[K]int // index in slots
	slots   []slot[K, V]
	free    []int // slots emptied by drop, reused first
	hand    int   // where the next eviction sweep starts
}

type slot[K comparable, V any] struct {
	k     K
	v     V
	until time.Time // the entry is fresh strictly before this
	used  bool      // holds an entry
	ref   bool      // used since the sweep last passed
}

// New returns an empty cache with o's bounds, zero fields taken from def; evicted, when not nil,
// is called with each entry the cache drops by itself (size, expiry), not on Clear.
func New[K comparable, V any](o, def Options, evicted func(K, V)) *Cache[K, V] {
	if o.Size <= 0 {
		o.Size = def.Size
	}
	if o.TTL <= 0 {
		o.TTL = def.TTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache[K, V]{o: o, evicted: evicted, m: map[K]int{}}
}

// Now is the cache's clock.
func (c *Cache[K, V]) Now() time.Time { return c.o.Now() }

// TTL is the cache's longest entry life.
func (c *Cache[K, V]) TTL() time.Duration { return c.o.TTL }

// Get returns k's value if present and fresh, marking it used; an expired entry is dropped.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	i, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	s := &c.slots[i]
	if !c.o.Now().Before(s.until) {
		c.drop(i)
		var zero V
		return zero, false
	}
	s.ref = true
	return s.v, true
}

// Peek returns k's value if present, fresh or not, without marking it used.
func (c *Cache[K, V]) Peek(k K) (V, bool) {
	if i, ok := c.m[k]; ok {
		return c.slots[i].v, true
	}
	var zero V
	return zero, false
}

// Put stores v for k for TTL.
func (c *Cache[K, V]) Put(k K, v V) { c.PutUntil(k, v, c.o.Now().Add(c.o.TTL)) }

// PutUntil stores v for k until the given time, dropping an entry not used recently when full.
func (c *Cache[K, V]) PutUntil(k K, v V, until time.Time) {
	if i, ok := c.m[k]; ok {
		s := &c.slots[i]
		s.v, s.until, s.ref = v, until, true
		return
	}
	var i int
	switch {
	case len(c.free) > 0:
		i = c.free[len(c.free)-1]
		c.free = c.free[:len(c.free)-1]
	case len(c.slots) < c.o.Size:
		c.slots = append(c.slots, slot[K, V]{})
		i = len(c.slots) - 1
	default:
		i = c.victim()
	}
	c.slots[i] = slot[K, V]{k: k, v: v, until: until, used: true}
	c.m[k] = i
}

// victim sweeps from the hand, clearing the used bits it passes, to the first entry not used
// since the last sweep, drops it and returns its slot (the cache is full: every slot is in use).
func (c *Cache[K, V]) victim() int {
	for {
		i := c.hand
		c.hand = (c.hand + 1) % len(c.slots)
		if s := &c.slots[i]; s.ref {
			s.ref = false
			continue
		}
		c.drop(i)
		c.free = c.free[:len(c.free)-1] // drop freed it: it is taken at once
		return i
	}
}

// Clear drops every entry without calling evicted.
func (c *Cache[K, V]) Clear() {
	clear(c.m)
	c.slots, c.free, c.hand = c.slots[:0], c.free[:0], 0
}

// Len is the number of entries held, fresh or not.
func (c *Cache[K, V]) Len() int { return len(c.m) }

func (c *Cache[K, V]) drop(i int) {
	s := &c.slots[i]
	k, v := s.k, s.v
	delete(c.m, k)
	*s = slot[K, V]{}
	c.free = append(c.free, i)
	if c.evicted != nil {
		c.evicted(k, v)
	}
}
