package bff

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openapiJSON is the hand-written API description; TestOpenAPIMatchesRoutes keeps it honest.
//
//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openapiJSON)
}
