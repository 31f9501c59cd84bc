package identity

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// countingVerifier counts the verifications that reach the wrapped verifier.
type countingVerifier struct {
	v Verifier
	n atomic.Int64
}

func (c *countingVerifier) Verify(ctx context.Context, tok string) (Principal, error) {
	c.n.Add(1)
	return c.v.Verify(ctx, tok)
}

func TestCachedVerifierChecksEachTokenOnce(t *testing.T) {
	clock := newTestClock()
	k := openTestKeyringWith(t, KeyringOptions{Now: clock.Now})
	inner := &countingVerifier{v: k.Verifier()}
	v := CachedVerifier(inner, VerifyCacheOptions{Size: 2, TTL: time.Hour, Now: clock.Now})
	tok, _ := k.Mint("a", "张三", []Role{RoleUser}, time.Hour)
	for range 3 {
		p, err := v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "a" || p.Name != "张三" || !p.Has(RoleUser) {
			t.Fatalf("cached principal %+v", p)
		}
		p.Roles[0] = RoleAdmin // a caller changing its copy must not change the cache
	}
	if got := inner.n.Load(); got != 1 {
		t.Fatalf("signature checked %d times for one token, want 1", got)
	}
	// A refusal is never remembered: a forged token is checked (and refused) every time.
	forged := tok[:len(tok)-4] + "AAAA"
	for range 2 {
		requireUnauthenticated(t, func() error { _, err := v.Verify(t.Context(), forged); return err }(), "")
	}
	if got := inner.n.Load(); got != 3 {
		t.Fatalf("verifications = %d, want 3 (refusals are not cached)", got)
	}
	// Bounded: a third token evicts one not used since it was put (t2), not the one used again
	// (tok: the cache is a CLOCK, internal/lru).
	t2, _ := k.Mint("b", "", []Role{RoleUser}, time.Hour)
	t3, _ := k.Mint("c", "", []Role{RoleUser}, time.Hour)
	for _, x := range []string{t2, t3} {
		if _, err := v.Verify(t.Context(), x); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.(*cachedVerifier).cachedLen(); n != 2 {
		t.Fatalf("cache holds %d entries, want at most 2", n)
	}
	before := inner.n.Load()
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if inner.n.Load() != before {
		t.Fatal("the token used again was evicted")
	}
	if _, err := v.Verify(t.Context(), t2); err != nil {
		t.Fatal(err)
	}
	if inner.n.Load() != before+1 {
		t.Fatal("evicted token answered from the cache")
	}
}

func TestCachedVerifierExpiresWithTheToken(t *testing.T) {
	clock := newTestClock()
	k := openTestKeyringWith(t, KeyringOptions{Now: clock.Now})
	inner := &countingVerifier{v: k.Verifier()}
	v := CachedVerifier(inner, VerifyCacheOptions{TTL: time.Hour, Now: clock.Now})
	tok, _ := k.Mint("a", "", []Role{RoleUser}, 5*time.Minute)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	// Past exp and past the verifier's clock leeway: the cache must not keep the token alive.
	clock.Add(5*time.Minute + 2*clockLeeway)
	requireUnauthenticated(t, func() error { _, err := v.Verify(t.Context(), tok); return err }(), msgLoginExpired)
	if inner.n.Load() != 2 {
		t.Fatalf("verifications = %d, want 2: an expired entry must go back to the verifier", inner.n.Load())
	}

	// MaxAge shorter than the token: re-verified after MaxAge.
	v = CachedVerifier(inner, VerifyCacheOptions{TTL: time.Minute, Now: clock.Now})
	long, _ := k.Mint("a", "", []Role{RoleUser}, time.Hour)
	before := inner.n.Load()
	v.Verify(t.Context(), long)
	v.Verify(t.Context(), long)
	clock.Add(time.Minute)
	v.Verify(t.Context(), long)
	if got := inner.n.Load() - before; got != 2 {
		t.Fatalf("verifications = %d, want 2 (once, then again after MaxAge)", got)
	}
}

func TestCachedVerifierHonoursRevocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := newTestClock()
		k := openTestKeyringWith(t, KeyringOptions{Now: clock.Now})
		// Two replicas sharing the store: the revocation is made on the other one.
		here, err := OpenRevocations(t.Context(), d, RevocationOptions{Now: clock.Now, Refresh: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		there, err := OpenRevocations(t.Context(), d, RevocationOptions{Now: clock.Now, Refresh: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		v := WithRevocations(CachedVerifier(k.Verifier(), VerifyCacheOptions{TTL: time.Hour, Now: clock.Now}), here)
		tok, _ := k.Mint("a", "", []Role{RoleUser}, time.Hour)
		other, _ := k.Mint("b", "", []Role{RoleUser}, time.Hour)
		for _, x := range []string{tok, other} {
			if _, err := v.Verify(t.Context(), x); err != nil {
				t.Fatal(err)
			}
		}
		c, _ := PeekClaims(tok)
		if err := there.RevokeToken(t.Context(), c.ID, c.ExpiresAt, "admin", ""); err != nil {
			t.Fatal(err)
		}
		if err := there.RevokeSubject(t.Context(), "b", clock.Now(), "admin", ""); err != nil {
			t.Fatal(err)
		}
		clock.Add(5 * time.Second)
		for _, x := range []string{tok, other} {
			requireUnauthenticated(t, func() error { _, err := v.Verify(t.Context(), x); return err }(), "")
		}
	})
}
