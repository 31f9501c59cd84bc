package bff

import (
	"github.com/gofiber/fiber/v2"

	"shebao/content"
)

// formAPI is the workflow API for forms: bodies are Form schemas.
func (s *Server) formAPI() *docAPI {
	return newDocAPI(s, content.KindForm, "表单", s.Content.CreateForm, s.Content.SaveForm)
}

// formRoutes registers the public form routes on the /api/v1 group: the latest published
// version, and any published version by number (an application keeps the version it started
// with).
func (s *Server) formRoutes(v1 fiber.Router) {
	v1.Get("/forms/:code", s.getForm)
	v1.Get("/forms/:code/versions/:n", s.getFormVersion)
}

func (s *Server) getForm(c *fiber.Ctx) error {
	code := c.Params("code")
	if !content.ValidCode(code) {
		return badParam("code", "只能包含字母、数字、“-”和“_”，且不超过64个字符")
	}
	f, err := s.Content.PublishedForm(c.UserContext(), code)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(f)
}

func (s *Server) getFormVersion(c *fiber.Ctx) error {
	code := c.Params("code")
	if !content.ValidCode(code) {
		return badParam("code", "只能包含字母、数字、“-”和“_”，且不超过64个字符")
	}
	n, err := versionParam(c, "n")
	if err != nil {
		return err
	}
	f, err := s.Content.FormVersion(c.UserContext(), code, n)
	if err != nil {
		return err
	}
	// The schema of a published version never changes; only its status may.
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(f)
}
