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

	"shebao/internal/apperr"
)

const headerRequestID = "X-Request-ID"

type ctxKey int

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const keyRequestID ctxKey = iota

var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
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

// requestIDs accepts X-Request-ID from the client or generates one, and echoes it.
func (s *Server) requestIDs(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !validRequestID(id) {
		id = idPrefix + "-" + strconv.FormatUint(idCounter.Add(1), 36)
	}
	c.Locals(keyRequestID, id)
	c.Set(headerRequestID, id)
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(keyRequestID).(string)
	return id
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
	status := c.Response().StatusCode()
	elapsed := time.Since(start)
	route := routeOf(c)
	s.metrics.observe(c.Method(), route, status, elapsed)
	if s.AccessLog != nil {
		bp := linePool.Get().(*[]byte)
		*bp = accessLine((*bp)[:0], start, requestID(c), c.Method(), route, c.Path(), status, elapsed, c.IP(), len(c.Response().Body()))
		_, _ = s.AccessLog.Write(*bp)
		linePool.Put(bp)
		return nil
	}
	s.log.Info("request", "request_id", requestID(c), "method", c.Method(), "route", route,
		"path", c.Path(), "status", status, "duration_ms", float64(elapsed.Microseconds())/1000,
		"ip", c.IP(), "bytes", len(c.Response().Body()))
	return nil
}
