package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"gopkg.in/yaml.v3"

	"shebao/content"
	"shebao/internal/apperr"
)

// adminRoutes registers the editors' API under /api/v1/admin; every route needs an editorial
// role, and the content service checks the specific role each action needs (editor edits and
// submits, reviewer approves and sends back, publisher publishes, admin everything).
func (s *Server) adminRoutes(r fiber.Router) {
	r.Get("/me", s.adminMe)
	r.Get("/people", s.adminPeople)
	s.guideAPI().routes(r.Group("/guides"))
	s.formAPI().routes(r.Group("/forms"))
	r.Get("/audit", s.adminAudit)
	r.Post("/import", s.adminImport)
	r.Get("/export", s.adminExport)
}

// adminMe answers who the caller is and what roles they hold (the console uses it at sign-in).
func (s *Server) adminMe(c *fiber.Ctx) error {
	p := principal(c)
	return c.JSON(fiber.Map{"subject": p.Subject, "name": p.Name, "roles": p.Roles})
}

// adminPeople answers GET /api/v1/admin/people: the display name of everyone who has acted, so
// the console shows names where the audit log and the versions store subjects.
func (s *Server) adminPeople(c *fiber.Ctx) error {
	people, err := s.Content.People(c.UserContext())
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(fiber.Map{"people": people})
}

// adminAudit answers GET /api/v1/admin/audit?actor=&code=&kind=&before=&limit=: the audit log by
// person, by document or both, newest first.
func (s *Server) adminAudit(c *fiber.Ctx) error {
	f := content.AuditFilter{Kind: content.Kind(c.Query("kind")), Code: c.Query("code"), Actor: c.Query("actor")}
	if f.Kind != "" && !f.Kind.Valid() {
		return badParam("kind", "应为 guide 或 form")
	}
	return s.sendAudit(c, f)
}

func (s *Server) sendAudit(c *fiber.Ctx, f content.AuditFilter) error {
	limit, err := intParam(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return badParam("before", "应为上一页最后一条记录的 id")
		}
		f.Before = n
	}
	f.Limit = limit
	items, err := s.Content.Audit(c.UserContext(), f)
	if err != nil {
		return err
	}
	noStore(c)
	out := fiber.Map{"items": items}
	if len(items) == limit {
		out["next_before"] = items[len(items)-1].ID
	}
	return c.JSON(out)
}

// adminImport answers POST /api/v1/admin/import[?publish=true]: a JSON or YAML bundle of guides
// and forms, validated as a whole and loaded as drafts (or, for an admin with publish=true,
// published). Nothing is loaded when anything is wrong; a file that expands past the import limits
// gets 413 import_too_large.
func (s *Server) adminImport(c *fiber.Ctx) error {
	// The role is checked before the body is parsed: parsing is the costly part a stranger could
	// otherwise make the server do.
	publish := c.Query("publish") == "true"
	if err := content.MayImport(actor(c), publish); err != nil {
		return err
	}
	b, err := content.ParseBundle(c.Body())
	if err != nil {
		return err
	}
	gr, fr, err := s.Content.ImportBundle(c.UserContext(), b, actor(c), publish)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(fiber.Map{"guides": gr, "forms": fr, "published": publish})
}

// adminExport answers GET /api/v1/admin/export?format=json|yaml with every published guide and
// form, in the import format.
func (s *Server) adminExport(c *fiber.Ctx) error {
	b, err := s.Content.Export(c.UserContext())
	if err != nil {
		return err
	}
	noStore(c)
	switch c.Query("format", "json") {
	case "json":
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="shebao-content.json"`)
		return c.JSON(b)
	case "yaml":
		out, err := yaml.Marshal(b)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="shebao-content.yaml"`)
		return c.Send(out)
	}
	return apperr.New(apperr.InvalidParameter, "参数 format 不正确，应为 json 或 yaml。")
}
