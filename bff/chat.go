package bff

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"shebao/internal/apperr"
)

// chatPath is the chat WebSocket's route, on Fiber and on the net/http side alike.
const chatPath = "/api/v1/chat"

// chatRoutes mounts the chat WebSocket on Fiber too. cmd/shebao sends connections that open with
// the chat request to a plain net/http server instead (ChatHandler: cheaper idle connections);
// this route serves clients that upgrade on a keep-alive connection that began with another
// request. The request id is handed to the net/http handler on both the request and the
// response header, where apperr.WriteHTTP finds it.
func (s *Server) chatRoutes(v1 fiber.Router) {
	if s.Chat == nil {
		return
	}
	h := adaptor.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(apperr.RequestIDHeader, r.Header.Get(apperr.RequestIDHeader))
		s.Chat.ServeHTTP(w, r)
	}))
	v1.Get("/chat", func(c *fiber.Ctx) error {
		c.Request().Header.Set(apperr.RequestIDHeader, requestID(c))
		return h(c)
	})
}

// ChatHandler is the edge of the net/http server that serves the chat beside Fiber: the same
// request ids, access-log records, metrics and JSON error bodies as Fiber's routes. Every path
// but the chat answers not_found, as Fiber would.
func (s *Server) ChatHandler() http.Handler { return http.HandlerFunc(s.serveChatHTTP) }

func (s *Server) serveChatHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(apperr.RequestIDHeader)
	if !validRequestID(id) {
		id = newRequestID()
		r.Header.Set(apperr.RequestIDHeader, id)
	}
	w.Header().Set(apperr.RequestIDHeader, id)
	rec := &recordingWriter{ResponseWriter: w}
	route := "unmatched"
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in handler", "request_id", id, "route", route,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if rec.status == 0 {
				apperr.WriteHTTP(rec, apperr.New(apperr.Internal, ""))
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK // a handler that wrote nothing; net/http sends 200
		}
		s.record(start, id, r.Method, route, r.URL.Path, status, clientIP(r, s.TrustProxy), rec.bytes)
	}()
	switch {
	case r.URL.Path != chatPath || s.Chat == nil:
		apperr.WriteHTTP(rec, apperr.New(apperr.NotFound, ""))
	case r.Method != http.MethodGet:
		route = chatPath
		rec.Header().Set("Allow", http.MethodGet)
		apperr.WriteHTTP(rec, apperr.New(apperr.MethodNotAllowed, ""))
	default:
		route = chatPath
		s.Chat.ServeHTTP(rec, r)
	}
}

// recordingWriter notes the status and size of a net/http response for the access log and
// metrics; a hijacked connection (the WebSocket upgrade) counts as 101.
type recordingWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Hijack hands the connection to the WebSocket library, which writes the 101 itself.
func (w *recordingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("bff: %T does not implement http.Hijacker", w.ResponseWriter)
	}
	conn, brw, err := h.Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	if cc, ok := conn.(*chatConn); ok {
		conn = cc.Conn // the WebSocket writes to the connection itself from here on
	}
	return conn, brw, err
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ClientIP returns the client address of a net/http request as the edge logs and limits it: the
// first X-Forwarded-For entry when trustProxy (behind a trusted load balancer), else the peer.
func ClientIP(trustProxy bool) func(*http.Request) string {
	return func(r *http.Request) string { return clientIP(r, trustProxy) }
}

func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get(fiber.HeaderXForwardedFor); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := strings.TrimSpace(first); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
