package identity

import (
	"container/list"
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Defaults of CachedVerifier.
const (
	DefaultVerifyCacheSize   = 100_000
	DefaultVerifyCacheMaxAge = 5 * time.Minute
)

// VerifyCacheOptions configures CachedVerifier; zero fields take defaults.
type VerifyCacheOptions struct {
	Size   int              // entries kept, least recently used dropped first (DefaultVerifyCacheSize)
	MaxAge time.Duration    // an entry is re-verified after this at the latest (DefaultVerifyCacheMaxAge)
	Now    func() time.Time // time.Now
}

// CachedVerifier remembers the tokens v accepted, so that a signature is checked once per token,
// not once per request (on the home screen the Ed25519 check was a large share of the CPU).
// Entries are keyed by a SHA-256 of the token (the cache holds no bearer secret), bounded in
// number, and dropped at the token's expiry or after MaxAge, whichever comes first; refusals are
// never cached. Revocation is not this layer's business: wrap the result with WithRevocations,
// which checks every request — cached or not — against the list it re-reads every refresh.
func CachedVerifier(v Verifier, o VerifyCacheOptions) Verifier {
	if o.Size <= 0 {
		o.Size = DefaultVerifyCacheSize
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultVerifyCacheMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &cachedVerifier{v: v, o: o, m: map[[32]byte]*list.Element{}, lru: list.New()}
}

type cachedVerifier struct {
	v Verifier
	o VerifyCacheOptions

	mu  sync.Mutex
	m   map[[32]byte]*list.Element
	lru *list.List // front is most recently used; values are *verified
}

// verified is one accepted token.
type verified struct {
	key   [32]byte
	p     Principal
	until time.Time // the entry is used strictly before this
}

// Issuer passes on the wrapped verifier's issuer, so the cache can sit inside a Chain.
func (c *cachedVerifier) Issuer() string {
	if i, ok := c.v.(interface{ Issuer() string }); ok {
		return i.Issuer()
	}
	return ""
}

// Verify answers from the cache when the token was accepted before and has not expired,
// otherwise asks the wrapped verifier and remembers an acceptance.
func (c *cachedVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	if len(token) > maxTokenLen {
		return c.v.Verify(ctx, token) // refused there; not worth hashing
	}
	key := sha256.Sum256([]byte(token))
	now := c.o.Now()
	c.mu.Lock()
	if el, ok := c.m[key]; ok {
		e := el.Value.(*verified)
		if now.Before(e.until) {
			c.lru.MoveToFront(el)
			p := e.p
			c.mu.Unlock()
			p.Roles = append([]Role(nil), p.Roles...) // callers may not share the cached slice
			return p, nil
		}
		c.lru.Remove(el)
		delete(c.m, key)
	}
	c.mu.Unlock()

	p, err := c.v.Verify(ctx, token)
	if err != nil {
		return p, err
	}
	until := now.Add(c.o.MaxAge)
	if p.ExpiresAt.IsZero() || p.ExpiresAt.Before(until) {
		// No later than the token itself (without the verifier's clock leeway); a token that
		// does not say when it expires is not remembered at all.
		until = p.ExpiresAt
	}
	if !now.Before(until) {
		return p, nil
	}
	e := &verified{key: key, p: p, until: until}
	e.p.Roles = append([]Role(nil), p.Roles...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return p, nil
	}
	c.m[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.o.Size {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*verified).key)
	}
	return p, nil
}

// cachedLen is the number of entries, for tests.
func (c *cachedVerifier) cachedLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
