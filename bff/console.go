package bff

import (
	"embed"
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

// consoleFS holds the editor console: one HTML page, a script and a style sheet, served as they
// are (no build step, nothing from a CDN).
//
//go:embed console
var consoleFS embed.FS

// consoleCSP allows only the console's own files: an injected inline script or event handler
// would not run even if some text were ever inserted as HTML.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// consoleRoutes serves the editor console at /admin, and its icon where browsers look for one.
func (s *Server) consoleRoutes(r fiber.Router) {
	r.Get("/admin", s.consolePage)
	r.Get("/admin/assets/:file", s.consoleAsset)
	r.Get("/favicon.ico", s.favicon)
}

// favicon answers GET /favicon.ico, which browsers ask for on any page of the host (the console
// itself links the SVG icon).
func (s *Server) favicon(c *fiber.Ctx) error {
	b, err := consoleFS.ReadFile("console/favicon.ico")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/x-icon")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(b)
}

func consoleHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", consoleCSP)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-cache")
}

func (s *Server) consolePage(c *fiber.Ctx) error {
	b, err := consoleFS.ReadFile("console/index.html")
	if err != nil {
		return err
	}
	consoleHeaders(c)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(b)
}

func (s *Server) consoleAsset(c *fiber.Ctx) error {
	name := c.Params("file")
	if name == "index.html" || !fs.ValidPath(name) || path.Base(name) != name {
		return fiber.ErrNotFound
	}
	b, err := consoleFS.ReadFile("console/" + name)
	if err != nil {
		return fiber.ErrNotFound
	}
	consoleHeaders(c)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(b)
}
