// Package identity answers two questions for every request: who is calling (a Verifier turns a
// bearer token into a Principal) and what they may do (Authorize checks the Principal's roles).
//
// Tokens come from one of two places:
//
//   - the province's identity service in production, verified against its published JWKS
//     (NewJWKSVerifier), and
//   - a local Keyring that mints and verifies its own Ed25519-signed tokens, for development,
//     tests and single-instance deployments without an identity service (OpenKeyring).
//
// Chain combines them and picks the verifier by the token's issuer:
//
//	keys, err := identity.OpenKeyring(filepath.Join(dataDir, "keys"))
//	idp, err := identity.NewJWKSVerifier(ctx, identity.JWKSConfig{
//		Issuer:   "https://id.example.gov.cn/realms/shaanxi",
//		Audience: "shebao",
//	})
//	verifier := identity.Chain(keys.Verifier(), idp)
//
//	p, err := verifier.Verify(ctx, bearerToken) // *apperr.Error, 401, on any failure
//	if err := identity.Authorize(p, identity.RoleEditor); err != nil { ... } // 403
package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"shebao/internal/apperr"
)

// Role is a permission bundle an account holds; an account may hold several.
type Role string

// The roles of the app. The editorial roles are separate so that no single person both writes
// and approves what citizens read.
const (
	RoleUser      Role = "user"      // a citizen using the app
	RoleEditor    Role = "editor"    // writes and revises guides
	RoleReviewer  Role = "reviewer"  // approves or rejects edits
	RolePublisher Role = "publisher" // puts approved guides online
	RoleAdmin     Role = "admin"     // everything, including managing the others
)

// Roles lists every known role, in order of increasing privilege.
func Roles() []Role {
	return []Role{RoleUser, RoleEditor, RoleReviewer, RolePublisher, RoleAdmin}
}

// ParseRole returns the role named s (case-insensitive, surrounding space ignored); an unknown
// name is an invalid_parameter error so that admin screens can show it to the user as is.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Roles(), r) {
		return r, nil
	}
	return "", apperr.Wrap(apperr.InvalidParameter, "未知的角色。", fmt.Errorf("identity: unknown role %q", s))
}

// Principal is the verified caller of a request.
type Principal struct {
	Subject   string    // stable account id from the token's sub; never empty once verified
	Name      string    // display name, if the token carries one
	Roles     []Role    // known roles only; roles the app does not know are dropped
	Issuer    string    // who vouched for the caller (LocalIssuer or the identity service)
	TokenID   string    // jti, for audit logs and revocation lists
	IssuedAt  time.Time // iat, when the token claims it was issued; zero if it does not say
	ExpiresAt time.Time // when the token stops being accepted
}

// Has reports whether p holds role, directly or through RoleAdmin, which implies every role.
func (p Principal) Has(role Role) bool {
	return slices.Contains(p.Roles, role) || slices.Contains(p.Roles, RoleAdmin)
}

// HasAny reports whether p holds at least one of roles; with no roles it reports false, so that
// a forgotten argument denies rather than allows.
func (p Principal) HasAny(roles ...Role) bool {
	return slices.ContainsFunc(roles, p.Has)
}

// Authorize returns nil if p holds any of roles, an unauthenticated error if p is the zero
// Principal (nobody logged in), and a forbidden error otherwise.
func Authorize(p Principal, roles ...Role) error {
	if p.Subject == "" {
		return apperr.New(apperr.Unauthenticated, "")
	}
	if p.HasAny(roles...) {
		return nil
	}
	return apperr.Wrap(apperr.Forbidden, "", fmt.Errorf("identity: requires one of %v", roles))
}
