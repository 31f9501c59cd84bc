package bff

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"shebao/internal/apperr"
)

const headerRequestID = apperr.RequestIDHeader

type ctxKey int

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	// The first hex digit is a letter: an all-digit prefix (one process in ~280) reads as a
	// 12-digit number, which the log scans for personal numbers rightly flag.
	b[0] |= 0xa0
	return hex.EncodeToString(b)
}

// validRequestID accepts a client's id only if it is short and plain, so it is safe in logs.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// newRequestID is a process-unique id: a random prefix per process and a counter, which is
// cheaper than random bytes per request and as unique across replicas.
func newRequestID() string {
	var buf [32]byte
	return string(appendRequestID(buf[:0]))
}

func appendRequestID(b []byte) []byte {
	b = append(append(b, idPrefix...), '-')
	return strconv.AppendUint(b, idCounter.Add(1), 36)
}

// requestIDs accepts X-Request-ID from the client or generates one, and echoes it.
func (s *Server) requestIDs(c *fiber.Ctx) error {
	assignRequestID(c)
	return c.Next()
}

// headerRequestIDKey is the header's name in fasthttp's canonical form (what it writes on the
// wire, and what Peek finds).
var headerRequestIDKey = []byte("X-Request-Id")

// assignRequestID gives the request its id: the client's when plain, else a new one. The id is
// kept only in the response header (requestID reads it back there), and a new one is written
// straight into it: no allocation per request.
func assignRequestID(c *fiber.Ctx) {
	h := &c.Response().Header
	if id := c.Request().Header.PeekBytes(headerRequestIDKey); validRequestID(utils.UnsafeString(id)) {
		h.SetCanonical(headerRequestIDKey, id)
		return
	}
	var buf [32]byte
	h.SetCanonical(headerRequestIDKey, appendRequestID(buf[:0]))
}

// requestID is the request's id ("" before assignRequestID).
func requestID(c *fiber.Ctx) string {
	return string(c.Response().Header.PeekBytes(headerRequestIDKey))
}

// requestIDView is requestID without a copy: valid only until the request's response is
// released, for what is written before the handler returns (the access log).
func requestIDView(c *fiber.Ctx) string {
	return utils.UnsafeString(c.Response().Header.PeekBytes(headerRequestIDKey))
}

// recoverPanics turns a panic into internal_error; the stack goes to the log, never to the user.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in handler", "request_id", requestID(c), "route", routeOf(c),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = writeError(c, apperr.New(apperr.Internal, ""))
		}
	}()
	return c.Next()
}

func routeOf(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "" && r.Path != "/" {
		return r.Path
	}
	if c.Path() == "/" {
		return "/"
	}
	return "unmatched"
}

// observe writes the access log and the request metrics once the response is known. The path
// is logged without its query string, which may carry a search query with personal data.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	s.record(start, requestIDView(c), c.Method(), routeOf(c), c.Path(), c.Response().StatusCode(), c.IP(), bodySize(c))
	return nil
}

// bodySize is the response body's length; a streamed body (the SSE progress stream) is not
// read for it, which would wait for the stream to end.
func bodySize(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return 0
	}
	return len(c.Response().Body())
}

// record writes one access-log record and the request metrics; Fiber's routes, requests
// fasthttp refused before routing and the chat's net/http side all go through it.
func (s *Server) record(start time.Time, id, method, route, path string, status int, ip string, bytes int) {
	elapsed := time.Since(start)
	s.metrics.observe(method, route, status, elapsed)
	if s.AccessLog != nil {
		bp := linePool.Get().(*[]byte)
		*bp = accessLine((*bp)[:0], start, id, method, route, path, status, elapsed, ip, bytes)
		_, _ = s.AccessLog.Write(*bp)
		linePool.Put(bp)
		return
	}
	s.log.Info("request", "request_id", id, "method", method, "route", route,
		"path", path, "status", status, "duration_ms", float64(elapsed.Microseconds())/1000,
		"ip", ip, "bytes", bytes)
}
