package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWKSVerifierAlgorithms(t *testing.T) {
	t.Parallel()
	keys := []idpKey{
		newRSAKey(t, "rs", jwt.SigningMethodRS256),
		newRSAKey(t, "ps", jwt.SigningMethodPS256),
		newECKey(t, "es"),
		newEdKey(t, "ed"),
	}
	idp := newFakeIdP(t, keys...)
	clock := newTestClock()
	v := idp.verifier(t, clock, JWKSConfig{Audience: "shebao"})
	for _, k := range keys {
		t.Run(k.method.Alg(), func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(t.Context(), k.sign(t, idp.claims(clock.Now())))
			if err != nil {
				t.Fatal(err)
			}
			// offline_access is the identity service's role, not ours: dropped.
			if p.Subject != "u-42" || p.Name != "王小明" || !slices.Equal(p.Roles, []Role{RoleEditor}) ||
				p.Issuer != idp.issuer || p.TokenID != "t-1" || !p.ExpiresAt.Equal(clock.Now().Add(5*time.Minute)) {
				t.Errorf("principal = %+v", p)
			}
		})
	}
	if n := idp.fetches.Load(); n != 1 {
		t.Errorf("%d JWKS fetches, want 1: keys are cached", n)
	}
}

// TestJWKSVerifierRejects is the security table for identity-service tokens.
func TestJWKSVerifierRejects(t *testing.T) {
	t.Parallel()
	rs := newRSAKey(t, "rs", jwt.SigningMethodRS256)
	ps := newRSAKey(t, "ps", jwt.SigningMethodPS256)
	ps.jwk["alg"] = "PS256" // the service binds this key to PS256
	ed := newEdKey(t, "ed")
	idp := newFakeIdP(t, rs, ps, ed)
	clock := newTestClock()
	v := idp.verifier(t, clock, JWKSConfig{Audience: "shebao"})
	now := clock.Now()

	claims := func(mod func(c jwt.MapClaims)) jwt.MapClaims {
		c := idp.claims(now)
		if mod != nil {
			mod(c)
		}
		return c
	}
	rsaPub := &rs.priv.(*rsa.PrivateKey).PublicKey
	pubDER, _ := x509.MarshalPKIXPublicKey(rsaPub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rsaPub)})
	impostor := newRSAKey(t, "rs", jwt.SigningMethodRS256) // same kid, different key
	good := rs.sign(t, claims(nil))
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Fatalf("control token: %v", err)
	}

	tests := []rejection{
		{"empty", "", msgLoginRequired},
		{"malformed", "eyJhbGciOiJSUzI1NiJ9", msgLoginInvalid},
		{"garbage segments", "x.y.z", msgLoginInvalid},
		{"alg none", handMadeToken(t, map[string]any{"alg": "none", "kid": "rs"}, claims(nil), unsigned), msgLoginInvalid},
		{"HS256 keyed with the public key PEM", handMadeToken(t, map[string]any{"alg": "HS256", "kid": "rs"}, claims(nil), hs256(pubPEM)), msgLoginInvalid},
		{"HS256 keyed with the PKCS#1 PEM", handMadeToken(t, map[string]any{"alg": "HS256", "kid": "rs"}, claims(nil), hs256(pkcs1PEM)), msgLoginInvalid},
		{"HS256 keyed with the modulus", handMadeToken(t, map[string]any{"alg": "HS256", "kid": "rs"}, claims(nil), hs256(rsaPub.N.Bytes())), msgLoginInvalid},
		{"RS384 is not allowed", rs.signAs(t, jwt.SigningMethodRS384, claims(nil)), msgLoginInvalid},
		{"RS512 is not allowed", rs.signAs(t, jwt.SigningMethodRS512, claims(nil)), msgLoginInvalid},
		{"RS256 with a key bound to PS256", ps.signAs(t, jwt.SigningMethodRS256, claims(nil)), msgLoginInvalid},
		{"EdDSA header on an RSA kid", handMadeTokenEd(t, ed.priv.(ed25519.PrivateKey), map[string]any{"alg": "EdDSA", "kid": "rs"}, claims(nil)), msgLoginInvalid},
		{"forged signature", impostor.sign(t, claims(nil)), msgLoginInvalid},
		{"tampered payload", tamper(t, good, claims(func(c jwt.MapClaims) { c["roles"] = []string{"admin"} })), msgLoginInvalid},
		{"expired", rs.sign(t, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), msgLoginExpired},
		{"not yet valid", rs.sign(t, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(2 * time.Minute).Unix() })), msgLoginInvalid},
		{"no exp", rs.sign(t, claims(func(c jwt.MapClaims) { delete(c, "exp") })), msgLoginInvalid},
		{"no sub", rs.sign(t, claims(func(c jwt.MapClaims) { c["sub"] = "" })), msgLoginInvalid},
		{"wrong issuer", rs.sign(t, claims(func(c jwt.MapClaims) { c["iss"] = idp.issuer + "/other" })), msgLoginInvalid},
		{"wrong audience", rs.sign(t, claims(func(c jwt.MapClaims) { c["aud"] = "another-app" })), msgLoginInvalid},
		{"no audience", rs.sign(t, claims(func(c jwt.MapClaims) { delete(c, "aud") })), msgLoginInvalid},
		{"unknown kid", newRSAKey(t, "rotated-in-tomorrow", jwt.SigningMethodRS256).sign(t, claims(nil)), msgLoginInvalid},
		{"no kid", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil))
			s, _ := tok.SignedString(rs.priv)
			return s
		}(), msgLoginInvalid},
	}
	requireRejected(t, v, tests)
}

func TestJWKSVerifierAudienceList(t *testing.T) {
	t.Parallel()
	k, idp, clock := newEdIdP(t, "ed")
	v := idp.verifier(t, clock, JWKSConfig{Audience: "shebao"})
	c := idp.claims(clock.Now())
	c["aud"] = []string{"account", "shebao"}
	if _, err := v.Verify(t.Context(), k.sign(t, c)); err != nil {
		t.Errorf("aud list containing ours: %v", err)
	}

	// Without a configured audience, aud is not checked.
	v2 := idp.verifier(t, clock, JWKSConfig{})
	c["aud"] = "anything"
	if _, err := v2.Verify(t.Context(), k.sign(t, c)); err != nil {
		t.Errorf("no audience configured: %v", err)
	}
}

func TestJWKSVerifierRolesClaim(t *testing.T) {
	t.Parallel()
	k, idp, clock := newEdIdP(t, "ed")
	tests := []struct {
		name  string
		claim string
		value any
		want  []Role
	}{
		{"default array", "", []string{"reviewer", "publisher", "reviewer"}, []Role{RoleReviewer, RolePublisher}},
		{"space-separated string", "", "user editor", []Role{RoleUser, RoleEditor}},
		{"nested path", "realm_access.roles", map[string]any{"roles": []string{"admin", "uma_authorization"}}, []Role{RoleAdmin}},
		{"missing", "groups", nil, nil},
		{"wrong type", "", 42, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := idp.verifier(t, clock, JWKSConfig{RolesClaim: tt.claim})
			c := idp.claims(clock.Now())
			delete(c, "roles")
			if tt.value != nil {
				top, _, _ := strings.Cut(tt.claim, ".")
				if top == "" {
					top = "roles"
				}
				c[top] = tt.value
			}
			p, err := v.Verify(t.Context(), k.sign(t, c))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Roles, tt.want) {
				t.Errorf("roles = %v, want %v", p.Roles, tt.want)
			}
		})
	}
}

func TestJWKSVerifierDiscovery(t *testing.T) {
	t.Parallel()
	k := newECKey(t, "es")
	idp := newFakeIdP(t, k)
	clock := newTestClock()
	v, err := newJWKSVerifier(t.Context(), JWKSConfig{Issuer: idp.issuer, Audience: "shebao"},
		jwksOptions{now: clock.Now, fetchTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if idp.discoveries.Load() != 1 || idp.fetches.Load() != 1 {
		t.Errorf("discoveries %d, fetches %d; want 1 each", idp.discoveries.Load(), idp.fetches.Load())
	}
	if _, err := v.Verify(t.Context(), k.sign(t, idp.claims(clock.Now()))); err != nil {
		t.Error(err)
	}

	// A discovery document for another issuer may be an impostor's.
	_, err = NewJWKSVerifier(t.Context(), JWKSConfig{Issuer: idp.issuer + "/"})
	if err == nil || !strings.Contains(err.Error(), "document is for issuer") {
		t.Errorf("issuer mismatch = %v, want a refusal", err)
	}
}

func TestNewJWKSVerifierConfigErrors(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t, newEdKey(t, "ed"))
	broken := newFakeIdP(t)
	broken.setFailing(true)
	useless := newFakeIdP(t)
	useless.mu.Lock()
	useless.keys = []map[string]any{
		{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
		{"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
		{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
	}
	useless.mu.Unlock()

	tests := []struct {
		name string
		cfg  JWKSConfig
	}{
		{"no issuer", JWKSConfig{JWKSURL: idp.srv.URL + "/jwks"}},
		{"plain http to another host", JWKSConfig{Issuer: "x", JWKSURL: "http://idp.example.gov.cn/jwks"}},
		{"discovery over plain http to another host", JWKSConfig{Issuer: "http://idp.example.gov.cn"}},
		{"not a URL", JWKSConfig{Issuer: "x", JWKSURL: "::"}},
		{"negative refresh interval", JWKSConfig{Issuer: idp.issuer, JWKSURL: idp.srv.URL + "/jwks", RefreshInterval: -time.Second}},
		{"JWKS not found", JWKSConfig{Issuer: idp.issuer, JWKSURL: idp.srv.URL + "/nope"}},
		{"identity service down", JWKSConfig{Issuer: broken.issuer, JWKSURL: broken.srv.URL + "/jwks"}},
		{"no usable keys", JWKSConfig{Issuer: useless.issuer, JWKSURL: useless.srv.URL + "/jwks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if v, err := NewJWKSVerifier(t.Context(), tt.cfg); err == nil {
				t.Errorf("NewJWKSVerifier succeeded: %+v", v)
			}
		})
	}
}

func TestJWKSVerifierSkipsUnusableKeys(t *testing.T) {
	t.Parallel()
	good := newEdKey(t, "good")
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	idp := newFakeIdP(t, good)
	idp.mu.Lock()
	idp.keys = append(idp.keys,
		map[string]any{"kty": "RSA", "kid": "weak", "n": b64(weak.N.Bytes()), "e": "AQAB"},
		map[string]any{"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": b64(make([]byte, 32)), "y": b64(make([]byte, 32))},
		map[string]any{"kty": "OKP", "kid": "ed-as-rsa", "crv": "Ed25519", "alg": "RS256", "x": good.jwk["x"]},
		map[string]any{"kty": "OKP", "crv": "Ed25519", "x": good.jwk["x"]}, // no kid
	)
	idp.mu.Unlock()
	clock := newTestClock()
	v := idp.verifier(t, clock, JWKSConfig{})
	if _, err := v.Verify(t.Context(), good.sign(t, idp.claims(clock.Now()))); err != nil {
		t.Errorf("usable key beside unusable ones: %v", err)
	}
	for _, kid := range []string{"weak", "off-curve", "ed-as-rsa"} {
		if keys, _ := v.cached(kid); len(keys) != 0 {
			t.Errorf("unusable key %q was cached", kid)
		}
	}
	weakTok := idpKey{kid: "weak", method: jwt.SigningMethodRS256, priv: weak}.sign(t, idp.claims(clock.Now()))
	_, err = v.Verify(t.Context(), weakTok)
	requireUnauthenticated(t, err, msgLoginInvalid)
}

// TestJWKSVerifierFollowsKeyRotation: the identity service starts signing with a new key and
// withdraws the old one; we pick up the new key on its first token and drop the old one.
func TestJWKSVerifierFollowsKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey := newRSAKey(t, "2025", jwt.SigningMethodRS256)
	newKey := newECKey(t, "2026")
	idp := newFakeIdP(t, oldKey)
	clock := newTestClock()
	v := idp.verifier(t, clock, JWKSConfig{RefreshInterval: 30 * time.Second})
	oldTok := oldKey.sign(t, idp.claims(clock.Now()))
	if _, err := v.Verify(t.Context(), oldTok); err != nil {
		t.Fatal(err)
	}

	idp.setKeys(newKey)
	clock.Add(time.Minute)
	newTok := newKey.sign(t, idp.claims(clock.Now()))
	if _, err := v.Verify(t.Context(), newTok); err != nil {
		t.Fatalf("token signed with the rotated-in key: %v", err)
	}
	if n := idp.fetches.Load(); n != 2 {
		t.Errorf("%d JWKS fetches, want 2 (initial + one on the new kid)", n)
	}
	_, err := v.Verify(t.Context(), oldTok)
	requireUnauthenticated(t, err, msgLoginInvalid)
}

// TestJWKSVerifierCacheExpiry: a withdrawn key stops verifying once the cache is old, even if no
// unknown kid ever triggers a refetch; but an outage does not log everybody out.
func TestJWKSVerifierCacheExpiry(t *testing.T) {
	t.Parallel()
	a := newEdKey(t, "a")
	b := newEdKey(t, "b")
	idp := newFakeIdP(t, a, b)
	clock := newTestClock()
	v := idp.verifier(t, clock, JWKSConfig{})

	idp.setFailing(true)
	clock.Add(jwksMaxAge + time.Minute)
	if _, err := v.Verify(t.Context(), a.sign(t, idp.claims(clock.Now()))); err != nil {
		t.Errorf("stale key during an outage: %v", err)
	}
	if n := idp.fetches.Load(); n != 1 {
		t.Errorf("%d successful fetches, want 1", n)
	}

	idp.setFailing(false)
	idp.setKeys(b) // a withdrawn
	clock.Add(time.Minute)
	_, err := v.Verify(t.Context(), a.sign(t, idp.claims(clock.Now())))
	requireUnauthenticated(t, err, msgLoginInvalid)
	if _, err := v.Verify(t.Context(), b.sign(t, idp.claims(clock.Now()))); err != nil {
		t.Errorf("key still published: %v", err)
	}
}

// TestJWKSVerifierBadKidFlood: tokens with made-up kids must not turn us into a tool for
// flooding the identity service.
func TestJWKSVerifierBadKidFlood(t *testing.T) {
	t.Parallel()
	k, idp, clock := newEdIdP(t, "real")
	v := idp.verifier(t, clock, JWKSConfig{RefreshInterval: 10 * time.Second})

	flood := func() {
		var wg sync.WaitGroup
		for i := range 300 {
			wg.Go(func() {
				forged := idpKey{kid: fmt.Sprintf("bogus-%d", i), method: k.method, priv: k.priv}
				_, err := v.Verify(t.Context(), forged.sign(t, idp.claims(clock.Now())))
				requireUnauthenticated(t, err, msgLoginInvalid)
			})
		}
		wg.Wait()
	}

	flood() // within RefreshInterval of the initial fetch: no refetch at all
	if n := idp.fetches.Load(); n != 1 {
		t.Errorf("after the first flood %d fetches, want 1", n)
	}
	clock.Add(10 * time.Second)
	flood() // one refetch for the whole flood
	if n := idp.fetches.Load(); n != 2 {
		t.Errorf("after the second flood %d fetches, want 2", n)
	}
	if _, err := v.Verify(t.Context(), k.sign(t, idp.claims(clock.Now()))); err != nil {
		t.Errorf("real token during the flood: %v", err)
	}
}

func TestJWKSVerifierTimesOut(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t, newEdKey(t, "ed"))
	idp.setHang(true)
	start := time.Now()
	_, err := newJWKSVerifier(t.Context(), JWKSConfig{Issuer: idp.issuer, JWKSURL: idp.srv.URL + "/jwks"},
		jwksOptions{now: time.Now, fetchTimeout: 100 * time.Millisecond})
	if err == nil {
		t.Fatal("NewJWKSVerifier against a hanging server succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v, want about 100ms", d)
	}

	// A refetch on an unknown kid is bounded the same way.
	k, idp2, clock := newEdIdP(t, "ed2")
	v := idp2.verifier(t, clock, JWKSConfig{})
	v.fetchTimeout = 100 * time.Millisecond // only now: the initial fetch must not flake under -race
	idp2.setHang(true)
	clock.Add(time.Hour)
	start = time.Now()
	forged := idpKey{kid: "new", method: k.method, priv: k.priv}
	_, err = v.Verify(t.Context(), forged.sign(t, idp2.claims(clock.Now())))
	requireUnauthenticated(t, err, msgLoginInvalid)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Verify waited %v on a hanging identity service", d)
	}
}
