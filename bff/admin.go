package bff

import (
	"github.com/gofiber/fiber/v2"
)

// adminRoutes registers the editors' API under /api/v1/admin; every route needs an editorial
// role, and each handler checks the specific role its action needs.
func (s *Server) adminRoutes(r fiber.Router) {
	r.Get("/me", s.adminMe)
}

// adminMe answers who the caller is and what roles they hold (the console uses it at sign-in).
func (s *Server) adminMe(c *fiber.Ctx) error {
	p := principal(c)
	return c.JSON(fiber.Map{"subject": p.Subject, "name": p.Name, "roles": p.Roles})
}
