package bff

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/identity"
)

// AppOIDC is how the app signs people in at the province's identity service: the browser runs
// the authorization code flow with PKCE against the issuer's discovered endpoints.
type AppOIDC struct {
	Issuer   string // empty = no identity-service sign-in
	ClientID string
}

// Minter mints locally signed tokens (the keyring); set only in dev mode.
type Minter interface {
	Mint(subject, name string, roles []identity.Role, ttl time.Duration) (string, error)
}

// DevAccount is a demo account of dev mode, offered on the sign-in screen.
type DevAccount struct {
	ID      string          `json:"id"`
	Subject string          `json:"subject"`
	Name    string          `json:"name"`
	Label   string          `json:"label"`
	Roles   []identity.Role `json:"roles"`
}

// DevAccounts are the demo person and the demo editor that exist in dev mode.
var DevAccounts = []DevAccount{
	{ID: "person", Subject: "demo-person", Name: "王秀兰", Label: "演示居民（王秀兰）", Roles: []identity.Role{identity.RoleUser}},
	{ID: "editor", Subject: "demo-editor", Name: "李编辑", Label: "演示编辑（李编辑）", Roles: []identity.Role{identity.RoleEditor}},
}

// DevTokenTTL is how long a demo sign-in lasts: long enough for a demo, short enough that a
// leaked dev token is soon worthless.
const DevTokenTTL = 2 * time.Hour

func (s *Server) appAuthRoutes(v1 fiber.Router) {
	v1.Get("/app/config", s.appConfig)
	v1.Post("/dev/sign-in", s.devSignIn)
}

// appConfig answers GET /api/v1/app/config: which sign-ins the app offers.
func (s *Server) appConfig(c *fiber.Ctx) error {
	out := fiber.Map{"dev": s.DevMinter != nil, "oidc": nil}
	if s.DevMinter != nil {
		out["accounts"] = DevAccounts
	}
	if s.OIDC.Issuer != "" && s.OIDC.ClientID != "" {
		out["oidc"] = fiber.Map{"issuer": s.OIDC.Issuer, "client_id": s.OIDC.ClientID}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// devSignIn answers POST /api/v1/dev/sign-in {"account":"person"}: a short-lived local token
// for a demo account. It does not exist (404) unless the server runs in dev mode.
func (s *Server) devSignIn(c *fiber.Ctx) error {
	if s.DevMinter == nil {
		return apperr.New(apperr.NotFound, "")
	}
	var in struct {
		Account string `json:"account"`
	}
	if err := c.BodyParser(&in); err != nil {
		return apperr.New(apperr.InvalidBody, "请求内容不是有效的 JSON。")
	}
	for _, a := range DevAccounts {
		if a.ID != in.Account {
			continue
		}
		tok, err := s.DevMinter.Mint(a.Subject, a.Name, a.Roles, DevTokenTTL)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"token": tok, "expires_in": int(DevTokenTTL.Seconds()), "account": a})
	}
	return apperr.New(apperr.InvalidParameter, "没有这个演示账号。")
}
