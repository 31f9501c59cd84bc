package notify

import (
	"bufio"
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawPushService answers each request on a connection with answer(n), n counting requests
// over all connections, then closes the connection when close(n) says so (without saying it in
// the answer, as a service dropping idle connections does). It counts connections and requests
// and keeps each request's head.
type rawPushService struct {
	ln       net.Listener
	answer   func(n int) string
	close    func(n int) bool
	conns    atomic.Int32
	requests atomic.Int32
	mu       sync.Mutex
	heads    []string
}

func newRawPushService(t *testing.T, answer func(n int) string, close func(n int) bool) *rawPushService {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawPushService{ln: ln, answer: answer, close: close}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			go s.serve(c)
		}
	}()
	return s
}

func (s *rawPushService) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		n := int(s.requests.Add(1))
		s.mu.Lock()
		s.heads = append(s.heads, req.Method+" "+req.URL.String()+" ttl="+req.Header.Get("TTL")+" topic="+req.Header.Get("Topic")+
			" auth="+req.Header.Get("Authorization")+" len="+strconv.Itoa(len(body)))
		s.mu.Unlock()
		if _, err := io.WriteString(c, s.answer(n)); err != nil {
			return
		}
		if s.close(n) {
			return
		}
	}
}

func (s *rawPushService) url(t *testing.T) *url.URL {
	u, err := url.Parse("http://" + s.ln.Addr().String() + "/push/abc?x=1")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testPushConns(s *rawPushService) *pushConns {
	return newPushConns(&EndpointPolicy{InsecureTestHosts: []string{s.ln.Addr().String()}}, 2*time.Second, 4)
}

const created = "HTTP/1.1 201 Created\r\nLocation: /m/1\r\nContent-Length: 0\r\n\r\n"

func pushReq(u *url.URL) *pushRequest {
	return &pushRequest{url: u, body: []byte("0123456789"), header: [][2]string{{"TTL", "60"}, {"Topic", "progress"}, {"Authorization", "vapid t=a.b.c, k=K"}}}
}

// TestPushConnsKeepAlive: requests one after another share one connection, and what goes out is
// the request as written (path and query, headers, body length).
func TestPushConnsKeepAlive(t *testing.T) {
	s := newRawPushService(t, func(int) string { return created }, func(int) bool { return false })
	p := testPushConns(s)
	defer p.Close()
	for range 5 {
		if o := p.post(context.Background(), pushReq(s.url(t)), "push service"); o.Err != nil || o.Status != 201 {
			t.Fatalf("outcome %+v", o)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 requests one after another, want 1", n)
	}
	if want := "POST /push/abc?x=1 ttl=60 topic=progress auth=vapid t=a.b.c, k=K len=10"; s.heads[0] != want {
		t.Errorf("request %q, want %q", s.heads[0], want)
	}
}

// TestPushConnsStaleConnection: a service that drops a connection while it is idle (after each
// answer, without saying so) costs a new connection, not a failed push, and each push reaches it
// once.
func TestPushConnsStaleConnection(t *testing.T) {
	s := newRawPushService(t, func(int) string { return created }, func(int) bool { return true })
	p := testPushConns(s)
	defer p.Close()
	for i := range 4 {
		if o := p.post(context.Background(), pushReq(s.url(t)), "push service"); o.Err != nil || o.Status != 201 {
			t.Fatalf("push %d: outcome %+v", i, o)
		}
		time.Sleep(10 * time.Millisecond) // let the close arrive before the next push reuses the connection
	}
	if n := s.requests.Load(); n != 4 {
		t.Errorf("the service got %d requests for 4 pushes", n)
	}
	if n := s.conns.Load(); n != 4 {
		t.Errorf("%d connections, want 4 (each dropped by the service)", n)
	}
}

// TestPushConnsAnswers: the status, Retry-After, a chunked body and Connection: close are read
// right; the connection carries the next request after a sized answer, and not after a chunked
// one (its trailers are not read) or one saying Connection: close.
func TestPushConnsAnswers(t *testing.T) {
	answers := []string{
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 7\r\n\r\nslow it",
		"HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
		created,
	}
	// The service keeps the connection open after saying Connection: close: only the client's
	// reading of the answer keeps it from sending on it again.
	s := newRawPushService(t, func(n int) string { return answers[(n-1)%len(answers)] }, func(int) bool { return false })
	p := testPushConns(s)
	defer p.Close()
	var got []Outcome
	for range 4 {
		got = append(got, p.post(context.Background(), pushReq(s.url(t)), "push service"))
	}
	if got[0].Status != 429 || got[0].RetryAfter != 30*time.Second || got[0].Err == nil {
		t.Errorf("429: %+v", got[0])
	}
	if got[1].Status != 410 || got[1].Err == nil {
		t.Errorf("410 chunked: %+v", got[1])
	}
	if got[2].Status != 201 || got[2].Err != nil || got[3].Status != 201 {
		t.Errorf("201s: %+v %+v", got[2], got[3])
	}
	if n := s.conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (a new one after the chunked answer and after Connection: close)", n)
	}
}

// TestPushConnsTimeout: a service that does not answer in time is an error with no status (the
// delivery retries it), and the connection is not used again.
func TestPushConnsTimeout(t *testing.T) {
	s := newRawPushService(t, func(n int) string {
		if n == 1 {
			time.Sleep(500 * time.Millisecond)
		}
		return created
	}, func(int) bool { return false })
	p := testPushConns(s)
	p.timeout = 100 * time.Millisecond
	defer p.Close()
	if o := p.post(context.Background(), pushReq(s.url(t)), "push service"); o.Err == nil || o.Status != 0 {
		t.Fatalf("a late answer: %+v, want a timeout", o)
	}
	if o := p.post(context.Background(), pushReq(s.url(t)), "push service"); o.Err != nil || o.Status != 201 {
		t.Fatalf("after the timeout: %+v", o)
	}
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestPushConnsTLSAndPolicy: an https endpoint is reached over TLS, checked against the roots;
// an endpoint the policy refuses at dial time (not an allowed test host, not port 443) is not
// dialed.
func TestPushConnsTLSAndPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.ProtoMajor != 1 || r.Header.Get("Content-Length") != "10" {
			http.Error(w, "want HTTP/1.1 with a length", 400)
			return
		}
		w.WriteHeader(201)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	p := newPushConns(&EndpointPolicy{InsecureTestHosts: []string{host}}, 2*time.Second, 2)
	defer p.Close()
	u, _ := url.Parse(srv.URL + "/push/x")
	if o := p.post(context.Background(), pushReq(u), "push service"); o.Err == nil {
		t.Fatalf("a certificate from unknown roots was accepted: %+v", o)
	}
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	p.roots = func(string) *x509.CertPool { return roots }
	if o := p.post(context.Background(), pushReq(u), "push service"); o.Err != nil || o.Status != 201 {
		t.Fatalf("over TLS: %+v", o)
	}
	refused := newPushConns(&EndpointPolicy{}, 2*time.Second, 2)
	if o := refused.post(context.Background(), pushReq(u), "push service"); o.Err == nil || !strings.Contains(o.Err.Error(), "non-public") {
		t.Fatalf("a loopback endpoint on another port was dialed: %+v", o)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the service got %d requests, want 1", n)
	}
}

// TestReadAnswer: interim answers are skipped, HTTP/1.0 closes unless it keeps alive, a body
// longer than the limit closes the connection, and what is not an HTTP answer is an error.
func TestReadAnswer(t *testing.T) {
	for _, c := range []struct {
		in     string
		status int
		keep   bool
		err    bool
	}{
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok", 201, true, false},
		{"HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n", 201, false, false},
		{"HTTP/1.0 201 Created\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 201, true, false},
		{"HTTP/1.1 204 No Content\r\n\r\n", 204, true, false},
		{"HTTP/1.1 500 Internal Server Error\r\n\r\nboom", 500, false, false},
		{"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 70000\r\n\r\n" + strings.Repeat("x", 70000), 413, false, false},
		{"SSH-2.0-OpenSSH\r\n", 0, false, true},
		{"HTTP/1.1 2x1 Created\r\n\r\n", 0, false, true},
		{"HTTP/1.1 201 Created\r\nContent-Length: -1\r\n\r\n", 0, false, true},
	} {
		a, err := readAnswer(bufio.NewReader(strings.NewReader(c.in)))
		if (err != nil) != c.err || a.status != c.status || a.keep != c.keep {
			t.Errorf("%.40q: %+v, %v; want status %d keep %v error %v", c.in, a, err, c.status, c.keep, c.err)
		}
	}
}
