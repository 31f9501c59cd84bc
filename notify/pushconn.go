package notify

// A lean HTTP/1.1 keep-alive client for the push channel. A push is one small POST and one
// bodiless answer; through net/http each cost ~45 µs of CPU besides the encryption (a writer
// and a reader goroutine per connection and the hand-offs between them, a timer context per
// request, header maps), a third of a send. Here the sending goroutine writes the request with
// one system call and reads the answer itself, on a connection kept per push service.

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// pushConns keeps connections to push services, by scheme and host:port. It dials through the
// endpoint policy's guarded dialer, so the send-time SSRF checks are the same as net/http's.
type pushConns struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration // a whole request, dial to answer
	maxIdle int           // idle connections kept per service
	tls     *tls.Config   // nil: the system roots

	mu   sync.Mutex
	idle map[string][]*pushConn
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
	return &pushConns{dial: p.dialer(), timeout: timeout, maxIdle: max(maxIdle, 1), idle: map[string][]*pushConn{}}
}

// pushRequest is one push: the endpoint, its headers in order, and the encrypted body.
type pushRequest struct {
	url    *url.URL
	header [][2]string
	body   []byte
}

// errStale is a reused connection that failed before any byte of an answer: the service closed
// it while it was idle, and the request can go again on a new one.
var errStale = errors.New("push: idle connection closed by the service")

// post sends r and returns the service's answer; who names the far end in errors.
func (p *pushConns) post(ctx context.Context, r *pushRequest, who string) Outcome {
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for try := 0; ; try++ {
		c, err := p.get(ctx, r.url, deadline)
		if err != nil {
			return Outcome{Err: err}
		}
		o, err := p.roundTrip(ctx, c, r, deadline, who)
		if errors.Is(err, errStale) && try == 0 {
			continue
		}
		if err != nil {
			return Outcome{Err: err}
		}
		return o
	}
}

func connKey(u *url.URL) string { return u.Scheme + "://" + u.Host }

// get returns an idle connection to u's service or dials one.
func (p *pushConns) get(ctx context.Context, u *url.URL, deadline time.Time) (*pushConn, error) {
	key := connKey(u)
	p.mu.Lock()
	if cs := p.idle[key]; len(cs) > 0 {
		c := cs[len(cs)-1]
		p.idle[key] = cs[:len(cs)-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := p.dial(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		cfg := p.tls.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		cfg.ServerName, cfg.NextProtos = u.Hostname(), []string{"http/1.1"}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	return &pushConn{key: key, c: nc, r: bufio.NewReaderSize(nc, 4096), buf: make([]byte, 0, 8192)}, nil
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
	if _, err := c.r.Peek(1); err != nil {
		if reused && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return Outcome{}, fmt.Errorf("%w: %v", errStale, err)
		}
		return Outcome{}, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return Outcome{}, err
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Outcome{}, err
	}
	// A body over the limit is left unread: the connection cannot carry another request.
	keep = !resp.Close && (resp.ContentLength < 0 || n == resp.ContentLength) && n < 64<<10
	if keep && resp.ContentLength < 0 {
		// A chunked body read whole ends at EOF of the chunked reader: check it is there.
		var one [1]byte
		m, rerr := resp.Body.Read(one[:])
		keep = m == 0 && rerr == io.EOF
	}
	resp.Body.Close()
	o := Outcome{Status: resp.StatusCode}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		o.RetryAfter = parseRetryAfter(ra, time.Now())
	}
	if resp.StatusCode >= 300 {
		o.Err = fmt.Errorf("%s answered %s", who, resp.Status)
	}
	return o, nil
}

// Close closes the idle connections.
func (p *pushConns) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, cs := range p.idle {
		for _, c := range cs {
			c.c.Close()
		}
		delete(p.idle, k)
	}
}
