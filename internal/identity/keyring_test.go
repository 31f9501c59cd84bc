package identity

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// openTestKeyring opens a keyring in a fresh directory on clock.
func openTestKeyring(t *testing.T, clock *testClock) *Keyring {
	t.Helper()
	k, err := openKeyring(filepath.Join(t.TempDir(), "data", "keys"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openTestKeyringWith opens a keyring with opts in a temporary directory.
func openTestKeyringWith(t *testing.T, opts KeyringOptions) *Keyring {
	t.Helper()
	k, err := OpenKeyringWith(filepath.Join(t.TempDir(), "keys"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// decodeSegment decodes part i of a token as JSON.
func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenKeyringCreatesKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "keys")
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode %v, want 0700", perm)
	}
	kids := k.KeyIDs()
	if len(kids) != 1 {
		t.Fatalf("KeyIDs = %v, want one key", kids)
	}
	path := filepath.Join(dir, kids[0]+".pem")
	info, err = os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Headers["Kid"] != kids[0] {
		t.Fatalf("key file has no PEM block with Kid %s:\n%s", kids[0], data)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}
}

func TestKeyringMint(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	k := openTestKeyring(t, clock)
	tok, err := k.Mint("u-1", "李华", []Role{RoleEditor, RoleReviewer}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	h := decodeSegment(t, tok, 0)
	if h["alg"] != "EdDSA" || h["kid"] != k.KeyIDs()[0] {
		t.Errorf("header = %v, want alg EdDSA and kid %s", h, k.KeyIDs()[0])
	}
	c := decodeSegment(t, tok, 1)
	now := float64(clock.Now().Unix())
	if c["iss"] != LocalIssuer || c["sub"] != "u-1" || c["name"] != "李华" {
		t.Errorf("claims = %v", c)
	}
	if roles, _ := c["roles"].([]any); !slices.Equal(roles, []any{"editor", "reviewer"}) {
		t.Errorf("roles = %#v, want an array of strings", c["roles"])
	}
	if c["iat"] != now || c["nbf"] != now || c["exp"] != now+15*60 {
		t.Errorf("iat/nbf/exp = %v/%v/%v, want %v/%v/%v", c["iat"], c["nbf"], c["exp"], now, now, now+900)
	}
	if jti, _ := c["jti"].(string); jti == "" {
		t.Error("no jti")
	}
	tok2, _ := k.Mint("u-1", "李华", nil, time.Minute)
	if decodeSegment(t, tok2, 1)["jti"] == c["jti"] {
		t.Error("two tokens share a jti")
	}
	if roles, ok := decodeSegment(t, tok2, 1)["roles"].([]any); !ok || len(roles) != 0 {
		t.Errorf("roles with none = %#v, want []", decodeSegment(t, tok2, 1)["roles"])
	}

	p, err := k.Verifier().Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{
		Subject: "u-1", Name: "李华", Roles: []Role{RoleEditor, RoleReviewer}, Issuer: LocalIssuer,
		TokenID: c["jti"].(string), ExpiresAt: clock.Now().Add(15 * time.Minute),
	}
	if p.Subject != want.Subject || p.Name != want.Name || !slices.Equal(p.Roles, want.Roles) ||
		p.Issuer != want.Issuer || p.TokenID != want.TokenID || !p.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("principal = %+v, want %+v", p, want)
	}
}

func TestKeyringMintRefusesBadInput(t *testing.T) {
	t.Parallel()
	k := openTestKeyring(t, newTestClock())
	for name, mint := range map[string]func() (string, error){
		"empty subject": func() (string, error) { return k.Mint(" ", "", nil, time.Minute) },
		"zero ttl":      func() (string, error) { return k.Mint("u", "", nil, 0) },
		"negative ttl":  func() (string, error) { return k.Mint("u", "", nil, -time.Minute) },
		"unknown role":  func() (string, error) { return k.Mint("u", "", []Role{"root"}, time.Minute) },
	} {
		if tok, err := mint(); err == nil {
			t.Errorf("%s: minted %s", name, tok)
		}
	}
}

func TestKeyringSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	oldKid := k1.KeyIDs()[0]
	newKid, err := k1.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := k1.Mint("u-1", "", []Role{RoleUser}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	k2, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := k2.KeyIDs(); !slices.Equal(got, []string{newKid, oldKid}) {
		t.Errorf("after reopening KeyIDs = %v, want current %s then %s", got, newKid, oldKid)
	}
	if _, err := k2.Verifier().Verify(t.Context(), tok); err != nil {
		t.Errorf("token from before the restart: %v", err)
	}
	tok2, _ := k2.Mint("u-1", "", nil, time.Hour)
	if kid := decodeSegment(t, tok2, 0)["kid"]; kid != newKid {
		t.Errorf("after reopening signs with %v, want the newest key %s", kid, newKid)
	}
}

func TestKeyringRotateAndRetire(t *testing.T) {
	t.Parallel()
	k := openTestKeyring(t, newTestClock())
	v := k.Verifier()
	oldKid := k.KeyIDs()[0]
	oldTok, _ := k.Mint("u-1", "", []Role{RoleEditor}, time.Hour)

	newKid, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if newKid == oldKid {
		t.Fatal("Rotate returned the old kid")
	}
	if _, err := v.Verify(t.Context(), oldTok); err != nil {
		t.Errorf("token minted before Rotate: %v", err)
	}
	newTok, _ := k.Mint("u-1", "", []Role{RoleEditor}, time.Hour)
	if kid := decodeSegment(t, newTok, 0)["kid"]; kid != newKid {
		t.Errorf("after Rotate signs with %v, want %s", kid, newKid)
	}
	if got := k.KeyIDs(); !slices.Equal(got, []string{newKid, oldKid}) {
		t.Errorf("KeyIDs = %v, want [%s %s]", got, newKid, oldKid)
	}

	if err := k.Retire(newKid); err == nil {
		t.Error("retired the current key")
	}
	if err := k.Retire("no-such-kid"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Retire(unknown) = %v, want fs.ErrNotExist", err)
	}
	if err := k.Retire(oldKid); err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), oldTok)
	requireUnauthenticated(t, err, msgLoginInvalid)
	if _, err := v.Verify(t.Context(), newTok); err != nil {
		t.Errorf("token of the current key after retiring another: %v", err)
	}
	if _, err := os.Stat(filepath.Join(k.store.(fileKeys).dir, oldKid+".pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("retired key file still there: %v", err)
	}

	// A retired key stays retired across a restart.
	k2, err := OpenKeyring(k.store.(fileKeys).dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = k2.Verifier().Verify(t.Context(), oldTok)
	requireUnauthenticated(t, err, "")
}

func TestOpenKeyringRefusesUnsafeFiles(t *testing.T) {
	t.Parallel()
	t.Run("readable by others", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		k, err := OpenKeyring(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, k.KeyIDs()[0]+".pem"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenKeyring(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("OpenKeyring with a 0644 key = %v, want a refusal", err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "broken.pem"), []byte("not a key"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenKeyring(dir); err == nil {
			t.Error("OpenKeyring with a corrupt key file succeeded")
		}
	})
	t.Run("other files ignored", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("keys live here"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenKeyring(dir); err != nil {
			t.Errorf("OpenKeyring with an unrelated file: %v", err)
		}
	})
}

// TestKeyringRejects is the security table for local tokens: each row is a token an attacker or
// a stale client might present.
func TestKeyringRejects(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	k := openTestKeyring(t, clock)
	v := k.Verifier()
	kid := k.KeyIDs()[0]
	pub := k.current.priv.Public().(ed25519.PublicKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	other := openTestKeyring(t, clock)

	now := clock.Now()
	claims := func(mod func(c jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"iss": LocalIssuer, "sub": "u-1", "roles": []string{"admin"},
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "x",
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(c jwt.MapClaims) string {
		tok, err := k.sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(claims(nil))
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Fatalf("control token: %v", err)
	}
	otherTok, _ := other.Mint("u-1", "", []Role{RoleAdmin}, time.Hour)
	otherSig := strings.Split(otherTok, ".")[2]

	tests := []rejection{
		{"empty", "", msgLoginRequired},
		{"malformed", "not-a-token", msgLoginInvalid},
		{"two segments", "a.b", msgLoginInvalid},
		{"garbage segments", "a.b.c", msgLoginInvalid},
		{"too long", good + strings.Repeat("A", maxTokenLen), msgLoginInvalid},
		{"alg none", handMadeToken(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims(nil), unsigned), msgLoginInvalid},
		{"alg none upper case", handMadeToken(t, map[string]any{"alg": "NONE", "kid": kid}, claims(nil), unsigned), msgLoginInvalid},
		{"HS256 keyed with raw public key", handMadeToken(t, map[string]any{"alg": "HS256", "kid": kid}, claims(nil), hs256(pub)), msgLoginInvalid},
		{"HS256 keyed with public key PEM", handMadeToken(t, map[string]any{"alg": "HS256", "kid": kid}, claims(nil), hs256(pubPEM)), msgLoginInvalid},
		{"expired", sign(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), msgLoginExpired},
		{"not yet valid", sign(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() })), msgLoginInvalid},
		{"issued in the future", sign(claims(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() })), msgLoginInvalid},
		{"no exp", sign(claims(func(c jwt.MapClaims) { delete(c, "exp") })), msgLoginInvalid},
		{"no sub", sign(claims(func(c jwt.MapClaims) { delete(c, "sub") })), msgLoginInvalid},
		{"wrong issuer", sign(claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), msgLoginInvalid},
		{"tampered payload", tamper(t, good, claims(func(c jwt.MapClaims) { c["sub"] = "someone-else" })), msgLoginInvalid},
		{"signature of another key under our kid", strings.Join(strings.Split(good, ".")[:2], ".") + "." + otherSig, msgLoginInvalid},
		{"another keyring's token", otherTok, msgLoginInvalid},
		{"no kid", handMadeTokenEd(t, k.current.priv, map[string]any{"alg": "EdDSA"}, claims(nil)), msgLoginInvalid},
		{"unknown kid", handMadeTokenEd(t, k.current.priv, map[string]any{"alg": "EdDSA", "kid": "nope"}, claims(nil)), msgLoginInvalid},
	}
	requireRejected(t, v, tests)
}

// handMadeTokenEd signs an arbitrary header with an Ed25519 key.
func handMadeTokenEd(t *testing.T, priv ed25519.PrivateKey, header, claims map[string]any) string {
	return handMadeToken(t, header, claims, func(in []byte) []byte { return ed25519.Sign(priv, in) })
}

func TestKeyringLeeway(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	k := openTestKeyring(t, clock)
	tok, _ := k.Mint("u-1", "", nil, time.Minute)

	clock.Add(time.Minute + 30*time.Second) // expired by 30 s: within the clock-skew leeway
	if _, err := k.Verifier().Verify(t.Context(), tok); err != nil {
		t.Errorf("token expired 30 s ago: %v", err)
	}
	clock.Add(time.Minute)
	_, err := k.Verifier().Verify(t.Context(), tok)
	requireUnauthenticated(t, err, msgLoginExpired)
}

func TestKeyringConcurrentUse(t *testing.T) {
	t.Parallel()
	k := openTestKeyring(t, newTestClock())
	v := k.Verifier()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				tok, err := k.Mint("u", "", []Role{RoleUser}, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if _, err := v.Verify(t.Context(), tok); err != nil {
					errs <- err
					return
				}
				_ = k.KeyIDs()
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if _, err := k.Rotate(); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(k.KeyIDs()); n != 11 {
		t.Errorf("%d keys after 10 rotations, want 11", n)
	}
}
