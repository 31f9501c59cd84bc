// Package splitlisten shares one TCP port between two HTTP servers by the first request line of
// each connection: connections that open with a request for a chosen path prefix (the chat
// WebSocket) go to a plain net/http server, where gorilla/websocket hijacks them cheaply; every
// other connection goes to Fiber. An idle WebSocket costs about 13 KB this way against about
// 21 KB through Fiber's net/http adaptor (DESIGN.md, Known ground).
package splitlisten

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"time"
)

// Splitter accepts connections on one listener and hands each to one of two child listeners.
type Splitter struct {
	ln        net.Listener
	prefix    []byte // e.g. "GET /api/v1/chat"
	peekLimit int
	timeout   time.Duration

	Primary   *child // everything else (Fiber)
	Secondary *child // connections whose first bytes start with prefix (net/http)

	closeOnce sync.Once
	done      chan struct{}
}

// New splits ln: connections whose first request line starts with method+" "+pathPrefix go to
// Secondary, the rest to Primary. Call Serve to start accepting.
func New(ln net.Listener, method, pathPrefix string) *Splitter {
	s := &Splitter{ln: ln, prefix: []byte(method + " " + pathPrefix), peekLimit: 512,
		timeout: 10 * time.Second, done: make(chan struct{})}
	s.Primary = newChild(s)
	s.Secondary = newChild(s)
	return s
}

// Serve accepts until the listener is closed.
func (s *Splitter) Serve() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			s.Close()
			return err
		}
		go s.route(c)
	}
}

// route reads just enough of the first request to choose a server, then replays those bytes.
func (s *Splitter) route(c net.Conn) {
	buf := make([]byte, 0, len(s.prefix))
	_ = c.SetReadDeadline(time.Now().Add(s.timeout))
	tmp := make([]byte, len(s.prefix))
	for len(buf) < len(s.prefix) {
		n, err := c.Read(tmp[:len(s.prefix)-len(buf)])
		buf = append(buf, tmp[:n]...)
		if err != nil || !bytes.HasPrefix(s.prefix, buf) {
			break
		}
	}
	_ = c.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: c, peeked: buf}
	if len(buf) == 0 {
		// The client sent nothing in time (or closed): nothing to serve.
		c.Close()
		return
	}
	target := s.Primary
	if bytes.Equal(buf, s.prefix) {
		target = s.Secondary
	}
	select {
	case target.conns <- pc:
	case <-s.done:
		c.Close()
	}
}

// Close stops accepting and closes both children.
func (s *Splitter) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.ln.Close()
	})
	return err
}

// child is a net.Listener fed by the splitter.
type child struct {
	s     *Splitter
	conns chan net.Conn
}

func newChild(s *Splitter) *child { return &child{s: s, conns: make(chan net.Conn)} }

// Accept returns the next connection routed to this child.
func (c *child) Accept() (net.Conn, error) {
	select {
	case conn := <-c.conns:
		return conn, nil
	case <-c.s.done:
		return nil, net.ErrClosed
	}
}

// Close closes the whole splitter: the two servers share one port and stop together.
func (c *child) Close() error { return c.s.Close() }

// Addr is the shared listening address.
func (c *child) Addr() net.Addr { return c.s.ln.Addr() }

// peekedConn replays the bytes read while routing before reading from the connection.
type peekedConn struct {
	net.Conn
	peeked []byte
}

func (p *peekedConn) Read(b []byte) (int, error) {
	if len(p.peeked) > 0 {
		n := copy(b, p.peeked)
		p.peeked = p.peeked[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
