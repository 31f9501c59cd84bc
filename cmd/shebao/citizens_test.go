package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shebao/internal/identity"
)

// TestIdentityServiceTokensAreUsers: a token of the province's identity service that carries
// only another application's roles is still a citizen of ours (role user), keeping its own roles.
func TestIdentityServiceTokensAreUsers(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{"kty": "OKP", "kid": "k1", "crv": "Ed25519",
			"x": base64.RawURLEncoding.EncodeToString(pub)}}})
	}))
	defer srv.Close()
	ctx := context.Background()
	idp, err := identity.NewJWKSVerifier(ctx, identity.JWKSConfig{Issuer: "https://id.example.gov.cn", JWKSURL: srv.URL, Audience: "shebao"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://id.example.gov.cn", "sub": "c-1", "aud": "shebao",
		"roles": []string{"editor", "offline_access"}, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	tok.Header["kid"] = "k1"
	raw, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := idp.Verify(ctx, raw); err != nil || p.Has(identity.RoleUser) {
		t.Fatalf("the bare verifier: %+v %v (the test needs a token without the user role)", p, err)
	}
	p, err := citizens{idp}.Verify(ctx, raw)
	if err != nil || !slices.Contains(p.Roles, identity.RoleUser) || !slices.Contains(p.Roles, identity.RoleEditor) {
		t.Fatalf("citizen: %+v %v", p, err)
	}
	if _, err := (citizens{idp}).Verify(ctx, raw+"x"); err == nil {
		t.Fatal("a bad signature passed")
	}
}
