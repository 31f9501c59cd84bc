package identity

import (
	"context"
	"fmt"
)

// chain routes each token to the verifier for its issuer.
type chain map[string]Verifier

// Chain returns a Verifier that hands each token to the one of verifiers whose issuer matches
// the token's iss, and refuses tokens from any other issuer. The iss is read before the signature
// is checked, which is safe only because it merely picks the verifier: that verifier then checks
// the signature and the iss again, so a forged iss leads to a verifier whose keys did not sign.
//
// Each verifier must report its issuer with an Issuer() string method, as Keyring.Verifier() and
// *JWKSVerifier do. Chain panics on a verifier without one or on two verifiers for one issuer,
// both wiring mistakes best caught at startup.
func Chain(verifiers ...Verifier) Verifier {
	c := make(chain, len(verifiers))
	for _, v := range verifiers {
		iv, ok := v.(interface{ Issuer() string })
		if !ok {
			panic(fmt.Sprintf("identity.Chain: %T has no Issuer method", v))
		}
		iss := iv.Issuer()
		if _, dup := c[iss]; dup {
			panic(fmt.Sprintf("identity.Chain: two verifiers for issuer %q", iss))
		}
		c[iss] = v
	}
	return c
}

// Verify checks token with the verifier for its issuer.
func (c chain) Verify(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, loginRequired()
	}
	iss, err := peekIssuer(token)
	if err != nil {
		return Principal{}, unauthenticated(err)
	}
	v, ok := c[iss]
	if !ok {
		return Principal{}, unauthenticated(fmt.Errorf("unknown issuer %q", clip(iss)))
	}
	return v.Verify(ctx, token)
}
