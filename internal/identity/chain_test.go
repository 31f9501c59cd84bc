package identity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestChain(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	keys := openTestKeyring(t, clock)
	idpKey := newRSAKey(t, "idp-1", jwt.SigningMethodRS256)
	idp := newFakeIdP(t, idpKey)
	v := Chain(keys.Verifier(), idp.verifier(t, clock, JWKSConfig{Audience: "shebao"}))
	now := clock.Now()

	local, _ := keys.Mint("staff-7", "张编辑", []Role{RoleEditor}, time.Hour)
	p, err := v.Verify(t.Context(), local)
	if err != nil || p.Issuer != LocalIssuer || p.Subject != "staff-7" {
		t.Errorf("local token: %+v, %v", p, err)
	}
	p, err = v.Verify(t.Context(), idpKey.sign(t, idp.claims(now)))
	if err != nil || p.Issuer != idp.issuer || p.Subject != "u-42" {
		t.Errorf("identity-service token: %+v, %v", p, err)
	}

	// The issuer only picks the verifier: claiming another issuer gets a verifier whose keys
	// did not sign the token.
	claimsLocal := idp.claims(now)
	claimsLocal["iss"] = LocalIssuer
	localSigned, _ := keys.sign(idp.claims(now))
	otherIss := idp.claims(now)
	otherIss["iss"] = "https://evil.example"

	tests := []rejection{
		{"empty", "", msgLoginRequired},
		{"malformed", "abc", msgLoginInvalid},
		{"payload not JSON", "e30." + b64([]byte("nope")) + ".sig", msgLoginInvalid},
		{"iss not a string", handMadeToken(t, map[string]any{"alg": "EdDSA"}, map[string]any{"iss": 7}, unsigned), msgLoginInvalid},
		{"unknown issuer", idpKey.sign(t, otherIss), msgLoginInvalid},
		{"no issuer", idpKey.sign(t, jwt.MapClaims{"sub": "x", "exp": now.Add(time.Hour).Unix()}), msgLoginInvalid},
		{"identity-service key claiming to be local", idpKey.sign(t, claimsLocal), msgLoginInvalid},
		{"local key claiming to be the identity service", localSigned, msgLoginInvalid},
	}
	requireRejected(t, v, tests)
}

// issuerless is a Verifier that cannot say whose tokens it checks.
type issuerless struct{}

func (issuerless) Verify(context.Context, string) (Principal, error) { return Principal{}, nil }

func TestChainWiringMistakesPanic(t *testing.T) {
	t.Parallel()
	keys := openTestKeyring(t, newTestClock())
	for name, verifiers := range map[string][]Verifier{
		"duplicate issuer": {keys.Verifier(), keys.Verifier()},
		"no Issuer method": {issuerless{}},
		"nil verifier":     {nil},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "identity.Chain") {
					t.Errorf("%s: recovered %v, want an identity.Chain panic", name, r)
				}
			}()
			Chain(verifiers...)
		}()
	}
}

func TestChainWithNoVerifiersRefusesEverything(t *testing.T) {
	t.Parallel()
	keys := openTestKeyring(t, newTestClock())
	tok, _ := keys.Mint("u", "", nil, time.Hour)
	_, err := Chain().Verify(t.Context(), tok)
	requireUnauthenticated(t, err, msgLoginInvalid)
}
