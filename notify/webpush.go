package notify

// The send path of Web Push: aes128gcm encryption (RFC 8291) and a VAPID Authorization header
// (RFC 8292). It is a thin fork of SendNotificationWithContext and getVAPIDAuthorizationHeader
// in github.com/SherClockHolmes/webpush-go v1.4.0 (MIT licence, Copyright (c) 2016 Ethan
// Holmes), changed where the profile showed the cost:
//
//   - the VAPID key pair is parsed once per key (webpush-go re-derives the public key with a
//     full curve multiplication for every message: 27% of a send);
//   - the signed JWT is kept per (push-service origin, key) and re-signed an hour before its
//     `exp` (RFC 8292 §2 allows reusing a token until it expires; webpush-go signs one per
//     message: 22% of a send);
//   - crypto/ecdh and crypto/hkdf instead of crypto/elliptic's big.Int arithmetic;
//   - the subject goes into `sub` as configured (webpush-go prefixes "mailto:" to anything not
//     starting with "https:", so a "mailto:" subject became "mailto:mailto:…").
//
// webpush-go stays a dependency for key generation, and as the reference in webpush_test.go:
// the bodies of both decrypt to the same payload with the same record layout, and the headers
// match.

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shebao/notify/ece"
)

// JWT lifetimes: a token says it expires jwtLife after signing (webpush-go's 12 h; RFC 8292
// allows up to 24 h) and is replaced once less than jwtRefresh of that remains.
const (
	jwtLife    = 12 * time.Hour
	jwtRefresh = time.Hour
)

// WebPush is the Web Push channel.
type WebPush struct {
	Client  *http.Client
	Subject string
	Now     func() time.Time // clock of the JWT cache (tests); default time.Now

	conns *pushConns // the lean client; nil: Client

	mu     sync.Mutex
	keys   map[string]*vapidSigner // by private key (base64url)
	tokens map[jwtSlot]jwtToken
}

// vapidSigner is one VAPID key pair, parsed once.
type vapidSigner struct {
	priv *ecdsa.PrivateKey
	k    string // the public key as it goes into "k=" (base64url, no padding)
}

type jwtSlot struct{ origin, key string }

type jwtToken struct {
	header string // the whole Authorization value
	exp    time.Time
}

// Name implements Channel.
func (w *WebPush) Name() string { return "webpush" }

func (w *WebPush) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// signer returns the parsed key pair for a base64url private key.
func (w *WebPush) signer(private string) (*vapidSigner, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v, ok := w.keys[private]; ok {
		return v, nil
	}
	d, err := decodeKey(private)
	if err != nil {
		return nil, fmt.Errorf("vapid private key: %w", err)
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return nil, fmt.Errorf("vapid private key: %w", err)
	}
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	v := &vapidSigner{priv: priv, k: base64.RawURLEncoding.EncodeToString(pub)}
	if w.keys == nil {
		w.keys = map[string]*vapidSigner{}
	}
	w.keys[private] = v
	return v, nil
}

// authorization is the VAPID header for endpoint signed with the private key: a cached token
// while it has more than jwtRefresh left, else a new one.
func (w *WebPush) authorization(endpoint, private string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	slot := jwtSlot{origin: u.Scheme + "://" + u.Host, key: private}
	now := w.now()
	w.mu.Lock()
	t, ok := w.tokens[slot]
	w.mu.Unlock()
	if ok && now.Before(t.exp.Add(-jwtRefresh)) {
		return t.header, nil
	}
	v, err := w.signer(private)
	if err != nil {
		return "", err
	}
	exp := now.Add(jwtLife)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"aud": slot.origin,
		"exp": exp.Unix(),
		"sub": w.Subject,
	}).SignedString(v.priv)
	if err != nil {
		return "", err
	}
	t = jwtToken{header: "vapid t=" + tok + ", k=" + v.k, exp: time.Unix(exp.Unix(), 0)}
	w.mu.Lock()
	if w.tokens == nil {
		w.tokens = map[jwtSlot]jwtToken{}
	}
	w.tokens[slot] = t
	w.mu.Unlock()
	return t.header, nil
}

// prepare encrypts p for a's subscription and signs (or takes from the cache) the VAPID header.
func (w *WebPush) prepare(a Address, p Payload) (*pushRequest, error) {
	plain := p.appendJSON(make([]byte, 0, 512))
	ua, err := decodeKey(a.Subscription.P256dh)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	uaPub, err := ecdh.P256().NewPublicKey(ua)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	auth, err := decodeKey(a.Subscription.Auth)
	if err != nil {
		return nil, fmt.Errorf("auth secret: %w", err)
	}
	body, err := ece.Encrypt(plain, uaPub, auth)
	if err != nil {
		return nil, err
	}
	vapid, err := w.authorization(a.Subscription.Endpoint, a.VAPIDPrivate)
	if err != nil {
		return nil, err
	}
	h := make([][2]string, 0, 6)
	// Names in lower case: as HTTP/2 needs them, and HTTP/1.1 reads them in any case.
	h = append(h, [2]string{"content-encoding", "aes128gcm"}, [2]string{"content-type", "application/octet-stream"},
		[2]string{"ttl", strconv.Itoa(int(p.TTL / time.Second))})
	if p.Topic != "" {
		h = append(h, [2]string{"topic", p.Topic})
	}
	switch p.Urgency {
	case "very-low", "low", "normal", "high":
		h = append(h, [2]string{"urgency", p.Urgency})
	}
	h = append(h, [2]string{"authorization", vapid})
	u, err := url.Parse(a.Subscription.Endpoint)
	if err != nil {
		return nil, err
	}
	return &pushRequest{url: u, header: h, body: body}, nil
}

// request builds the POST of p to a's subscription, for net/http.
func (w *WebPush) request(ctx context.Context, a Address, p Payload) (*http.Request, error) {
	pr, err := w.prepare(a, p)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pr.url.String(), bytes.NewReader(pr.body))
	if err != nil {
		return nil, err
	}
	for _, kv := range pr.header {
		req.Header[http.CanonicalHeaderKey(kv[0])] = []string{kv[1]}
	}
	return req, nil
}

// Send implements Channel: through the lean client when the channel has one (NewWebPush), else
// through Client.
func (w *WebPush) Send(ctx context.Context, a Address, p Payload) Outcome {
	if w.conns == nil {
		req, err := w.request(ctx, a, p)
		if err != nil {
			return Outcome{Err: err}
		}
		return post(w.Client, req, "push service")
	}
	pr, err := w.prepare(a, p)
	if err != nil {
		return Outcome{Err: err}
	}
	return w.conns.post(ctx, pr, "push service")
}

// NewWebPush returns the Web Push channel that sends through its own client (pushconn.go:
// HTTP/2 on one connection per push service that offers it, else keep-alive HTTP/1.1), dialing
// through policy, each request within timeout, keeping up to conns idle HTTP/1.1 connections
// per push service.
func NewWebPush(policy *EndpointPolicy, subject string, timeout time.Duration, conns int) *WebPush {
	return &WebPush{Subject: subject, conns: newPushConns(policy, timeout, conns)}
}
