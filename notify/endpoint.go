package notify

import (
	"context"
	"crypto/ecdh"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"shebao/internal/apperr"
)

// DefaultPushHosts are the public push services of the major browsers: Chrome, Edge (FCM and
// WNS), Firefox (Mozilla autopush) and Safari (Apple). A leading "*." matches any subdomain.
var DefaultPushHosts = []string{
	"fcm.googleapis.com",
	"android.googleapis.com",
	"updates.push.services.mozilla.com",
	"*.push.services.mozilla.com",
	"*.notify.windows.com",
	"web.push.apple.com",
	"*.push.apple.com",
}

// EndpointPolicy decides which push endpoints may be stored and called: the SSRF guard. An
// endpoint must be https on port 443, name a host (no IP literal) on the allow-list, and resolve
// only to public addresses — checked when a subscription is stored and again when the connection
// is made, on the address actually dialled (so a name that changes its answer cannot reach
// inside).
type EndpointPolicy struct {
	// Hosts is the allow-list (DefaultPushHosts when empty).
	Hosts []string
	// InsecureTestHosts are host:port pairs allowed over plain http (or https) to any address, for
	// a local fake push service in tests (SHEBAO_PUSH_INSECURE_TEST_HOSTS). Never set in production.
	InsecureTestHosts []string
	// TestRoots are certificate authorities trusted for the insecure test hosts only (a local
	// fake push service served over TLS). Never set in production.
	TestRoots *x509.CertPool
	// LookupIP resolves a host (net.DefaultResolver when nil); tests give their own answers.
	LookupIP func(ctx context.Context, host string) ([]net.IP, error)
}

// rootsFor is the pool that verifies the certificate of the service at hostport: TestRoots
// for an insecure test host, else nil (the system's roots).
func (p *EndpointPolicy) rootsFor(hostport string) *x509.CertPool {
	if p.TestRoots != nil && p.insecure(hostport) {
		return p.TestRoots
	}
	return nil
}

func (p *EndpointPolicy) insecure(hostport string) bool {
	for _, h := range p.InsecureTestHosts {
		if strings.EqualFold(h, hostport) {
			return true
		}
	}
	return false
}

func (p *EndpointPolicy) allowedHost(host string) bool {
	hosts := p.Hosts
	if len(hosts) == 0 {
		hosts = DefaultPushHosts
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range hosts {
		h = strings.ToLower(h)
		if suffix, ok := strings.CutPrefix(h, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}

func (p *EndpointPolicy) lookup(ctx context.Context, host string) ([]net.IP, error) {
	if p.LookupIP != nil {
		return p.LookupIP(ctx, host)
	}
	return net.DefaultResolver.LookupIP(ctx, "ip", host)
}

// notAllowed is the error for an endpoint the policy refuses; reason goes to the client's details
// and the log.
func notAllowed(reason string) error {
	return apperr.New(apperr.PushEndpointNotAllowed, "").WithDetails(map[string]string{"reason": reason})
}

// Check reports whether endpoint may be stored (and called): nil, or push_endpoint_not_allowed
// with the reason.
func (p *EndpointPolicy) Check(ctx context.Context, endpoint string) error {
	if len(endpoint) > 2048 {
		return notAllowed("endpoint longer than 2048 characters")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil {
		return notAllowed("not an absolute URL")
	}
	if p.insecure(u.Host) && (u.Scheme == "http" || u.Scheme == "https") {
		return nil
	}
	if u.Scheme != "https" {
		return notAllowed("scheme is not https")
	}
	if port := u.Port(); port != "" && port != "443" {
		return notAllowed("port is not 443")
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return notAllowed("host is an IP address")
	}
	if !p.allowedHost(host) {
		return notAllowed("host is not a known push service")
	}
	return p.checkResolved(ctx, u.Hostname())
}

// checkStatic is Check without the name lookup, for send time: the guarded dialer checks the
// address it actually connects to.
func (p *EndpointPolicy) checkStatic(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil {
		return notAllowed("not an absolute URL")
	}
	if p.insecure(u.Host) {
		return nil
	}
	if u.Scheme != "https" {
		return notAllowed("scheme is not https")
	}
	if port := u.Port(); port != "" && port != "443" {
		return notAllowed("port is not 443")
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return notAllowed("host is an IP address")
	}
	if !p.allowedHost(u.Hostname()) {
		return notAllowed("host is not a known push service")
	}
	return nil
}

func (p *EndpointPolicy) checkResolved(ctx context.Context, host string) error {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := p.lookup(lctx, host)
	if err != nil || len(ips) == 0 {
		return notAllowed("host does not resolve")
	}
	for _, ip := range ips {
		if !publicIP(ip) {
			return notAllowed("host resolves to a non-public address")
		}
	}
	return nil
}

// publicIP reports whether ip is a globally routable unicast address.
func publicIP(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, pfx := range nonPublic {
		if pfx.Contains(a) {
			return false
		}
	}
	return true
}

// nonPublic are ranges IsGlobalUnicast lets through that no push service lives in.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach any IPv4 address
	netip.MustParsePrefix("2001:db8::/32"),
}

// errDialRefused is returned by the guarded dialer when the address is not public.
var errDialRefused = errors.New("push endpoint resolves to a non-public address")

// dialer returns the guarded dial function of the push channel: an insecure test host as it
// is; any other address only on port 443 and only to a public address its name resolves to.
func (p *EndpointPolicy) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if p.insecure(addr) {
			return d.DialContext(ctx, network, addr)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if port != "443" {
			return nil, fmt.Errorf("%w: port %s", errDialRefused, port)
		}
		ips, err := p.lookup(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if publicIP(ip) {
				return d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			}
		}
		return nil, errDialRefused
	}
}

// Client returns the HTTP client the push channel uses: it dials only public addresses (or an
// insecure test host), follows no redirects, and times out.
func (p *EndpointPolicy) Client(timeout time.Duration, conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         p.dialer(),
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SubscriptionInput is the browser's PushSubscription JSON (subscription.toJSON()).
type SubscriptionInput struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// decodeKey reads a base64url key, padded or not (browsers send it unpadded; some libraries
// pad, some use the standard alphabet).
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "+/") {
		s = stdToURL.Replace(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// stdToURL turns standard base64 into its URL alphabet (some browsers' keys come that way).
var stdToURL = strings.NewReplacer("+", "-", "/", "_")

// checkKeys validates the subscription's keys: p256dh an uncompressed P-256 point on the curve,
// auth 16 bytes; else invalid_subscription.
func checkKeys(in SubscriptionInput) error {
	bad := func(reason string) error {
		return apperr.New(apperr.InvalidSubscription, "").WithDetails(map[string]string{"reason": reason})
	}
	pub, err := decodeKey(in.Keys.P256dh)
	if err != nil {
		return bad("p256dh is not base64url")
	}
	if len(pub) != 65 || pub[0] != 4 {
		return bad("p256dh is not an uncompressed P-256 point (65 bytes starting with 0x04)")
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return bad("p256dh is not a point on P-256")
	}
	auth, err := decodeKey(in.Keys.Auth)
	if err != nil {
		return bad("auth is not base64url")
	}
	if len(auth) != 16 {
		return bad("auth is not 16 bytes")
	}
	return nil
}
