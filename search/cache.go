package search

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"
)

// resultCache keeps recent result pages, keyed by the analysed query, filters and page. Any
// change to the index, synonyms or best bets clears it. It holds two generations: when the
// current one is full it becomes the old one, so popular pages survive and memory is bounded
// without per-entry bookkeeping.
type resultCache struct {
	size         int
	mu           sync.Mutex
	cur, old     map[string]*page
	hits, misses atomic.Int64
}

func newResultCache(size int) *resultCache {
	c := &resultCache{size: size}
	c.clear()
	return c
}

func (c *resultCache) get(k string) (*page, bool) {
	if c.size <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.cur[k]; ok {
		c.hits.Add(1)
		return p, true
	}
	if p, ok := c.old[k]; ok {
		c.hits.Add(1)
		c.putLocked(k, p)
		return p, true
	}
	c.misses.Add(1)
	return nil, false
}

func (c *resultCache) put(k string, p *page) {
	if c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, p)
}

func (c *resultCache) putLocked(k string, p *page) {
	if len(c.cur) >= c.size/2+1 {
		c.old, c.cur = c.cur, make(map[string]*page)
	}
	c.cur[k] = p
}

func (c *resultCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.old = map[string]*page{}, map[string]*page{}
}

// newID returns a random 16-hex-digit id (query ids, replica ids).
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newQueryID returns a 16-hex-digit query id that starts with the time, so that the query log's
// primary-key index grows at its end instead of being written all over (far fewer pages per
// batch), while the random half keeps ids unguessable.
func newQueryID() string {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	rand.Read(b[4:])
	return hex.EncodeToString(b[:])
}
