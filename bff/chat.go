package bff

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// chatRoutes mounts the chat WebSocket on Fiber too. cmd/shebao sends connections that open with
// the chat request to a plain net/http server instead (cheaper idle connections); this route
// serves clients that upgrade on a keep-alive connection that began with another request.
func (s *Server) chatRoutes(v1 fiber.Router) {
	if s.Chat == nil {
		return
	}
	v1.Get("/chat", adaptor.HTTPHandler(s.Chat))
}
