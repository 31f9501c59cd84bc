package bff

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
)

// healthz says the process is alive.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.Version})
}

// readyz runs every readiness check (store reachable, migrations current, index open) and answers
// 503 with the failing checks until all pass.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	for _, rc := range s.Ready {
		if err := rc.Check(ctx); err != nil {
			ok = false
			checks[rc.Name] = err.Error()
		} else {
			checks[rc.Name] = "ok"
		}
	}
	if !ok {
		e := apperr.New(apperr.Unavailable, "")
		e.Details = checks
		return writeError(c, e)
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}
