package voice

import (
	"container/list"
	"sync"
)

// audioCache is an LRU cache of synthesised audio bounded by the bytes it holds, so that the
// fixed sentences (greetings, the fixed replies, common answers) cost nothing after the first
// time. One entry larger than a quarter of the bound is not kept: it would push out many.
type audioCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front = most recently used; values are *cacheEntry
	byKey map[string]*list.Element
	hits  uint64
	miss  uint64
}

type cacheEntry struct {
	key   string
	audio Audio
}

func newAudioCache(maxBytes int) *audioCache {
	return &audioCache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *audioCache) get(key string) (Audio, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		c.miss++
		return Audio{}, false
	}
	c.hits++
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).audio, true
}

func (c *audioCache) put(key string, a Audio) {
	n := len(a.Data) + len(key)
	if n > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.size -= len(e.Value.(*cacheEntry).audio.Data) + len(key)
		c.order.Remove(e)
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, audio: a})
	c.size += n
	for c.size > c.max {
		old := c.order.Back()
		ce := old.Value.(*cacheEntry)
		c.order.Remove(old)
		delete(c.byKey, ce.key)
		c.size -= len(ce.audio.Data) + len(ce.key)
	}
}

// stats returns the bytes held, the entries, and the hits and misses so far.
func (c *audioCache) stats() (bytes, entries int, hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, c.order.Len(), c.hits, c.miss
}
