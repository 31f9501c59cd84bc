// Package pushtest is a fake push service speaking RFC 8030 for tests: it hands out
// subscriptions (a P-256 key pair and an auth secret, like a browser), checks the VAPID JWT of
// every push (RFC 8292: ES256 signature by the key in the header, that key equal to the one the
// subscription was made with, aud equal to the endpoint's origin, exp within 24 hours), decrypts
// the aes128gcm payload (RFC 8291) with the subscription's private key, and records what
// arrived. It can be told to answer 404, 410, 413, 429 with Retry-After, 500, slowly, or to drop
// connections (down).
package pushtest

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shebao/notify/ece"
)

// Message is one push as it arrived.
type Message struct {
	Subscription string
	Payload      []byte // decrypted (nil when Verify is off)
	Tag          string // the payload's "tag", the key a service worker shows once
	Topic        string
	Urgency      string
	TTL          int
}

// Answer is what the service answers a push with.
type Answer struct {
	Status     int           // 0 = 201
	RetryAfter int           // seconds, with 429
	Delay      time.Duration // answer slowly
	Times      int           // how many pushes get this answer; 0 = every one
}

type sub struct {
	priv  *ecdh.PrivateKey
	auth  []byte
	vapid []byte // the application server key it was made with (uncompressed point)
}

// Server is the fake push service.
type Server struct {
	*httptest.Server
	// Verify checks VAPID and decrypts every payload (default true); a benchmark turns it off to
	// measure the sender alone.
	Verify atomic.Bool
	// CountOnly keeps no Message (Received still counts): a benchmark's million pushes would
	// otherwise hold every one in memory.
	CountOnly atomic.Bool

	mu       sync.Mutex
	subs     map[string]*sub
	answers  map[string][]Answer // per subscription id; "" = every subscription
	msgs     []Message
	errs     []string
	down     atomic.Bool
	received atomic.Int64
}

// New starts a fake push service on 127.0.0.1.
func New() *Server {
	s := &Server{subs: map[string]*sub{}, answers: map[string][]Answer{}}
	s.Verify.Store(true)
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// NewTLS starts a fake push service on 127.0.0.1 over TLS that offers HTTP/2 and HTTP/1.1
// (ALPN), as the real ones do; protos, when given, is what it offers instead (e.g. only
// "http/1.1"). Its certificate is in Roots.
func NewTLS(protos ...string) *Server {
	s := &Server{subs: map[string]*sub{}, answers: map[string][]Answer{}}
	s.Verify.Store(true)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	if len(protos) == 0 {
		protos = []string{"h2", "http/1.1"}
	}
	s.EnableHTTP2 = slices.Contains(protos, "h2")
	s.Server.TLS = &tls.Config{NextProtos: protos}
	s.StartTLS()
	return s
}

// Roots is a pool with the certificate of a service made by NewTLS.
func (s *Server) Roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

// Host is the host:port of the service, for the insecure-test-hosts setting.
func (s *Server) Host() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
}

// Subscription is what a browser's PushSubscription.toJSON() gives.
type Subscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// ID is the subscription's id at the service (the last path element of the endpoint).
func (s Subscription) ID() string { return s.Endpoint[strings.LastIndex(s.Endpoint, "/")+1:] }

// Subscribe makes a subscription for the application server key vapidPublic (base64url).
func (s *Server) Subscribe(vapidPublic string) (Subscription, error) {
	k, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vapidPublic, "="))
	if err != nil {
		return Subscription{}, err
	}
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return Subscription{}, err
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	idb := make([]byte, 12)
	_, _ = rand.Read(idb)
	id := base64.RawURLEncoding.EncodeToString(idb)
	s.mu.Lock()
	s.subs[id] = &sub{priv: priv, auth: auth, vapid: k}
	s.mu.Unlock()
	var out Subscription
	out.Endpoint = s.URL + "/push/" + id
	out.Keys.P256dh = base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes())
	out.Keys.Auth = base64.RawURLEncoding.EncodeToString(auth)
	return out, nil
}

// Answer queues answers for pushes to subscription id ("" = any subscription without its own).
func (s *Server) Answer(id string, a ...Answer) {
	s.mu.Lock()
	s.answers[id] = append(s.answers[id], a...)
	s.mu.Unlock()
}

// SetDown makes the service drop every connection without an answer (true) or serve again.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// Received counts pushes that reached the handler (answered or not).
func (s *Server) Received() int64 { return s.received.Load() }

// Messages returns the accepted pushes.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Errors returns the protocol violations seen (a bad JWT, a payload that does not decrypt …).
func (s *Server) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

func (s *Server) next(id string) Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{id, ""} {
		q := s.answers[key]
		if len(q) == 0 {
			continue
		}
		a := q[0]
		if a.Times > 0 {
			a.Times--
			if a.Times == 0 {
				s.answers[key] = q[1:]
			} else {
				q[0] = a
			}
		}
		return a
	}
	return Answer{}
}

func (s *Server) fail(w http.ResponseWriter, status int, msg string) {
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
	http.Error(w, msg, status)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.received.Add(1)
	if s.down.Load() {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2: the stream is reset, with no answer
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/push/")
	if r.Method != http.MethodPost || !ok {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<10))
	if err != nil {
		return
	}
	a := s.next(id)
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.Status != 0 && a.Status != http.StatusCreated {
		if a.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(a.RetryAfter))
		}
		w.WriteHeader(a.Status)
		return
	}
	s.mu.Lock()
	sb := s.subs[id]
	s.mu.Unlock()
	if sb == nil && s.Verify.Load() { // without Verify (benchmarks) any id is a device
		w.WriteHeader(http.StatusGone)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("TTL"))
	if err != nil || ttl < 0 {
		s.fail(w, http.StatusBadRequest, "missing or bad TTL header")
		return
	}
	m := Message{Subscription: id, Topic: r.Header.Get("Topic"), Urgency: r.Header.Get("Urgency"), TTL: ttl}
	if s.Verify.Load() {
		if r.Header.Get("Content-Encoding") != "aes128gcm" {
			s.fail(w, http.StatusUnsupportedMediaType, "Content-Encoding is not aes128gcm")
			return
		}
		if err := s.checkVAPID(r, sb); err != nil {
			s.fail(w, http.StatusForbidden, "vapid: "+err.Error())
			return
		}
		if len(m.Topic) > 32 || strings.ContainsFunc(m.Topic, func(c rune) bool {
			return !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')
		}) {
			s.fail(w, http.StatusBadRequest, "Topic is not at most 32 base64url characters")
			return
		}
		plain, err := ece.Decrypt(sb.priv, sb.auth, body)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "decrypt: "+err.Error())
			return
		}
		m.Payload = plain
		var p struct {
			Tag string `json:"tag"`
		}
		if err := json.Unmarshal(plain, &p); err != nil {
			s.fail(w, http.StatusBadRequest, "payload is not JSON")
			return
		}
		m.Tag = p.Tag
	}
	n := int(s.received.Load())
	if !s.CountOnly.Load() {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		n = len(s.msgs)
		s.mu.Unlock()
	}
	w.Header().Set("Location", "/message/"+strconv.Itoa(n))
	w.WriteHeader(http.StatusCreated)
}

// ParseVAPID splits an Authorization header "vapid t=<JWT>, k=<key>" into the token and the
// decoded key, which must be an uncompressed P-256 point's 65 bytes.
func ParseVAPID(h string) (token string, key []byte, err error) {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return "", nil, errors.New("no vapid authorization")
	}
	var k string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			token = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
	if err != nil || len(key) != 65 {
		return "", nil, errors.New("k is not an uncompressed P-256 key")
	}
	return token, key, nil
}

// checkVAPID verifies the Authorization header: "vapid t=<JWT>, k=<key>", the key the one the
// subscription was made with, ES256 by it, aud the endpoint's origin, exp within 24 h.
func (s *Server) checkVAPID(r *http.Request, sb *sub) error {
	tok, kb, err := ParseVAPID(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	if !bytes.Equal(kb, sb.vapid) {
		return errors.New("signed with another key than the subscription's (VapidPkHashMismatch)")
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(kb[1:33]), Y: new(big.Int).SetBytes(kb[33:])}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithExpirationRequired()).
		ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil })
	if err != nil {
		return err
	}
	origin := "http://" + r.Host
	if r.TLS != nil {
		origin = "https://" + r.Host
	}
	if aud, _ := claims["aud"].(string); aud != origin {
		return fmt.Errorf("aud %q is not the endpoint's origin %q", aud, origin)
	}
	exp, _ := claims.GetExpirationTime()
	if exp == nil || exp.After(time.Now().Add(24*time.Hour)) {
		return errors.New("exp more than 24 hours ahead")
	}
	if sub, _ := claims["sub"].(string); !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https:") {
		return fmt.Errorf("sub %q is neither mailto: nor https:", sub)
	}
	return nil
}

// Shown is what devices would show: for each subscription, the set of tags (a service worker
// shows one notification per tag and drops a tag it has shown), and how many pushes repeated a
// tag already received.
func (s *Server) Shown() (perSub map[string]map[string]bool, repeats int) {
	perSub = map[string]map[string]bool{}
	for _, m := range s.Messages() {
		if perSub[m.Subscription] == nil {
			perSub[m.Subscription] = map[string]bool{}
		}
		if perSub[m.Subscription][m.Tag] {
			repeats++
		}
		perSub[m.Subscription][m.Tag] = true
	}
	return perSub, repeats
}
