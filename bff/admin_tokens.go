package bff

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/identity"
)

// adminTokenRoutes lets an admin revoke a token or a person (the API twin of
// `shebao token --revoke` / `--revoke-subject`).
func (s *Server) adminTokenRoutes(r fiber.Router) {
	r.Post("/tokens/revoke", requireRole(identity.RoleAdmin), s.revokeTokens)
}

// revokeRequest names exactly one of a token, a token id or a person.
type revokeRequest struct {
	Token   string `json:"token"`   // the token itself; its jti and exp are read from it
	JTI     string `json:"jti"`     // or its id
	Subject string `json:"subject"` // or a person: every token issued up to Before
	Before  string `json:"before"`  // RFC 3339; default now
	Reason  string `json:"reason"`
}

// revokeTokens answers POST /api/v1/admin/tokens/revoke. Servers sharing the store refuse the
// token or person within their revocation refresh; this one at once.
func (s *Server) revokeTokens(c *fiber.Ctx) error {
	if s.Revocations == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	var req revokeRequest
	if err := strictDecode(c.Body(), &req); err != nil {
		return err
	}
	named := 0
	for _, v := range []string{req.Token, req.JTI, req.Subject} {
		if strings.TrimSpace(v) != "" {
			named++
		}
	}
	if named != 1 {
		return badParam("token", "token、jti 与 subject 须且只能填写一项")
	}
	by := principal(c).Subject
	ctx := c.UserContext()
	noStore(c)
	if req.Subject != "" {
		before := time.Now()
		if req.Before != "" {
			t, err := time.Parse(time.RFC3339, req.Before)
			if err != nil {
				return badParam("before", "应为 RFC 3339 时间，如 2026-01-02T15:04:05+08:00")
			}
			before = t
		}
		if err := s.Revocations.RevokeSubject(ctx, req.Subject, before, by, req.Reason); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"revoked": "subject", "subject": req.Subject, "before": before.UTC().Format(time.RFC3339)})
	}
	if req.Before != "" {
		return badParam("before", "只用于 subject")
	}
	jti, exp := req.JTI, time.Time{}
	if req.Token != "" {
		claims, err := identity.PeekClaims(req.Token)
		if err != nil || claims.ID == "" {
			return badParam("token", "应为带 jti 的令牌；没有 jti 的令牌请按 subject 撤销")
		}
		jti, exp = claims.ID, claims.ExpiresAt
	}
	if err := s.Revocations.RevokeToken(ctx, jti, exp, by, req.Reason); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"revoked": "token", "jti": jti})
}
