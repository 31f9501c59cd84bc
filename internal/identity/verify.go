package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shebao/internal/apperr"
)

// Verifier turns a bearer token into the Principal it vouches for. Every failure is an
// *apperr.Error of kind Unauthenticated whose cause (for the logs) says what was wrong.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// allowedAlgorithms is the only set of "alg" values we accept, whatever a token claims. All are
// asymmetric: an HMAC algorithm would let anyone holding the public key (which is public) sign
// tokens — the algorithm-confusion attack — and "none" needs no key at all.
func allowedAlgorithms() []string { return []string{"EdDSA", "RS256", "PS256", "ES256"} }

const (
	// clockLeeway absorbs clock skew between the identity service and our servers, so a token
	// is not rejected in the second after it was issued or a moment before it expires.
	clockLeeway = 60 * time.Second

	// maxTokenLen bounds the work done on attacker-supplied input before any signature check;
	// real tokens are a few hundred bytes to a few KiB.
	maxTokenLen = 16 << 10
)

// Messages shown to the user. Expiry gets its own so the app can say why the user has to log in
// again; every other failure looks the same so that probing learns nothing.
const (
	msgLoginRequired = "请先登录。"
	msgLoginExpired  = "登录已过期，请重新登录。"
	msgLoginInvalid  = "登录状态无效，请重新登录。"
)

// loginRequired is the error for a request without a token: nothing went wrong, the user has
// simply not logged in, so there is no cause to log.
func loginRequired() *apperr.Error {
	return apperr.New(apperr.Unauthenticated, msgLoginRequired)
}

// unauthenticated is the error for a token we do not accept; cause goes to the logs only.
func unauthenticated(cause error) *apperr.Error {
	return apperr.Wrap(apperr.Unauthenticated, msgLoginInvalid, fmt.Errorf("identity: %w", cause))
}

// verificationKey is a public key with the algorithm its publisher bound it to ("" when the
// publisher did not say, in which case any allowed algorithm for the key type fits).
type verificationKey struct {
	key crypto.PublicKey
	alg string
}

// fits reports whether k may verify a signature made with alg. The JWT library would also reject
// a mismatched key type, but checking here keeps the rule independent of the library's internals.
func (k verificationKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.key.(type) {
	case ed25519.PublicKey:
		return alg == "EdDSA"
	case *rsa.PublicKey:
		return alg == "RS256" || alg == "PS256"
	case *ecdsa.PublicKey:
		return alg == "ES256" && pub.Curve == elliptic.P256()
	}
	return false
}

// keyLookup returns the keys a token with the given kid may be verified against; an error means
// there are none.
type keyLookup func(ctx context.Context, kid string) ([]verificationKey, error)

// newParser returns a parser that checks the algorithm allowlist and the registered claims:
// iss must equal issuer, aud must contain audience (when set), exp is required, and exp, nbf and
// iat are checked against now with clockLeeway.
func newParser(issuer, audience string, now func() time.Time) *jwt.Parser {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(allowedAlgorithms()),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockLeeway),
		jwt.WithTimeFunc(now),
	}
	if audience != "" {
		opts = append(opts, jwt.WithAudience(audience))
	}
	return jwt.NewParser(opts...)
}

// verifyToken checks raw's signature against the keys lookup finds for its kid, then its claims,
// and returns the Principal it names, reading roles from the claim at rolesClaim.
func verifyToken(ctx context.Context, parser *jwt.Parser, raw string, lookup keyLookup, rolesClaim string) (Principal, error) {
	if raw == "" {
		return Principal{}, loginRequired()
	}
	if len(raw) > maxTokenLen {
		return Principal{}, unauthenticated(fmt.Errorf("token is %d bytes, longer than %d", len(raw), maxTokenLen))
	}
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		// Reached only for allowlisted algorithms: the parser checks the list first.
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token header has no kid")
		}
		keys, err := lookup(ctx, kid)
		if err != nil {
			return nil, err
		}
		alg := t.Method.Alg()
		var set jwt.VerificationKeySet
		for _, k := range keys {
			if k.fits(alg) {
				set.Keys = append(set.Keys, k.key)
			}
		}
		if len(set.Keys) == 0 {
			return nil, fmt.Errorf("key %q cannot verify %s signatures", clip(kid), alg)
		}
		return set, nil
	})
	if err != nil {
		// The library checks the signature before the claims, so "expired" here means a genuine
		// token that is merely old, the one failure worth telling the user about.
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Principal{}, apperr.Wrap(apperr.Unauthenticated, msgLoginExpired, fmt.Errorf("identity: %w", err))
		}
		return Principal{}, unauthenticated(err)
	}
	return principalFrom(claims, rolesClaim)
}

// principalFrom builds the Principal from verified claims.
func principalFrom(c jwt.MapClaims, rolesClaim string) (Principal, error) {
	sub, _ := c["sub"].(string)
	if strings.TrimSpace(sub) == "" {
		// Without a subject there is nobody to attribute actions to.
		return Principal{}, unauthenticated(errors.New("token has no sub"))
	}
	p := Principal{Subject: sub, Roles: rolesIn(claimAt(c, rolesClaim))}
	p.Issuer, _ = c["iss"].(string)
	p.TokenID, _ = c["jti"].(string)
	if p.Name, _ = c["name"].(string); p.Name == "" {
		p.Name, _ = c["preferred_username"].(string)
	}
	if exp, err := c.GetExpirationTime(); err == nil && exp != nil {
		p.ExpiresAt = exp.Time
	}
	if iat, err := c.GetIssuedAt(); err == nil && iat != nil {
		p.IssuedAt = iat.Time
	}
	return p, nil
}

// claimAt returns the claim at path: a top-level claim of that exact name, or else a dotted path
// into nested objects, as identity services such as Keycloak nest roles ("realm_access.roles").
func claimAt(c map[string]any, path string) any {
	if v, ok := c[path]; ok {
		return v
	}
	var cur any = c
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// rolesIn reads roles from a claim value: an array of strings, or one space-separated string as
// some services send when there is a single role. Roles the app does not know are dropped rather
// than failing the token, because the identity service also issues roles for other applications.
func rolesIn(v any) []Role {
	var names []string
	switch v := v.(type) {
	case string:
		names = strings.Fields(v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				names = append(names, s)
			}
		}
	}
	var roles []Role
	for _, n := range names {
		if r, err := ParseRole(n); err == nil && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles
}

// clip shortens attacker-supplied text (a kid, an issuer) before it goes into an error that will
// be logged, so a crafted token cannot flood the logs.
func clip(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// peekIssuer returns the iss claim of raw WITHOUT verifying anything. It is only good for
// choosing which verifier to ask; the chosen verifier then checks the signature and iss itself.
func peekIssuer(raw string) (string, error) {
	if len(raw) > maxTokenLen {
		return "", fmt.Errorf("token is %d bytes, longer than %d", len(raw), maxTokenLen)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("token has %d segments, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("token payload: %w", err)
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("token payload: %w", err)
	}
	return claims.Iss, nil
}

// TokenClaims are what an operator needs to revoke a token: its id, subject and expiry.
type TokenClaims struct {
	ID        string
	Subject   string
	ExpiresAt time.Time
}

// PeekClaims reads the jti, sub and exp of raw WITHOUT verifying it, for revoking a token
// (revoking a forged one does no harm). Never use it to decide who someone is.
func PeekClaims(raw string) (TokenClaims, error) {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return TokenClaims{}, fmt.Errorf("identity: not a token: %w", err)
	}
	tc := TokenClaims{ID: c.ID, Subject: c.Subject}
	if c.ExpiresAt != nil {
		tc.ExpiresAt = c.ExpiresAt.Time
	}
	return tc, nil
}
