// Package lru is the one bounded in-memory cache of shebao: at most Size entries, each living at
// most TTL, the least recently used dropped first. Its users (the token verifier's cache, the home
// screen's cache) hold their own lock, because they keep more state under it; a Cache is not safe
// for concurrent use on its own.
package lru

import (
	"container/list"
	"time"
)

// Options bound a cache; New fills zero fields from the user's defaults.
type Options struct {
	Size int              // entries kept, least recently used dropped first
	TTL  time.Duration    // an entry lives this long at the most
	Now  func() time.Time // time.Now
}

// Cache maps K to V within Options' bounds.
type Cache[K comparable, V any] struct {
	o       Options
	evicted func(K, V)
	m       map[K]*list.Element
	l       *list.List // front is most recently used; values are *entry[K, V]
}

type entry[K comparable, V any] struct {
	k     K
	v     V
	until time.Time // the entry is fresh strictly before this
}

// New returns an empty cache bounded by o, whose zero fields take the values in def (Now:
// time.Now). evicted, if not nil, is told of every entry the cache drops by itself (beyond Size,
// or found expired), not of those Remove and Clear drop.
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
	return &Cache[K, V]{o: o, evicted: evicted, m: map[K]*list.Element{}, l: list.New()}
}

// Now is the cache's clock.
func (c *Cache[K, V]) Now() time.Time { return c.o.Now() }

// TTL is the longest life of an entry.
func (c *Cache[K, V]) TTL() time.Duration { return c.o.TTL }

// Get returns k's value if it is there and fresh, and marks it used; an expired one is dropped.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	el, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	e := el.Value.(*entry[K, V])
	if !c.o.Now().Before(e.until) {
		c.drop(el)
		var zero V
		return zero, false
	}
	c.l.MoveToFront(el)
	return e.v, true
}

// Peek returns k's value, fresh or not, without marking it used.
func (c *Cache[K, V]) Peek(k K) (V, bool) {
	if el, ok := c.m[k]; ok {
		return el.Value.(*entry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// Put stores v under k for TTL, as the most recently used entry.
func (c *Cache[K, V]) Put(k K, v V) { c.PutUntil(k, v, c.o.Now().Add(c.o.TTL)) }

// PutUntil stores v under k, fresh strictly before until, as the most recently used entry; the
// least recently used entries beyond Size are dropped.
func (c *Cache[K, V]) PutUntil(k K, v V, until time.Time) {
	e := &entry[K, V]{k: k, v: v, until: until}
	if el, ok := c.m[k]; ok {
		el.Value = e
		c.l.MoveToFront(el)
		return
	}
	c.m[k] = c.l.PushFront(e)
	for c.l.Len() > c.o.Size {
		c.drop(c.l.Back())
	}
}

// Clear drops every entry.
func (c *Cache[K, V]) Clear() {
	clear(c.m)
	c.l.Init()
}

// Len is the number of entries, fresh or not.
func (c *Cache[K, V]) Len() int { return c.l.Len() }

// drop removes el and tells evicted.
func (c *Cache[K, V]) drop(el *list.Element) {
	e := el.Value.(*entry[K, V])
	c.l.Remove(el)
	delete(c.m, e.k)
	if c.evicted != nil {
		c.evicted(e.k, e.v)
	}
}
