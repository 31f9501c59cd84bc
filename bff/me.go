package bff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/application"
	"shebao/internal/identity"
	"shebao/internal/person"
	"shebao/internal/ratelimit"
)

// UnreadCounter counts a person's unread notices (the notify package's inbox); the home screen
// shows the number. Without one the count is 0.
type UnreadCounter interface {
	UnreadCount(ctx context.Context, subject string) (int, error)
}

// UnreadQuery is an UnreadCounter whose count one SQL query over the Applications store reads
// (notify.Service's UnreadSQL: its inbox lives in the same store): a home-screen miss then
// counts the unread notices inside its one query (application.Service.Home) instead of a
// second round trip.
type UnreadQuery interface {
	UnreadSQL() string
}

// noNotices is the UnreadCounter of a server without an inbox.
type noNotices struct{}

func (noNotices) UnreadCount(context.Context, string) (int, error) { return 0, nil }

// MeLimits bound what one person and one client address may ask of the /me routes.
type MeLimits struct {
	PerUser ratelimit.Rate // requests per signed-in person
	PerIP   ratelimit.Rate // requests per client address
	// MaxBody is the largest request body on /me routes (default 64 KiB).
	MaxBody int
}

// DefaultMeLimits: a person's app makes a few requests per screen; an office NAT shares an address.
var DefaultMeLimits = MeLimits{
	PerUser: ratelimit.Rate{Burst: 40, PerSecond: 10},
	PerIP:   ratelimit.Rate{Burst: 400, PerSecond: 100},
	MaxBody: 64 << 10,
}

// meRoutes registers the signed-in person's routes under /api/v1/me. Every one of them goes
// through the /me edge: CORS from config, security headers, a body size limit, and rate limits
// per client address (before the token is looked at) and per person.
func (s *Server) meRoutes(v1 fiber.Router) {
	me := v1.Group("/me", s.meEdge, requireRole(identity.RoleUser), s.meRateLimit)
	p := s.withPeople
	me.Get("", p(s.getMe))
	me.Patch("", p(s.patchMe))
	me.Get("/applications", p(s.listApplications))
	me.Post("/applications", p(s.submitApplication))
	me.Get("/applications/:id", p(s.getApplication))
	me.Post("/applications/:id/supplement", p(s.supplementApplication))
	me.Get("/events", s.meEvents)
	me.Get("/home", p(s.home))
	me.Get("/reminders", p(s.reminders))
	me.Post("/follows/:code", p(s.follow))
	me.Delete("/follows/:code", p(s.unfollow))
}

// meEdge answers CORS preflights, sets the security headers and refuses oversize bodies and
// clients over their per-address rate.
func (s *Server) meEdge(c *fiber.Ctx) error {
	h := &c.Response().Header
	for _, kv := range meSecurityHeaders {
		h.SetCanonical(kv[0], kv[1])
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		if !s.originAllowed(origin) {
			if c.Method() == fiber.MethodOptions {
				return apperr.New(apperr.Forbidden, "不允许从该来源访问。")
			}
		} else {
			h.Set(fiber.HeaderAccessControlAllowOrigin, origin)
			h.Set(fiber.HeaderVary, "Origin")
			h.Set(fiber.HeaderAccessControlAllowCredentials, "true")
			h.Set(fiber.HeaderAccessControlExposeHeaders, "ETag, Retry-After, X-Request-ID")
		}
		if c.Method() == fiber.MethodOptions {
			h.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, PATCH, DELETE")
			h.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type, If-None-Match, X-Request-ID")
			h.Set(fiber.HeaderAccessControlMaxAge, "600")
			return c.SendStatus(fiber.StatusNoContent)
		}
	}
	if len(c.Body()) > s.meLimits.MaxBody {
		return apperr.Newf(apperr.BodyTooLarge, "提交的内容过大（不超过%dKB）。", s.meLimits.MaxBody>>10)
	}
	return s.limit(c, s.ipKey(c), s.meLimits.PerIP)
}

// ipKey is the rate-limit key of the client's address, built with one allocation (c.IP() and
// a concatenation take two).
func (s *Server) ipKey(c *fiber.Ctx) string {
	var buf [64]byte
	b := append(buf[:0], "me-ip:"...)
	if ip, ok := netip.AddrFromSlice(c.Context().RemoteIP()); ok && !s.TrustProxy {
		b = ip.Unmap().AppendTo(b) // what c.IP() says without a proxy header
	} else {
		b = append(b, c.IP()...)
	}
	return string(b)
}

// meSecurityHeaders are set on every /me response; the names are in fasthttp's canonical form,
// so they are set without normalising them per request.
var meSecurityHeaders = [][2][]byte{
	{[]byte("X-Content-Type-Options"), []byte("nosniff")},
	{[]byte("X-Frame-Options"), []byte("DENY")},
	{[]byte("Referrer-Policy"), []byte("no-referrer")},
	{[]byte("Content-Security-Policy"), []byte("default-src 'none'; frame-ancestors 'none'")},
	{[]byte("Strict-Transport-Security"), []byte("max-age=31536000")},
	{[]byte(fiber.HeaderCacheControl), []byte("private, no-store")},
}

func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// meRateLimit limits one person's requests (after the token named them).
func (s *Server) meRateLimit(c *fiber.Ctx) error {
	return s.limit(c, "me-user:"+principal(c).Subject, s.meLimits.PerUser)
}

func (s *Server) limit(c *fiber.Ctx, key string, r ratelimit.Rate) error {
	ok, wait, err := s.meLimiter.Allow(c.UserContext(), key, r)
	if err != nil {
		return err
	}
	if !ok {
		secs := int(wait/time.Second) + 1
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return apperr.New(apperr.RateLimited, "")
	}
	return c.Next()
}

func (s *Server) needPeople() error {
	if s.People == nil || s.Applications == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	return nil
}

// withPeople answers service_unavailable, before h runs, when the person and applications
// feature is not wired (the route is not a middleware of the /me group: /me/voice and
// /me/notices share the prefix and do not need it).
func (s *Server) withPeople(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.needPeople(); err != nil {
			return err
		}
		return h(c)
	}
}

// getMe answers GET /api/v1/me: the profile, personal numbers masked, each field's source.
func (s *Server) getMe(c *fiber.Ctx) error {
	p := principal(c)
	prof, err := s.People.Profile(c.UserContext(), p.Subject, p.Name)
	return reply(c, fiber.StatusOK, prof, err)
}

// patchMe answers PATCH /api/v1/me: the person declares fields of their profile.
func (s *Server) patchMe(c *fiber.Ctx) error {
	var patch person.Patch
	if err := strictDecodeQuiet(c.Body(), &patch); err != nil {
		return err
	}
	p := principal(c)
	if _, err := s.People.Update(c.UserContext(), p.Subject, patch, person.Declared); err != nil {
		return err
	}
	s.personChanged(c.UserContext(), p.Subject)
	prof, err := s.People.Profile(c.UserContext(), p.Subject, p.Name)
	return reply(c, fiber.StatusOK, prof, err)
}

// strictDecodeQuiet decodes a JSON body, refusing unknown fields, without quoting the decoder's
// message (which can repeat the personal number that made it fail) to the client or the log.
func strictDecodeQuiet(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.New(apperr.InvalidBody, "请求内容不是正确的 JSON，或包含不认识的字段。")
	}
	return nil
}

// listApplications answers GET /api/v1/me/applications?status=&limit=&cursor=.
func (s *Server) listApplications(c *fiber.Ctx) error {
	limit, err := intParam(c, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	items, next, err := s.Applications.List(c.UserContext(), principal(c).Subject,
		application.ListFilter{Status: c.Query("status"), Limit: limit, Before: c.Query("cursor")})
	return reply(c, fiber.StatusOK, fiber.Map{"items": items, "next_cursor": next}, err)
}

// getApplication answers GET /api/v1/me/applications/{id} with the timeline. Another person's
// id, a guessed one and an unknown one all answer the same 404.
func (s *Server) getApplication(c *fiber.Ctx) error {
	a, err := s.Applications.Get(c.UserContext(), principal(c).Subject, c.Params("id"))
	return reply(c, fiber.StatusOK, a, err)
}

// submitApplication answers POST /api/v1/me/applications: 201 with the stored application.
func (s *Server) submitApplication(c *fiber.Ctx) error {
	var sub application.Submission
	if err := strictDecodeQuiet(c.Body(), &sub); err != nil {
		return err
	}
	a, err := s.Applications.Submit(c.UserContext(), principal(c).Subject, sub)
	if err != nil {
		return err
	}
	// The step's event invalidates every replica's cache; this covers a cache not following the log.
	s.Home.Invalidate(principal(c).Subject)
	c.Set(fiber.HeaderLocation, "/api/v1/me/applications/"+a.ID)
	return c.Status(fiber.StatusCreated).JSON(a)
}

// supplementApplication answers POST /api/v1/me/applications/{id}/supplement.
func (s *Server) supplementApplication(c *fiber.Ctx) error {
	var r application.SupplementRequest
	if err := strictDecodeQuiet(c.Body(), &r); err != nil {
		return err
	}
	a, err := s.Applications.Supplement(c.UserContext(), principal(c).Subject, c.Params("id"), r)
	if err != nil {
		return err
	}
	s.Home.Invalidate(principal(c).Subject)
	return c.JSON(a)
}

// etagOf is the strong validator of a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}
