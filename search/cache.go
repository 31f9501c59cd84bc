package search

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
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

// queryIDSeed keys the hash in query ids, so that ids cannot be worked out from a query.
var queryIDSeed = maphash.MakeSeed()

// newQueryID returns the 24-hex-digit id of a logged search: the second it was made in, then a
// keyed hash of what the log stores (the masked query, correction and result count). Identical
// searches in the same second share an id and a query-log row that counts them; the time first
// makes the log's primary key grow at its end and bound the report's scans.
func newQueryID(at time.Time, query, corrected string, results int) string {
	var h maphash.Hash
	h.SetSeed(queryIDSeed)
	h.WriteString(query)
	h.WriteByte(0)
	h.WriteString(corrected)
	h.WriteByte(0)
	var b [12]byte
	binary.BigEndian.PutUint64(b[4:], uint64(results))
	h.Write(b[4:])
	binary.BigEndian.PutUint32(b[:4], uint32(at.Unix()))
	binary.BigEndian.PutUint64(b[4:], h.Sum64())
	return hex.EncodeToString(b[:])
}
