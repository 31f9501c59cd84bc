package notify

// The push channel's own HTTP client: HTTP/1.1 keep-alive here, HTTP/2 in pushh2.go. A push
// is one small POST and one bodiless answer; through net/http each cost ~45 µs of CPU besides the encryption (a writer
// and a reader goroutine per connection and the hand-offs between them, a timer context per
// request, header maps), a third of a send. Here the sending goroutine writes the request with
// one system call and reads the answer itself, on a connection kept per push service.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// pushConns keeps connections to push services, by scheme and host:port. It dials through the
// endpoint policy's guarded dialer, so the send-time SSRF checks are the same as net/http's.
type pushConns struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration                        // a whole request, dial to answer
	maxIdle int                                  // idle connections kept per service
	roots   func(hostport string) *x509.CertPool // the roots for a service (nil: the system's)

	mu      sync.Mutex
	idle    map[string][]*pushConn   // HTTP/1.1 connections not in use
	h2      map[string]*h2Conn       // the HTTP/2 connection to each service that speaks it
	h1      map[string]bool          // services known to speak only HTTP/1.1 (or plain http)
	dialing map[string]chan struct{} // a first connection being made; closed when it is
}

type pushConn struct {
	key  string
	c    net.Conn
	r    *bufio.Reader
	buf  []byte // the request being written
	used bool   // has carried a request: a failure before any answer may be a stale keep-alive
}

// newPushConns returns the client for policy p.
func newPushConns(p *EndpointPolicy, timeout time.Duration, maxIdle int) *pushConns {
	return &pushConns{dial: p.dialer(), timeout: timeout, maxIdle: max(maxIdle, 1), roots: p.rootsFor,
		idle: map[string][]*pushConn{}, h2: map[string]*h2Conn{}, h1: map[string]bool{}, dialing: map[string]chan struct{}{}}
}

// pushRequest is one push: the endpoint, its headers in order, and the encrypted body.
type pushRequest struct {
	url    *url.URL
	header [][2]string
	body   []byte
}

// errStale is a push the service did not process: a reused HTTP/1.1 connection that failed
// before any byte of an answer (closed by the service while idle), or on HTTP/2 a stream past a
// GOAWAY's last stream, refused with REFUSED_STREAM, or on a connection that ended before its
// answer began. The request can go again on another connection.
var errStale = errors.New("push: idle connection closed by the service")

// post sends r and returns the service's answer; who names the far end in errors.
func (p *pushConns) post(ctx context.Context, r *pushRequest, who string) Outcome {
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for try := 0; ; try++ {
		h, c, err := p.get(ctx, r.url, deadline)
		if err != nil {
			return Outcome{Err: err}
		}
		var o Outcome
		if h != nil {
			o, err = h.roundTrip(ctx, r, deadline, who)
		} else {
			o, err = p.roundTrip(ctx, c, r, deadline, who)
		}
		if errors.Is(err, errStale) && try < 2 { // not processed: it may go again (twice, for a GOAWAY racing a retry)
			continue
		}
		if err != nil {
			return Outcome{Err: err}
		}
		return o
	}
}

func connKey(u *url.URL) string { return u.Scheme + "://" + u.Host }

// get returns the HTTP/2 connection to u's service, or an idle HTTP/1.1 one, or dials. The
// first connection to a service is dialled by one sender while the others wait for it: if the
// service agrees to HTTP/2 (ALPN), that one connection carries every push.
func (p *pushConns) get(ctx context.Context, u *url.URL, deadline time.Time) (*h2Conn, *pushConn, error) {
	key := connKey(u)
	for {
		p.mu.Lock()
		if h := p.h2[key]; h != nil {
			p.mu.Unlock()
			if h.usable() {
				return h, nil, nil
			}
			h.forget()
			continue
		}
		if cs := p.idle[key]; len(cs) > 0 {
			c := cs[len(cs)-1]
			p.idle[key] = cs[:len(cs)-1]
			p.mu.Unlock()
			return nil, c, nil
		}
		if u.Scheme != "https" || p.h1[key] { // HTTP/1.1: a connection per push in flight
			p.mu.Unlock()
			return p.dialTo(ctx, u, key, deadline)
		}
		if wait := p.dialing[key]; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		p.dialing[key] = done
		p.mu.Unlock()
		h, c, err := p.dialTo(ctx, u, key, deadline)
		p.mu.Lock()
		delete(p.dialing, key)
		if h != nil {
			p.h2[key] = h
		} else if c != nil {
			p.h1[key] = true
		}
		p.mu.Unlock()
		close(done)
		return h, c, err
	}
}

// dialTo dials u's service: over TLS, HTTP/2 when the service agrees to it, else HTTP/1.1.
func (p *pushConns) dialTo(ctx context.Context, u *url.URL, key string, deadline time.Time) (*h2Conn, *pushConn, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := p.dial(dctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if u.Scheme == "https" {
		cfg := &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"h2", "http/1.1"}}
		if p.roots != nil {
			cfg.RootCAs = p.roots(addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, nil, err
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			h, err := newH2Conn(dctx, p, key, u.Scheme, tc)
			return h, nil, err
		}
		nc = tc
	}
	return nil, &pushConn{key: key, c: nc, r: bufio.NewReaderSize(nc, 4096), buf: make([]byte, 0, 8192)}, nil
}

// put keeps c for the next request to its service, or closes it when enough are kept.
func (p *pushConns) put(c *pushConn) {
	p.mu.Lock()
	if len(p.idle[c.key]) < p.maxIdle {
		p.idle[c.key] = append(p.idle[c.key], c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.c.Close()
}

// roundTrip writes r on c and reads the answer. c goes back to the idle set when the answer was
// read whole and the service keeps the connection; otherwise it is closed.
func (p *pushConns) roundTrip(ctx context.Context, c *pushConn, r *pushRequest, deadline time.Time, who string) (Outcome, error) {
	keep := false
	defer func() {
		if keep {
			p.put(c)
		} else {
			c.c.Close()
		}
	}()
	if err := c.c.SetDeadline(deadline); err != nil {
		return Outcome{}, err
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	b := append(c.buf[:0], "POST "...)
	b = append(b, r.url.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, r.url.Host...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(r.body)), 10)
	for _, h := range r.header {
		b = append(b, "\r\n"...)
		b = append(b, h[0]...)
		b = append(b, ": "...)
		b = append(b, h[1]...)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, r.body...)
	c.buf = b
	reused := c.used
	c.used = true
	if _, err := c.c.Write(b); err != nil {
		if reused {
			return Outcome{}, fmt.Errorf("%w: %v", errStale, err)
		}
		return Outcome{}, err
	}
	// Let the other senders encrypt while the service answers: read now, and the read finds
	// nothing (EAGAIN), parks the goroutine and costs the poller a wake-up and a second read.
	runtime.Gosched()
	if _, err := c.r.Peek(1); err != nil {
		if reused && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return Outcome{}, fmt.Errorf("%w: %v", errStale, err)
		}
		return Outcome{}, err
	}
	a, err := readAnswer(c.r)
	if err != nil {
		return Outcome{}, err
	}
	keep = a.keep
	return answered(who, a.status, statusLine(a.status), a.retryAfter), nil
}

// answer is what a push service's answer says: its status, its Retry-After, and whether the
// connection can carry another request (the answer was read whole and the service keeps it).
type answer struct {
	status     int
	retryAfter string
	keep       bool
}

// maxAnswerBody is the most of an answer's body read (and dropped); a longer one closes the
// connection.
const maxAnswerBody = 64 << 10

// readAnswer reads one HTTP/1.x answer from r (interim 1xx answers skipped) and drops its body.
// It reads what a push service sends — a status line, a few headers, a short body or none — and
// only the headers that matter here; net/http's ReadResponse builds a header map and a body
// reader for every answer. A chunked body is read and the connection closed after it.
func readAnswer(r *bufio.Reader) (answer, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return answer{}, err
		}
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return answer{}, fmt.Errorf("push: malformed status line %q", bytes.TrimSpace(line))
		}
		status, err := strconv.Atoi(string(line[9:12]))
		if err != nil || status < 100 {
			return answer{}, fmt.Errorf("push: malformed status line %q", bytes.TrimSpace(line))
		}
		a := answer{status: status, keep: line[7] == '1'} // HTTP/1.0 closes unless it says keep-alive
		length, chunked := int64(-1), false
		for {
			h, err := r.ReadSlice('\n')
			if err != nil {
				return answer{}, err
			}
			h = bytes.TrimRight(h, "\r\n")
			if len(h) == 0 {
				break
			}
			name, value, ok := bytes.Cut(h, []byte(":"))
			if !ok {
				return answer{}, fmt.Errorf("push: malformed header %q", h)
			}
			value = bytes.TrimSpace(value)
			switch {
			case asciiEqualFold(name, "Content-Length"):
				n, err := strconv.ParseInt(string(value), 10, 64)
				if err != nil || n < 0 {
					return answer{}, fmt.Errorf("push: bad Content-Length %q", value)
				}
				length = n
			case asciiEqualFold(name, "Transfer-Encoding"):
				chunked = !asciiEqualFold(value, "identity")
			case asciiEqualFold(name, "Connection"):
				if asciiEqualFold(value, "close") {
					a.keep = false
				} else if asciiEqualFold(value, "keep-alive") {
					a.keep = true
				}
			case asciiEqualFold(name, "Retry-After"):
				a.retryAfter = string(value)
			}
		}
		if status < 200 {
			continue
		}
		switch {
		case status == 204 || status == 304:
		case chunked:
			_, err := io.Copy(io.Discard, io.LimitReader(httputil.NewChunkedReader(r), maxAnswerBody))
			if err != nil {
				return answer{}, err
			}
			a.keep = false // trailers may follow; not worth reading for a reused connection
		case length >= 0:
			if length > maxAnswerBody {
				a.keep = false
			}
			if _, err := r.Discard(int(min(length, maxAnswerBody))); err != nil {
				return answer{}, err
			}
		default: // delimited by the end of the connection
			a.keep = false
			if _, err := io.Copy(io.Discard, io.LimitReader(r, maxAnswerBody)); err != nil {
				return answer{}, err
			}
		}
		return a, nil
	}
}

// asciiEqualFold reports whether b is s, ignoring ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Close closes the idle connections and the HTTP/2 ones.
func (p *pushConns) Close() {
	p.mu.Lock()
	var hs []*h2Conn
	for k, h := range p.h2 {
		hs = append(hs, h)
		delete(p.h2, k)
	}
	for k, cs := range p.idle {
		for _, c := range cs {
			c.c.Close()
		}
		delete(p.idle, k)
	}
	p.mu.Unlock()
	for _, h := range hs { // outside p.mu: an h2Conn takes its own lock, then p.mu
		h.close()
	}
}
