package identity

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"shebao/internal/lru"
)

// Defaults of CachedVerifier.
const (
	DefaultVerifyCacheSize   = 100_000
	DefaultVerifyCacheMaxAge = 5 * time.Minute
)

// VerifyCacheOptions configures CachedVerifier; zero fields take defaults: Size entries kept,
// one not used recently dropped first (DefaultVerifyCacheSize); an entry is re-verified after TTL at
// the latest (DefaultVerifyCacheMaxAge).
type VerifyCacheOptions = lru.Options

// CachedVerifier remembers the tokens v accepted, so that a signature is checked once per token,
// not once per request (on the home screen the Ed25519 check was a large share of the CPU).
// Entries are keyed by a SHA-256 of the token (the cache holds no bearer secret), bounded in
// number, and dropped at the token's expiry or after TTL, whichever comes first; refusals are
// never cached. Revocation is not this layer's business: wrap the result with WithRevocations,
// which checks every request — cached or not — against the list it re-reads every refresh.
func CachedVerifier(v Verifier, o VerifyCacheOptions) Verifier {
	def := lru.Options{Size: DefaultVerifyCacheSize, TTL: DefaultVerifyCacheMaxAge}
	return &cachedVerifier{v: v, c: lru.New[[32]byte, Principal](o, def, nil)}
}

type cachedVerifier struct {
	v Verifier

	mu sync.Mutex
	c  *lru.Cache[[32]byte, Principal] // by the token's SHA-256
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
	c.mu.Lock()
	p, ok := c.c.Get(key)
	now := c.c.Now()
	c.mu.Unlock()
	if ok {
		p.Roles = append([]Role(nil), p.Roles...) // callers may not share the cached slice
		return p, nil
	}

	p, err := c.v.Verify(ctx, token)
	if err != nil {
		return p, err
	}
	until := now.Add(c.c.TTL())
	if p.ExpiresAt.IsZero() || p.ExpiresAt.Before(until) {
		// No later than the token itself (without the verifier's clock leeway); a token that
		// does not say when it expires is not remembered at all.
		until = p.ExpiresAt
	}
	if !now.Before(until) {
		return p, nil
	}
	kept := p
	kept.Roles = append([]Role(nil), p.Roles...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.PutUntil(key, kept, until)
	return p, nil
}

// cachedLen is the number of entries, for tests.
func (c *cachedVerifier) cachedLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c.Len()
}
