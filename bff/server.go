// Package bff is the HTTP edge: routing, identity, the error model, request ids, access logs,
// metrics, and one file per screen or resource of the app and the editor console.
package bff

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"shebao/assistant/voice"
	"shebao/content"
	"shebao/internal/application"
	"shebao/internal/event"
	"shebao/internal/guideuse"
	"shebao/internal/identity"
	"shebao/internal/person"
	"shebao/internal/ratelimit"
	"shebao/notify"
	"shebao/search"
)

// ReadyCheck is one named readiness probe (store reachable, migrations current, index open).
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are the services the edge serves. Optional ones may be nil; their routes then answer
// service_unavailable.
type Deps struct {
	Content *content.Service
	Search  *search.Service   // optional; search routes answer service_unavailable without it
	Auth    identity.Verifier // optional; without it every authenticated route answers 401
	// Revocations, when set, backs POST /admin/tokens/revoke (else service_unavailable); Auth
	// should check it (identity.WithRevocations).
	Revocations *identity.Revocations
	Chat        http.Handler // optional WebSocket endpoint (net/http, gorilla)
	// Notify backs the inbox, push subscriptions and campaigns; without it they answer
	// push_unavailable.
	Notify *notify.Service
	// Unanswered, when set, gives the chat part of the 办事堵点 report (the assistant's
	// questions the guides could not answer); without it that part is empty.
	Unanswered UnansweredSource
	// Voice transcribes and speaks; without it the voice routes answer voice_unavailable.
	Voice *voice.Service
	// VoiceSettings remembers signed-in people's voice settings (GET/PATCH /me/voice).
	VoiceSettings VoiceSettings
	Log           *slog.Logger
	// AccessLog, when set, receives one JSON line per request (same fields as the slog record
	// written otherwise), formatted without reflection; it should buffer.
	AccessLog accessWriter
	Registry  *prometheus.Registry // optional; a new one when nil
	Ready     []ReadyCheck
	Version   string
	// TrustProxy takes the client IP from X-Forwarded-For.
	TrustProxy bool
	// OIDC is the identity service /app signs people in with (empty Issuer: none).
	OIDC AppOIDC
	// DevMinter, set only in dev mode, mints the demo accounts' tokens (POST /dev/sign-in).
	DevMinter Minter

	// The signed-in person (/api/v1/me …) and the 经办 system's webhooks; optional, their routes
	// answer service_unavailable without them.
	People       *person.Store
	Applications *application.Service
	Progress     *application.Progress // the SSE progress streams
	// UpstreamSecret verifies the 经办 system's webhooks (POST /api/v1/upstream/events).
	UpstreamSecret []byte
	// Unread counts unread notices for the home screen; nil counts none. One that is also an
	// UnreadQuery (notify.Service) is read inside the home screen's one query, so its inbox
	// must live in the Applications store. Whatever marks notices read or adds one should
	// publish event.PersonChanged for the person, or the home screen shows the old count until
	// HomeCache's TTL.
	Unread UnreadCounter
	// Home caches each person's home screen; nil = a private cache invalidated only by this
	// process's own writes (connect a shared one to the event log with HomeCache.Follow).
	Home *HomeCache
	// GuideUse counts guide views and search clicks per person and overall, for the home
	// screen's 常用服务; nil = none counted (常用服务 from follows and applications only).
	GuideUse *guideuse.Store
	// Events carries person.changed to the other replicas' home caches; nil = this process only.
	Events event.Bus
	// MeLimits bound the /me routes; zero fields take DefaultMeLimits.
	MeLimits MeLimits
	// MeLimiter counts /me requests per person and per address; nil = in memory.
	MeLimiter ratelimit.Limiter
	// AllowedOrigins are the browser origins allowed to call /me routes (CORS); "*" allows all.
	AllowedOrigins []string
	// Now is the clock of reminders; nil = time.Now.
	Now func() time.Time
}

// Server is the Fiber application with its dependencies.
type Server struct {
	Deps
	app       *fiber.App
	log       *slog.Logger
	metrics   *metrics
	meLimits  MeLimits
	meLimiter ratelimit.Limiter
	now       func() time.Time
	stopping  chan struct{} // closed at Shutdown: ends the progress streams
	stopOnce  sync.Once
}

// New builds the application and registers every route.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	s := &Server{Deps: d, log: d.Log, stopping: make(chan struct{})}
	s.meLimits, s.meLimiter, s.now = d.MeLimits, d.MeLimiter, d.Now
	if s.meLimits.PerUser.Burst <= 0 || s.meLimits.PerUser.PerSecond <= 0 {
		s.meLimits.PerUser = DefaultMeLimits.PerUser
	}
	if s.meLimits.PerIP.Burst <= 0 || s.meLimits.PerIP.PerSecond <= 0 {
		s.meLimits.PerIP = DefaultMeLimits.PerIP
	}
	if s.meLimits.MaxBody <= 0 {
		s.meLimits.MaxBody = DefaultMeLimits.MaxBody
	}
	if s.meLimiter == nil {
		s.meLimiter = ratelimit.NewMemory(nil)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.Unread == nil {
		s.Unread = noNotices{}
	}
	if s.Home == nil {
		s.Home = NewHomeCache(HomeCacheOptions{Now: s.now})
	}
	s.metrics = newMetrics(d.Registry)
	_ = d.Registry.Register(homeCacheCollector{s.Home}) // once per registry, as the process collectors
	cfg := fiber.Config{
		AppName:               "shebao",
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		BodyLimit:             4 << 20,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        readBufferSize,
		// A response larger than the write buffer costs two write system calls (headers, then
		// body); guide pages are 5-8 KB and search pages 2-6 KB, so 16 KB sends each in one. On
		// the loadmix guide mix this was a third of the server's CPU.
		WriteBufferSize: 16 << 10,
	}
	if d.TrustProxy {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s.app = fiber.New(cfg)
	s.app.Use(s.requestIDs, s.recoverPanics, s.observe)
	s.routes()
	return s
}

// readBufferSize bounds the request line plus headers. A search query of up to 4 KB (about
// 1,360 Chinese characters, 12 KB once percent-encoded) must reach the handler, which answers
// query_too_long past 500 characters, with room left for tokens and cookies; anything longer is
// refused by fasthttp with 431 request_header_too_large. fasthttp keeps one such buffer per
// keep-alive connection, so it is not made larger than that.
const readBufferSize = 32 << 10

// App exposes the Fiber application (for tests and the listener).
func (s *Server) App() *fiber.App { return s.app }

// routes registers every route. The OpenAPI test checks this list against openapi.json.
func (s *Server) routes() {
	a := s.app
	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/metrics", s.metricsHandler())

	v1 := a.Group("/api/v1", s.authenticate)
	v1.Get("/openapi.json", s.openapi)
	v1.Get("/guides", s.listGuides)
	v1.Get("/guides/:code", s.getGuide)
	v1.Get("/categories", s.categories)
	s.formRoutes(v1)
	s.searchRoutes(v1)
	v1.Get("/tools/retirement", s.retirementAge)
	s.chatRoutes(v1)
	s.notifyRoutes(v1)
	s.meRoutes(v1)
	v1.Post("/upstream/events", s.upstreamEvents)
	s.voiceRoutes(v1)
	s.appAuthRoutes(v1)
	admin := v1.Group("/admin", requireRole(identity.RoleEditor, identity.RoleReviewer, identity.RolePublisher))
	s.adminRoutes(admin)
	s.adminSearchRoutes(admin)
	s.adminTokenRoutes(admin)
	s.adminNotifyRoutes(admin)
	s.consoleRoutes(a)
	s.appRoutes(a)
}

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Shutdown stops accepting connections and waits up to timeout for in-flight requests.
// Open progress streams are ended first: they would otherwise hold the drain until its timeout.
func (s *Server) Shutdown(timeout time.Duration) error {
	s.stopOnce.Do(func() { close(s.stopping) })
	return s.app.ShutdownWithTimeout(timeout)
}
