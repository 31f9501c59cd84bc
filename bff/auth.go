package bff

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/identity"
)

const keyPrincipal ctxKey = iota + 100

// authenticate verifies the bearer token, if any, and stores the principal for the handler.
// Routes that need a person call requireRole; public routes ignore the principal.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		return c.Next()
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || s.Auth == nil {
		return apperr.New(apperr.Unauthenticated, "登录凭证格式不正确，请重新登录。")
	}
	p, err := s.Auth.Verify(c.UserContext(), strings.TrimSpace(tok))
	if err != nil {
		return err
	}
	c.Locals(keyPrincipal, p)
	return c.Next()
}

// principal returns the verified caller, or the zero Principal for an anonymous request.
func principal(c *fiber.Ctx) identity.Principal {
	p, _ := c.Locals(keyPrincipal).(identity.Principal)
	return p
}

// requireRole is middleware that lets through only callers holding one of roles: 401 without a
// valid token, 403 with the wrong roles.
func requireRole(roles ...identity.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := identity.Authorize(principal(c), roles...); err != nil {
			return err
		}
		return c.Next()
	}
}

// actor is the caller as the content package sees it, with the client IP for the audit log.
func actor(c *fiber.Ctx) content.Actor {
	p := principal(c)
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return content.Actor{ID: p.Subject, Name: p.Name, Roles: roles, IP: c.IP()}
}
