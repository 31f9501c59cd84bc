package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"shebao/notify/pushtest"
)

// countingConn counts the writes on a connection (the system calls a sender makes).
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestPushH2AgainstGoServer: against a push service offering HTTP/2 (Go's own server, so an
// implementation not ours), 96 pushes from 16 senders at once go on one connection, fewer writes
// than pushes carry them, each is decrypted by the service, and its answers (404, 410, 429 with
// Retry-After, 500) come back to the push they answer.
func TestPushH2AgainstGoServer(t *testing.T) {
	srv := pushtest.NewTLS()
	defer srv.Close()
	w := NewWebPush(&EndpointPolicy{InsecureTestHosts: []string{srv.Host()}, TestRoots: srv.Roots()}, "mailto:ops@shebao.gov.cn", 5*time.Second, 4)
	defer w.conns.Close()
	var dials, writes atomic.Int32
	dial := w.conns.dial
	w.conns.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}
	priv, pub := vapidPair(t)
	const n = 96
	subs := make([]pushtest.Subscription, 4)
	for i := range subs {
		var err error
		if subs[i], err = srv.Subscribe(pub); err != nil {
			t.Fatal(err)
		}
	}
	srv.Answer(subs[1].ID(), pushtest.Answer{Status: 404})
	srv.Answer(subs[2].ID(), pushtest.Answer{Status: 429, RetryAfter: 7})
	srv.Answer(subs[3].ID(), pushtest.Answer{Status: 500})
	outcomes := make([]Outcome, n)
	var wg sync.WaitGroup
	var next atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				s := subs[i%len(subs)]
				a := Address{VAPIDPublic: pub, VAPIDPrivate: priv, Subscription: Subscription{ID: int64(i), Endpoint: s.Endpoint, P256dh: s.Keys.P256dh, Auth: s.Keys.Auth}}
				outcomes[i] = w.Send(context.Background(), a, Payload{Title: "办件进度", Body: "第" + strconv.Itoa(i) + "条", Tag: "t" + strconv.Itoa(i), TTL: time.Hour, Topic: "progress"})
			}
		}()
	}
	wg.Wait()
	for i, o := range outcomes {
		want := []int{201, 404, 429, 500}[i%4]
		if o.Status != want || (want == 201) != (o.Err == nil) {
			t.Errorf("push %d: %+v, want %d", i, o, want)
		}
		if want == 429 && o.RetryAfter != 7*time.Second {
			t.Errorf("push %d: Retry-After %v, want 7s", i, o.RetryAfter)
		}
	}
	if errs := srv.Errors(); len(errs) > 0 {
		t.Errorf("the service saw protocol violations: %q", errs)
	}
	if got := len(srv.Messages()); got != n/4 {
		t.Errorf("%d pushes accepted and decrypted, want %d", got, n/4)
	}
	if d := dials.Load(); d != 1 {
		t.Errorf("%d connections, want 1 (HTTP/2 carries every push on one)", d)
	}
	if wr := writes.Load(); wr >= n {
		t.Errorf("%d writes for %d pushes from 16 senders: the frames of pushes ready together were not written together", wr, n)
	}
	t.Logf("%d pushes, %d writes", n, writes.Load())
}

// TestPushH2FallsBackToHTTP1: a service that offers only HTTP/1.1 in ALPN gets HTTP/1.1.
func TestPushH2FallsBackToHTTP1(t *testing.T) {
	srv := pushtest.NewTLS("http/1.1")
	defer srv.Close()
	w := NewWebPush(&EndpointPolicy{InsecureTestHosts: []string{srv.Host()}, TestRoots: srv.Roots()}, "mailto:ops@shebao.gov.cn", 5*time.Second, 4)
	defer w.conns.Close()
	priv, pub := vapidPair(t)
	s, err := srv.Subscribe(pub)
	if err != nil {
		t.Fatal(err)
	}
	a := Address{VAPIDPublic: pub, VAPIDPrivate: priv, Subscription: Subscription{ID: 1, Endpoint: s.Endpoint, P256dh: s.Keys.P256dh, Auth: s.Keys.Auth}}
	for range 3 {
		if o := w.Send(context.Background(), a, Payload{Title: "t", Body: "b"}); o.Err != nil || o.Status != 201 {
			t.Fatalf("over HTTP/1.1: %+v", o)
		}
	}
	u, _ := url.Parse(s.Endpoint)
	w.conns.mu.Lock()
	h1, h2 := w.conns.h1[connKey(u)], w.conns.h2[connKey(u)]
	w.conns.mu.Unlock()
	if !h1 || h2 != nil {
		t.Errorf("the service is known as HTTP/1.1: %v, has an HTTP/2 connection: %v", h1, h2 != nil)
	}
	if len(srv.Messages()) != 3 || len(srv.Errors()) > 0 {
		t.Errorf("%d messages, errors %q", len(srv.Messages()), srv.Errors())
	}
}

// vapidPair is a VAPID key pair (base64url private scalar, public point).
func vapidPair(t *testing.T) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e, err := k.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(e.Bytes()), base64.RawURLEncoding.EncodeToString(e.PublicKey().Bytes())
}

// h2Fake is a push service speaking HTTP/2 frame by frame, for what Go's server does not do on
// demand: a small connection window, one stream at a time, GOAWAY, REFUSED_STREAM, PING, and
// silence. answer is called for each complete request (its connection's number from 1, the
// stream, the body's length) and writes the answer, or nothing.
type h2Fake struct {
	ln       net.Listener
	roots    *x509.CertPool
	settings []http2.Setting
	// grantEvery: the connection window is given back only in steps of this many bytes, after
	// they arrived (0: a large window at once).
	grantEvery int
	answer     func(c *h2FakeConn, id uint32, n int)
	conns      atomic.Int32
	mu         sync.Mutex
	violations []string
	open       int // streams opened and not yet answered or reset, on the connection now
	maxOpen    int // the most streams open at once on a connection
	acks       int // SETTINGS ACKs and PING ACKs from the client
	pingAcks   int
}

type h2FakeConn struct {
	f    *h2Fake
	n    int
	wmu  sync.Mutex
	fr   *http2.Framer
	hbuf bytes.Buffer
	enc  *hpack.Encoder
}

func (c *h2FakeConn) respond(id uint32, status int, fields ...string) {
	c.f.mu.Lock()
	c.f.open--
	c.f.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hbuf.Reset()
	_ = c.enc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(status)})
	for i := 0; i+1 < len(fields); i += 2 {
		_ = c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true, EndStream: true})
}

func (c *h2FakeConn) write(fn func(fr *http2.Framer) error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = fn(c.fr)
}

func (f *h2Fake) violation(s string) {
	f.mu.Lock()
	f.violations = append(f.violations, s)
	f.mu.Unlock()
}

func newH2Fake(t *testing.T, settings []http2.Setting, answer func(c *h2FakeConn, id uint32, n int)) *h2Fake {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "push.test"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	f := &h2Fake{settings: settings, answer: answer, roots: x509.NewCertPool()}
	f.roots.AddCert(cert)
	f.ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.ln.Close() })
	go func() {
		for {
			nc, err := f.ln.Accept()
			if err != nil {
				return
			}
			go f.serve(nc, int(f.conns.Add(1)))
		}
	}()
	return f
}

func (f *h2Fake) serve(nc net.Conn, n int) {
	defer nc.Close()
	pre := make([]byte, len(h2Preface))
	if _, err := io.ReadFull(nc, pre); err != nil || string(pre) != h2Preface {
		f.violation("no client preface")
		return
	}
	c := &h2FakeConn{f: f, n: n, fr: http2.NewFramer(nc, nc)}
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.write(func(fr *http2.Framer) error { return fr.WriteSettings(f.settings...) })
	window := 65535 // what the client may send on the connection
	if f.grantEvery == 0 {
		c.write(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(0, 1<<30) })
		window += 1 << 30
	}
	open := map[uint32]int{} // stream → body bytes so far
	consumed := 0
	for {
		fr, err := c.fr.ReadFrame()
		if err != nil {
			return
		}
		switch fr := fr.(type) {
		case *http2.SettingsFrame:
			if fr.IsAck() {
				f.mu.Lock()
				f.acks++
				f.mu.Unlock()
			} else {
				c.write(func(w *http2.Framer) error { return w.WriteSettingsAck() })
			}
		case *http2.PingFrame:
			if fr.IsAck() {
				f.mu.Lock()
				f.pingAcks++
				f.mu.Unlock()
			}
		case *http2.MetaHeadersFrame:
			if fr.PseudoValue("method") != "POST" || fr.PseudoValue("path") == "" || fr.PseudoValue("scheme") != "https" {
				f.violation("request pseudo-headers: " + fr.PseudoValue("method") + " " + fr.PseudoValue("scheme") + " " + fr.PseudoValue("path"))
			}
			open[fr.StreamID] = 0
			f.mu.Lock()
			f.open++
			f.maxOpen = max(f.maxOpen, f.open)
			f.mu.Unlock()
			if fr.StreamEnded() {
				delete(open, fr.StreamID)
				f.answer(c, fr.StreamID, 0)
			}
		case *http2.DataFrame:
			window -= int(fr.Length)
			if window < 0 {
				f.violation("DATA beyond the connection window")
			}
			open[fr.StreamID] += len(fr.Data())
			consumed += int(fr.Length)
			if f.grantEvery > 0 && consumed >= f.grantEvery {
				g := consumed
				consumed = 0
				window += g
				c.write(func(w *http2.Framer) error { return w.WriteWindowUpdate(0, uint32(g)) })
			}
			if fr.StreamEnded() {
				body := open[fr.StreamID]
				delete(open, fr.StreamID)
				f.answer(c, fr.StreamID, body)
			}
		case *http2.RSTStreamFrame:
			delete(open, fr.StreamID)
			f.mu.Lock()
			f.open--
			f.mu.Unlock()
		}
	}
}

func (f *h2Fake) conns_() int { return int(f.conns.Load()) }

// h2FakeClient is a client of f with the given timeout, and a push request of size bytes.
func h2FakeClient(f *h2Fake, timeout time.Duration) (*pushConns, *pushRequest) {
	host := f.ln.Addr().String()
	p := newPushConns(&EndpointPolicy{InsecureTestHosts: []string{host}, TestRoots: f.roots}, timeout, 4)
	u, _ := url.Parse("https://" + host + "/push/abc?x=1")
	return p, &pushRequest{url: u, body: bytes.Repeat([]byte{'x'}, 3000), header: [][2]string{{"TTL", "60"}, {"Topic", "progress"}, {"Authorization", "vapid t=a.b.c, k=K"}}}
}

// sendAll posts r n times from conc senders and returns the outcomes.
func sendAll(p *pushConns, r *pushRequest, n, conc int) []Outcome {
	out := make([]Outcome, n)
	var next atomic.Int32
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				out[i] = p.post(context.Background(), r, "push service")
			}
		}()
	}
	wg.Wait()
	return out
}

func all201(t *testing.T, out []Outcome) {
	t.Helper()
	for i, o := range out {
		if o.Err != nil || o.Status != 201 {
			t.Fatalf("push %d: %+v", i, o)
		}
	}
}

// TestPushH2FlowControlAndStreamLimit: 100 pushes of 3,000 bytes (300 KB) go through a
// connection whose window the service gives back 20,000 bytes at a time, never beyond it, and
// never more streams at once than the service's SETTINGS_MAX_CONCURRENT_STREAMS; the SETTINGS
// are acknowledged.
func TestPushH2FlowControlAndStreamLimit(t *testing.T) {
	f := newH2Fake(t, []http2.Setting{{ID: http2.SettingMaxConcurrentStreams, Val: 3}}, func(c *h2FakeConn, id uint32, n int) {
		if n != 3000 {
			c.f.violation("body of " + strconv.Itoa(n) + " bytes")
		}
		go func() { // answered a little later, so that streams are open together
			time.Sleep(time.Millisecond)
			c.respond(id, 201, "location", "/m/"+strconv.Itoa(int(id)))
		}()
	})
	f.grantEvery = 20000
	p, r := h2FakeClient(f, 5*time.Second)
	defer p.Close()
	all201(t, sendAll(p, r, 100, 16))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.violations) > 0 {
		t.Errorf("protocol violations: %q", f.violations)
	}
	if f.maxOpen > 3 {
		t.Errorf("%d streams open at once, the service allows 3", f.maxOpen)
	}
	if f.acks == 0 {
		t.Error("the service's SETTINGS were not acknowledged")
	}
	if f.conns_() != 1 {
		t.Errorf("%d connections, want 1", f.conns_())
	}
}

// TestPushH2GoAwayAndRefused: the streams a GOAWAY says were not processed, and a stream refused
// with REFUSED_STREAM, go again on a new connection, and each push is answered once; a PING is
// acknowledged.
func TestPushH2GoAwayAndRefused(t *testing.T) {
	var answered sync.Map // connection/stream → true
	f := newH2Fake(t, nil, func(c *h2FakeConn, id uint32, n int) {
		switch {
		case c.n == 1 && id == 1:
			c.write(func(w *http2.Framer) error { return w.WritePing(false, [8]byte{1, 2, 3}) })
			c.respond(id, 201)
		case c.n == 1 && id == 3:
			c.write(func(w *http2.Framer) error { return w.WriteRSTStream(id, http2.ErrCodeRefusedStream) })
		case c.n == 1:
			// Stream 5 and later: stop here, processed nothing past stream 1.
			c.write(func(w *http2.Framer) error { return w.WriteGoAway(1, http2.ErrCodeNo, nil) })
		default:
			answered.Store(strconv.Itoa(c.n)+"/"+strconv.Itoa(int(id)), true)
			c.respond(id, 201)
		}
	})
	p, r := h2FakeClient(f, 5*time.Second)
	defer p.Close()
	// One push first (stream 1), then four at once: 3 is refused, 5, 7, 9 are past the GOAWAY.
	all201(t, sendAll(p, r, 1, 1))
	all201(t, sendAll(p, r, 4, 4))
	all201(t, sendAll(p, r, 2, 1)) // the new connection serves on
	n := 0
	answered.Range(func(any, any) bool { n++; return true })
	if n != 6 {
		t.Errorf("%d pushes answered on later connections, want 6 (4 sent again, 2 new)", n)
	}
	if c := f.conns_(); c < 2 {
		t.Errorf("%d connections: the GOAWAY did not end the first", c)
	}
	time.Sleep(50 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pingAcks != 1 {
		t.Errorf("%d PING acknowledgements, want 1", f.pingAcks)
	}
}

// TestPushH2Timeout: a stream the service never answers ends with a timeout error (no status:
// the delivery retries it) and is cancelled at the service; the connection carries the next.
func TestPushH2Timeout(t *testing.T) {
	var silent atomic.Bool
	f := newH2Fake(t, nil, func(c *h2FakeConn, id uint32, n int) {
		if id != 1 && !silent.Load() {
			c.respond(id, 201)
		}
	})
	p, r := h2FakeClient(f, 300*time.Millisecond)
	defer p.Close()
	t0 := time.Now()
	o := p.post(context.Background(), r, "push service")
	if !errors.Is(o.Err, errH2Timeout) || o.Status != 0 {
		t.Fatalf("an unanswered push: %+v, want a timeout", o)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("the timeout of 300ms took %v", d)
	}
	all201(t, sendAll(p, r, 3, 1))
	if c := f.conns_(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
	// A cancelled context ends the wait at once too.
	ctx, cancel := context.WithCancel(context.Background())
	silent.Store(true)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if o := p.post(ctx, r, "push service"); !errors.Is(o.Err, context.Canceled) {
		t.Errorf("a cancelled push: %+v", o)
	}
}

// TestHpackFields: the header block this side writes decodes with the x/net HPACK decoder to
// the fields written, for short and long values and names with and without a static index.
func TestHpackFields(t *testing.T) {
	long := "vapid t=" + string(bytes.Repeat([]byte("a"), 5000)) + ", k=K"
	in := [][2]string{{":authority", "fcm.googleapis.com"}, {":path", "/fcm/send/x?y=1"}, {"content-length", "3000"},
		{"authorization", long}, {"ttl", "604800"}, {"topic", "progress"}, {"content-type", "application/octet-stream"}}
	b := []byte{0x20, 0x80 | 3, 0x80 | 7}
	for _, kv := range in {
		b = appendHpackField(b, kv[0], kv[1])
	}
	var got [][2]string
	d := hpack.NewDecoder(4096, func(f hpack.HeaderField) { got = append(got, [2]string{f.Name, f.Value}) })
	if _, err := d.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	want := append([][2]string{{":method", "POST"}, {":scheme", "https"}}, in...)
	if len(got) != len(want) {
		t.Fatalf("%d fields, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: %q, want %q", i, got[i][0], want[i][0])
		}
	}
	for _, v := range []uint64{0, 14, 15, 16, 127, 128, 300, 1 << 20} {
		b := appendHpackInt(nil, 4, v)
		if v < 15 && len(b) != 1 || v >= 15 && b[0] != 15 {
			t.Errorf("%d with a 4-bit prefix: % x", v, b)
		}
	}
}

// TestPushH2AnswerShapes: an answer whose header block goes on in CONTINUATION frames, one with
// a body and trailers (429, Retry-After), and one after an interim 100 are each read right.
func TestPushH2AnswerShapes(t *testing.T) {
	block := func(c *h2FakeConn, fields ...string) []byte {
		c.hbuf.Reset()
		for i := 0; i+1 < len(fields); i += 2 {
			_ = c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return append([]byte(nil), c.hbuf.Bytes()...)
	}
	f := newH2Fake(t, nil, func(c *h2FakeConn, id uint32, n int) {
		c.f.mu.Lock()
		c.f.open--
		c.f.mu.Unlock()
		c.write(func(w *http2.Framer) error {
			switch id {
			case 1: // 201 in HEADERS + two CONTINUATIONs
				b := block(c, ":status", "201", "location", "/m/"+string(bytes.Repeat([]byte("x"), 300)), "date", "Mon, 07 Dec 2026 20:00:00 GMT")
				_ = w.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b[:10], EndStream: true})
				_ = w.WriteContinuation(id, false, b[10:100])
				return w.WriteContinuation(id, true, b[100:])
			case 3: // 429 with a body, then trailers
				_ = w.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block(c, ":status", "429", "retry-after", "11"), EndHeaders: true})
				_ = w.WriteData(id, false, []byte("slow down"))
				return w.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block(c, "x-trailer", "1"), EndHeaders: true, EndStream: true})
			default: // 100, then 201
				_ = w.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block(c, ":status", "100"), EndHeaders: true})
				return w.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block(c, ":status", "201"), EndHeaders: true, EndStream: true})
			}
		})
	})
	p, r := h2FakeClient(f, 2*time.Second)
	defer p.Close()
	got := sendAll(p, r, 3, 1)
	if got[0].Status != 201 || got[0].Err != nil {
		t.Errorf("HEADERS + CONTINUATION: %+v", got[0])
	}
	if got[1].Status != 429 || got[1].RetryAfter != 11*time.Second || got[1].Err == nil {
		t.Errorf("429 with a body and trailers: %+v", got[1])
	}
	if got[2].Status != 201 || got[2].Err != nil {
		t.Errorf("100 then 201: %+v", got[2])
	}
	if c := f.conns_(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
}
