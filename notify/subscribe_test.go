package notify

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"

	"shebao/internal/dbtest"
)

func TestSubscriptionBadInput(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.s.policy.LookupIP = func(_ context.Context, host string) ([]net.IP, error) {
		switch host {
		case "fcm.googleapis.com":
			return []net.IP{net.ParseIP("142.250.1.95")}, nil
		case "evil.push.services.mozilla.com":
			return []net.IP{net.ParseIP("127.0.0.1")}, nil
		case "intranet.notify.windows.com":
			return []net.IP{net.ParseIP("142.250.1.95"), net.ParseIP("10.1.2.3")}, nil
		case "meta.push.apple.com":
			return []net.IP{net.ParseIP("169.254.169.254")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	goodKey := base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes())
	goodAuth := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	in := func(endpoint, p256dh, auth string) SubscriptionInput {
		var s SubscriptionInput
		s.Endpoint, s.Keys.P256dh, s.Keys.Auth = endpoint, p256dh, auth
		return s
	}
	offCurve := make([]byte, 65)
	offCurve[0] = 4
	offCurve[64] = 1
	compressed := append([]byte{2}, priv.PublicKey().Bytes()[1:33]...)
	const ok = "https://fcm.googleapis.com/fcm/send/abc"
	// Endpoints the allow-list or the address check refuses, each with good keys.
	for _, c := range []struct{ name, endpoint string }{
		{"http scheme", "http://fcm.googleapis.com/fcm/send/abc"},
		{"IPv4 literal", "https://142.250.1.95/fcm/send/abc"},
		{"IPv6 literal", "https://[2607:f8b0::1]/send/abc"},
		{"host not on the allow-list", "https://push.example.net/abc"},
		{"look-alike host", "https://fcm.googleapis.com.evil.net/abc"},
		{"port not 443", "https://fcm.googleapis.com:8443/abc"},
		{"resolves to 127.0.0.1", "https://evil.push.services.mozilla.com/abc"},
		{"resolves to 10.x among public", "https://intranet.notify.windows.com/abc"},
		{"resolves to link-local metadata", "https://meta.push.apple.com/abc"},
		{"does not resolve", "https://nowhere.push.apple.com/abc"},
		{"user info", "https://user@fcm.googleapis.com/abc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.s.Subscribe(e.ctx, "p1", in(c.endpoint, goodKey, goodAuth))
			wantCode(t, err, "push_endpoint_not_allowed")
		})
	}
	// Subscriptions that are not well formed.
	for _, c := range []struct {
		name string
		in   SubscriptionInput
	}{
		{"no endpoint", in("", goodKey, goodAuth)},
		{"p256dh not base64", in(ok, "***", goodAuth)},
		{"p256dh compressed", in(ok, base64.RawURLEncoding.EncodeToString(compressed), goodAuth)},
		{"p256dh off the curve", in(ok, base64.RawURLEncoding.EncodeToString(offCurve), goodAuth)},
		{"p256dh empty", in(ok, "", goodAuth)},
		{"auth 15 bytes", in(ok, goodKey, base64.RawURLEncoding.EncodeToString(make([]byte, 15)))},
		{"auth not base64", in(ok, goodKey, "!!")},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.s.Subscribe(e.ctx, "p1", c.in)
			wantCode(t, err, "invalid_subscription")
		})
	}
	if _, err := e.s.Subscribe(e.ctx, "p1", in(ok, goodKey, goodAuth)); err != nil {
		t.Fatalf("a public push service: %v", err)
	}
	// Standard base64 with padding, as some libraries send it, is accepted too.
	std := base64.StdEncoding.EncodeToString(priv.PublicKey().Bytes())
	if _, err := e.s.Subscribe(e.ctx, "p1", in(ok+"2", std, base64.StdEncoding.EncodeToString(make([]byte, 16)))); err != nil {
		t.Fatalf("padded standard base64: %v", err)
	}
	if n := e.subCount("p1"); n != 2 {
		t.Fatalf("subscriptions: %d", n)
	}
}

func TestPublicIP(t *testing.T) {
	for ip, want := range map[string]bool{
		"8.8.8.8": true, "142.250.1.95": true, "2607:f8b0::1": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false,
		"64:ff9b::a00:1": false, "224.0.0.1": false,
	} {
		if got := publicIP(net.ParseIP(ip)); got != want {
			t.Errorf("publicIP(%s) = %v", ip, got)
		}
	}
}

func TestCheckSubject(t *testing.T) {
	for s, ok := range map[string]bool{
		"mailto:ops@shebao.gov.cn": true, "https://shebao.gov.cn/contact": true,
		"mailto:ops@localhost": false, "mailto:admin@example.test": false, "https://localhost/": false,
		"http://shebao.gov.cn": false, "ops@shebao.gov.cn": false, "": false, "mailto:not-an-address": false,
	} {
		if err := CheckSubject(s); (err == nil) != ok {
			t.Errorf("CheckSubject(%q) = %v", s, err)
		}
	}
}

func TestSendTimeGuardDropsAnEndpointNoLongerAllowed(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.subscribe("p1")
	e.s.policy.InsecureTestHosts = nil // the fake's host is now just an http IP literal
	e.notify(msg("p1", "k1"))
	e.run()
	if got := strings.Join(e.events("k1"), ","); got != "queued,dropped" {
		t.Fatalf("events %s", got)
	}
	if e.subCount("p1") != 0 || len(e.push.Messages()) != 0 {
		t.Fatal("the subscription was called or kept")
	}
}

func TestGuardedDialerRefusesPrivateAddresses(t *testing.T) {
	p := &EndpointPolicy{LookupIP: func(context.Context, string) ([]net.IP, error) {
		return []net.IP{net.ParseIP("127.0.0.1")}, nil
	}}
	_, err := p.Client(0, 1).Get("https://fcm.googleapis.com/x")
	if err == nil || !strings.Contains(err.Error(), errDialRefused.Error()) {
		t.Fatalf("dial to a name resolving to loopback: %v", err)
	}
}
