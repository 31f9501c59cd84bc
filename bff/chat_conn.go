package bff

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"shebao/internal/apperr"
)

// MaxHeaderBytes bounds the request line and headers on the chat's net/http side as the read
// buffer bounds them on Fiber's.
const MaxHeaderBytes = readBufferSize

// ChatListener wraps the listener of the chat's net/http server. net/http answers some requests
// itself, before any handler runs (headers over MaxHeaderBytes, a malformed request), in plain
// text; on these connections such an answer becomes the catalogue's JSON body with a request id,
// an access-log record and metrics, as fasthttp's refusals are on Fiber's side.
func (s *Server) ChatListener(l net.Listener) net.Listener { return &chatListener{Listener: l, s: s} }

type chatListener struct {
	net.Listener
	s *Server
}

// Accept wraps each connection; the WebSocket library gets the connection itself on hijack
// (recordingWriter.Hijack), so open sockets pay nothing for the wrapper.
func (l *chatListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &chatConn{Conn: c, s: l.s}, nil
}

// chatConn rewrites net/http's own plain-text error answers.
type chatConn struct {
	net.Conn
	s *Server
}

// plainErrorHeaders end the status line of every answer net/http writes without a handler.
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *chatConn) Write(b []byte) (int, error) {
	if len(b) == 0 || b[0] != 'H' {
		return c.Conn.Write(b) // WebSocket frames and most writes end here
	}
	status, ok := plainHTTPError(b)
	if !ok {
		return c.Conn.Write(b)
	}
	start := time.Now()
	e := refusal(status)
	id := newRequestID()
	body, _ := json.Marshal(apperr.BodyOf(e, id))
	body = append(body, '\n')
	var out []byte
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(e.Status), 10)
	out = append(out, ' ')
	out = append(out, http.StatusText(e.Status)...)
	out = append(out, "\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n"...)
	out = append(out, apperr.RequestIDHeader+": "...)
	out = append(out, id...)
	out = append(out, "\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\nConnection: close\r\n\r\n"...)
	out = append(out, body...)
	_, err := c.Conn.Write(out)
	ip, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	// splitlisten sent the connection here because it opened with the chat's GET.
	c.s.record(start, id, http.MethodGet, routeRefused, "", e.Status, ip, len(body))
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// plainHTTPError reports whether b is a whole answer net/http wrote by itself, and its status.
func plainHTTPError(b []byte) (int, bool) {
	const prefix = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(prefix)) || len(b) < len(prefix)+3 || !bytes.Contains(b, []byte(plainErrorHeaders)) {
		return 0, false
	}
	status, err := strconv.Atoi(string(b[len(prefix) : len(prefix)+3]))
	if err != nil || status < 400 || status > 599 {
		return 0, false
	}
	return status, true
}

// refusals are the catalogue kinds of the statuses a request is refused with before it reaches a
// handler; any other status is a bad_request.
var refusals = map[int]apperr.Kind{
	http.StatusRequestHeaderFieldsTooLarge: apperr.HeaderTooLarge,
	http.StatusRequestURITooLong:           apperr.HeaderTooLarge,
	http.StatusRequestEntityTooLarge:       apperr.BodyTooLarge,
	http.StatusRequestTimeout:              apperr.RequestTimeout,
	http.StatusMethodNotAllowed:            apperr.MethodNotAllowed,
}

// refusal is the catalogue error for a request refused before it reached a handler.
func refusal(status int) *apperr.Error {
	return apperr.ByStatus(status, refusals, apperr.BadRequest)
}
