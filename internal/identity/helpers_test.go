package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shebao/internal/apperr"
	"shebao/internal/testutil"
)

// testClock is a clock tests move by hand.
type testClock = testutil.Clock

func newTestClock() *testClock { return testutil.NewClock(time.Now().Truncate(time.Second)) }

// rejection is a token a verifier must refuse, with the user message it must answer.
type rejection struct {
	name  string
	token string
	msg   string
}

// requireRejected checks, one parallel subtest each, that v refuses every token with its
// message and gives no principal along with the error.
func requireRejected(t *testing.T, v Verifier, tests []rejection) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(t.Context(), tt.token)
			requireUnauthenticated(t, err, tt.msg)
			if p.Subject != "" {
				t.Errorf("got principal %+v along with the error", p)
			}
		})
	}
}

// requireUnauthenticated fails the test unless err is a 401 application error with the given
// user message ("" for any) and, for real failures, a cause for the logs.
func requireUnauthenticated(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error, want unauthenticated")
	}
	ae, ok := apperr.As(err)
	if !ok {
		t.Fatalf("got %T %v, want *apperr.Error", err, err)
	}
	if ae.Code != apperr.Unauthenticated.Code || ae.Status != http.StatusUnauthorized {
		t.Fatalf("got %s/%d, want unauthenticated/401: %v", ae.Code, ae.Status, err)
	}
	if msg != "" && ae.Message != msg {
		t.Fatalf("message %q, want %q", ae.Message, msg)
	}
	if ae.Message != msgLoginRequired && ae.Err == nil {
		t.Fatalf("no cause wrapped for the logs: %v", err)
	}
}

// b64 is base64url without padding, as JWTs use.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// handMadeToken assembles a token without the JWT library, for headers the library refuses to
// produce (alg none, HMAC keyed with a public key).
func handMadeToken(t *testing.T, header, claims map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64(h) + "." + b64(c)
	return input + "." + b64(sign([]byte(input)))
}

// hs256 signs with HMAC-SHA256 keyed by secret.
func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

// unsigned is the empty signature of alg "none".
func unsigned([]byte) []byte { return nil }

// tamper replaces the payload of a signed token, keeping its header and signature.
func tamper(t *testing.T, token string, claims map[string]any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0] + "." + b64(c) + "." + parts[2]
}

// idpKey is a signing key of the fake identity service.
type idpKey struct {
	kid    string
	method jwt.SigningMethod
	priv   crypto.Signer
	jwk    map[string]any
}

func newRSAKey(t *testing.T, kid string, method jwt.SigningMethod) idpKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return idpKey{kid: kid, method: method, priv: priv, jwk: map[string]any{
		"kty": "RSA", "kid": kid, "use": "sig",
		"n": b64(priv.N.Bytes()), "e": b64([]byte{1, 0, 1}),
	}}
}

func newECKey(t *testing.T, kid string) idpKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := priv.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	return idpKey{kid: kid, method: jwt.SigningMethodES256, priv: priv, jwk: map[string]any{
		"kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256",
		"x": b64(pt[1:33]), "y": b64(pt[33:]),
	}}
}

func newEdKey(t *testing.T, kid string) idpKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return idpKey{kid: kid, method: jwt.SigningMethodEdDSA, priv: priv, jwk: map[string]any{
		"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(pub),
	}}
}

// sign signs claims with k, naming k.kid in the header.
func (k idpKey) sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	return k.signAs(t, k.method, claims)
}

// signAs signs with k's private key but another algorithm, as an attacker or misconfigured
// service might.
func (k idpKey) signAs(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeIdP is an OpenID Connect identity service speaking real discovery and JWKS over HTTP.
type fakeIdP struct {
	srv         *httptest.Server
	issuer      string
	fetches     atomic.Int64 // JWKS requests
	discoveries atomic.Int64

	mu      sync.Mutex
	keys    []map[string]any
	failing bool // answer 500, as during an outage
	hang    bool // never answer, to exercise timeouts
}

// newEdIdP starts an identity provider publishing one new Ed25519 key, with a test clock.
func newEdIdP(t *testing.T, kid string) (idpKey, *fakeIdP, *testClock) {
	t.Helper()
	k := newEdKey(t, kid)
	return k, newFakeIdP(t, k), newTestClock()
}

func newFakeIdP(t *testing.T, keys ...idpKey) *fakeIdP {
	t.Helper()
	f := &fakeIdP{}
	f.setKeys(keys...)
	stop := make(chan struct{})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		failing, hang, keys := f.failing, f.hang, f.keys
		f.mu.Unlock()
		if hang {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		if failing {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			f.discoveries.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"issuer": f.issuer, "jwks_uri": f.srv.URL + "/jwks"})
		case "/jwks":
			f.fetches.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"keys": keys})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(stop); f.srv.Close() })
	f.issuer = f.srv.URL
	return f
}

// setKeys replaces the published keys, as a key rotation at the identity service does.
func (f *fakeIdP) setKeys(keys ...idpKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = nil
	for _, k := range keys {
		f.keys = append(f.keys, k.jwk)
	}
}

func (f *fakeIdP) setFailing(v bool) { f.mu.Lock(); f.failing = v; f.mu.Unlock() }
func (f *fakeIdP) setHang(v bool)    { f.mu.Lock(); f.hang = v; f.mu.Unlock() }

// claims returns valid claims for a token from this identity service at time now.
func (f *fakeIdP) claims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   f.issuer,
		"sub":   "u-42",
		"aud":   "shebao",
		"name":  "王小明",
		"roles": []string{"editor", "offline_access"},
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(5 * time.Minute).Unix(),
		"jti":   "t-1",
	}
}

// verifier returns a JWKSVerifier for f on clock, with a short fetch timeout.
func (f *fakeIdP) verifier(t *testing.T, clock *testClock, cfg JWKSConfig) *JWKSVerifier {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = f.issuer
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = f.srv.URL + "/jwks"
	}
	v, err := newJWKSVerifier(t.Context(), cfg, jwksOptions{now: clock.Now, fetchTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
