package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWKSConfig configures a JWKSVerifier for an OpenID Connect identity service.
type JWKSConfig struct {
	// Issuer must equal the tokens' iss exactly. Required.
	Issuer string
	// JWKSURL is where the service publishes its keys. If empty, it is discovered from
	// Issuer + "/.well-known/openid-configuration".
	JWKSURL string
	// Audience, if set, must be one of the tokens' aud values: the client id the service
	// issues our tokens for, so tokens meant for other applications are refused.
	Audience string
	// RolesClaim names the claim holding the roles, a dotted path for nested claims
	// (e.g. "realm_access.roles"). Default "roles".
	RolesClaim string
	// HTTPClient fetches discovery and JWKS documents. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// RefreshInterval is the least time between two JWKS fetches, so that tokens with made-up
	// kids cannot make us hammer the identity service. Default 30 s.
	RefreshInterval time.Duration
}

const (
	defaultRefreshInterval = 30 * time.Second
	defaultFetchTimeout    = 10 * time.Second

	// jwksMaxAge is how long fetched keys are trusted before being refetched, so a key the
	// identity service withdraws (e.g. after a leak) stops verifying within this time. Until a
	// refetch succeeds the old keys stay in use: an identity-service outage must not log out
	// every user.
	jwksMaxAge = 15 * time.Minute

	// maxDocumentBytes caps discovery and JWKS responses; real ones are a few KiB.
	maxDocumentBytes = 1 << 20
)

// JWKSVerifier verifies tokens from an OpenID Connect identity service against the keys it
// publishes as a JWKS. It caches the keys and refetches them when a token names a kid it does
// not know (the service rotated keys) or the cache is older than 15 minutes, never more often
// than RefreshInterval. It is safe for concurrent use.
type JWKSVerifier struct {
	issuer          string
	rolesClaim      string
	jwksURL         string
	client          *http.Client
	refreshInterval time.Duration
	fetchTimeout    time.Duration
	now             func() time.Time
	parser          *jwt.Parser

	// fetching admits one JWKS fetch at a time, so a burst of unknown kids waits for one fetch
	// instead of starting many; a channel rather than a mutex so waiting honours ctx.
	fetching chan struct{}

	mu          sync.RWMutex
	keys        map[string][]verificationKey // by kid
	fetchedAt   time.Time                    // last successful fetch
	attemptedAt time.Time                    // last fetch, successful or not
}

// jwksOptions are the knobs tests turn that JWKSConfig does not expose.
type jwksOptions struct {
	now          func() time.Time
	fetchTimeout time.Duration
}

// NewJWKSVerifier discovers (if needed) and fetches the identity service's keys, so that a wrong
// URL or issuer fails at startup rather than on the first login.
func NewJWKSVerifier(ctx context.Context, cfg JWKSConfig) (*JWKSVerifier, error) {
	return newJWKSVerifier(ctx, cfg, jwksOptions{now: time.Now, fetchTimeout: defaultFetchTimeout})
}

// newJWKSVerifier is NewJWKSVerifier with test knobs.
func newJWKSVerifier(ctx context.Context, cfg JWKSConfig, opts jwksOptions) (*JWKSVerifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("identity: JWKS verifier: issuer is required")
	}
	if cfg.RefreshInterval < 0 {
		return nil, fmt.Errorf("identity: JWKS verifier: refresh interval %v is negative", cfg.RefreshInterval)
	}
	v := &JWKSVerifier{
		issuer:          cfg.Issuer,
		rolesClaim:      cfg.RolesClaim,
		jwksURL:         cfg.JWKSURL,
		client:          cfg.HTTPClient,
		refreshInterval: cfg.RefreshInterval,
		fetchTimeout:    opts.fetchTimeout,
		now:             opts.now,
		fetching:        make(chan struct{}, 1),
	}
	if v.rolesClaim == "" {
		v.rolesClaim = "roles"
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: v.fetchTimeout}
	}
	if v.refreshInterval == 0 {
		v.refreshInterval = defaultRefreshInterval
	}
	v.parser = newParser(v.issuer, cfg.Audience, v.now)

	if v.jwksURL == "" {
		var err error
		if v.jwksURL, err = v.discover(ctx); err != nil {
			return nil, err
		}
	}
	if err := checkFetchURL(v.jwksURL); err != nil {
		return nil, fmt.Errorf("identity: JWKS URL: %w", err)
	}
	if err := v.refresh(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// Issuer reports the issuer whose tokens v verifies, for Chain.
func (v *JWKSVerifier) Issuer() string { return v.issuer }

// Verify checks a token issued by the identity service.
func (v *JWKSVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	return verifyToken(ctx, v.parser, token, v.lookup, v.rolesClaim)
}

// discover reads the JWKS URL from the issuer's OpenID Connect discovery document.
func (v *JWKSVerifier) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(v.issuer, "/") + "/.well-known/openid-configuration"
	if err := checkFetchURL(u); err != nil {
		return "", fmt.Errorf("identity: OIDC discovery: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, u, &doc); err != nil {
		return "", fmt.Errorf("identity: OIDC discovery: %w", err)
	}
	// OIDC Discovery §4.3: a document naming another issuer may be an impostor's.
	if doc.Issuer != v.issuer {
		return "", fmt.Errorf("identity: OIDC discovery: document is for issuer %q, want %q", doc.Issuer, v.issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("identity: OIDC discovery: document has no jwks_uri")
	}
	return doc.JWKSURI, nil
}

// lookup returns the keys for kid, refetching the JWKS when kid is unknown or the cache is old,
// within the rate limit.
func (v *JWKSVerifier) lookup(ctx context.Context, kid string) ([]verificationKey, error) {
	keys, stale := v.cached(kid)
	if len(keys) > 0 && !stale {
		return keys, nil
	}
	if len(keys) > 0 {
		// Known but stale: refresh if nobody else is, without making this request wait.
		select {
		case v.fetching <- struct{}{}:
			if v.mayFetch() {
				_ = v.refresh(context.WithoutCancel(ctx)) // on failure keep serving the known keys
			}
			<-v.fetching
			keys, _ = v.cached(kid)
		default:
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("key %q was withdrawn by %s", clip(kid), v.issuer)
		}
		return keys, nil
	}

	select {
	case v.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-v.fetching }()
	if keys, _ := v.cached(kid); len(keys) > 0 {
		return keys, nil // fetched while we waited
	}
	if !v.mayFetch() {
		return nil, fmt.Errorf("unknown key %q; JWKS fetched less than %v ago", clip(kid), v.refreshInterval)
	}
	// The fetch serves every request waiting on it, so one client hanging up must not abort it.
	if err := v.refresh(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("unknown key %q: %w", clip(kid), err)
	}
	if keys, _ := v.cached(kid); len(keys) > 0 {
		return keys, nil
	}
	return nil, fmt.Errorf("unknown key %q", clip(kid))
}

// cached returns the cached keys for kid and whether the cache is past jwksMaxAge.
func (v *JWKSVerifier) cached(kid string) ([]verificationKey, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.keys[kid], v.now().Sub(v.fetchedAt) > jwksMaxAge
}

// mayFetch reports whether RefreshInterval has passed since the last fetch attempt. Failed
// attempts count too, so a struggling identity service is not hammered either.
func (v *JWKSVerifier) mayFetch() bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.now().Sub(v.attemptedAt) >= v.refreshInterval
}

// refresh fetches the JWKS and replaces the cache with it. Callers other than the constructor
// hold v.fetching.
func (v *JWKSVerifier) refresh(ctx context.Context) error {
	v.mu.Lock()
	v.attemptedAt = v.now()
	v.mu.Unlock()

	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := v.getJSON(ctx, v.jwksURL, &set); err != nil {
		return fmt.Errorf("identity: fetch JWKS: %w", err)
	}
	keys := map[string][]verificationKey{}
	var skipped []error
	for _, raw := range set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, err)
			continue
		}
		if j.Kid == "" {
			// Tokens must name their key; an anonymous key could never be chosen.
			skipped = append(skipped, errors.New("key without kid"))
			continue
		}
		vk, err := j.verificationKey()
		if err != nil {
			// One key we cannot use (an encryption key, another curve) must not disable the rest.
			skipped = append(skipped, fmt.Errorf("key %q: %w", j.Kid, err))
			continue
		}
		keys[j.Kid] = append(keys[j.Kid], vk)
	}
	if len(keys) == 0 {
		err := fmt.Errorf("identity: JWKS at %s has no usable signing keys", v.jwksURL)
		if len(skipped) > 0 {
			err = fmt.Errorf("%w: %w", err, errors.Join(skipped...))
		}
		return err
	}

	v.mu.Lock()
	v.keys = keys
	v.fetchedAt = v.now()
	v.mu.Unlock()
	return nil
}

// getJSON GETs u and decodes its JSON body into dst, within v.fetchTimeout.
func (v *JWKSVerifier) getJSON(ctx context.Context, u string, dst any) error {
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocumentBytes)).Decode(dst); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// checkFetchURL requires https for anything we fetch keys from, since whoever can alter the
// response can mint tokens; plain http is allowed only to this machine, for development and
// tests.
func checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q must be an https URL", raw)
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
