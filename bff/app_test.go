package bff

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"shebao/internal/identity"
)

func appServer(t *testing.T, dev bool) (*Server, *identity.Keyring) {
	t.Helper()
	keys, err := identity.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Auth: keys.Verifier(), Version: "test"}
	if dev {
		d.DevMinter = keys
	}
	return New(d), keys
}

func TestAppPageIsServedCompressedWithItsScriptAllowedByHash(t *testing.T) {
	srv, _ := appServer(t, false)
	app := srv.App()

	r := do(t, app, "GET", "/app", nil)
	if r.status != 301 || r.header.Get("Location") != "/app/" {
		t.Fatalf("/app: %d %q, want a redirect to /app/ (the service worker's scope)", r.status, r.header.Get("Location"))
	}
	r = do(t, app, "GET", "/app/", nil, "Accept-Encoding", "gzip, deflate, br")
	if r.status != 200 || r.header.Get("Content-Encoding") != "br" || r.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("/app/: %d, encoding %q, cache %q", r.status, r.header.Get("Content-Encoding"), r.header.Get("Cache-Control"))
	}
	page, err := io.ReadAll(brotli.NewReader(bytes.NewReader(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	script := regexp.MustCompile(`(?s)<script type="module">(.*?)</script>`).FindStringSubmatch(html)
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(html)
	if script == nil || style == nil {
		t.Fatalf("the page does not carry its script and style inline:\n%.400s", html)
	}
	if strings.Contains(script[1], "import ") || strings.Contains(script[1], "\nexport ") {
		t.Error("the inline script still imports or exports: it would not run as one module")
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, src := range []string{script[1], style[1]} {
		sum := sha256.Sum256([]byte(src))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
			t.Errorf("CSP %q lacks %s: the browser would refuse the inline code", csp, h)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// first screen budget: HTML with its inline CSS and JS, compressed, well under 100 KB
	if len(r.body) > 100<<10 {
		t.Errorf("first screen is %d bytes compressed", len(r.body))
	}

	// gzip for clients without brotli, identity for clients without either
	g := do(t, app, "GET", "/app/", nil, "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(bytes.NewReader(g.body))
	if err != nil || g.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v %q", err, g.header.Get("Content-Encoding"))
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, page) {
		t.Error("gzip and brotli bodies differ")
	}
	if p := do(t, app, "GET", "/app/", nil); p.header.Get("Content-Encoding") != "" || !bytes.Equal(p.body, page) {
		t.Error("identity body differs")
	}
	if nm := do(t, app, "GET", "/app/", nil, "If-None-Match", r.header.Get("ETag")); nm.status != 304 {
		t.Errorf("If-None-Match: %d, want 304", nm.status)
	}
}

func TestAppServiceWorkerPrecachesHashedAssetsThatExist(t *testing.T) {
	srv, _ := appServer(t, false)
	app := srv.App()
	r := do(t, app, "GET", "/app/sw.js", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("sw.js: %d %q", r.status, r.header.Get("Content-Type"))
	}
	sw := string(r.body)
	if strings.Contains(sw, "__SHELL_") || strings.Contains(sw, "__LINKS_JS__") {
		t.Fatal("sw.js placeholders left unfilled")
	}
	if !strings.Contains(sw, "\nfunction deepLink(") || strings.Contains(sw, "export ") {
		t.Fatal("sw.js does not carry links.js as plain declarations")
	}
	assets := regexp.MustCompile(`"(/app/assets/[^"]+)"`).FindAllStringSubmatch(sw, -1)
	if len(assets) < 5 {
		t.Fatalf("sw.js precaches %d assets", len(assets))
	}
	hashed := regexp.MustCompile(`\.[0-9a-f]{10}\.[a-z]+$`)
	for _, a := range assets {
		if !hashed.MatchString(a[1]) {
			t.Errorf("%s is not a hashed name", a[1])
		}
		ar := do(t, app, "GET", a[1], nil)
		if ar.status != 200 || ar.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %q", a[1], ar.status, ar.header.Get("Cache-Control"))
		}
	}
	if r := do(t, app, "GET", "/app/assets/app.js", nil); r.status != 404 {
		t.Errorf("an unhashed asset name answered %d", r.status)
	}
	if r := do(t, app, "GET", "/app/assets/..%2fapp.go", nil); r.status != 404 {
		t.Errorf("a path outside the assets answered %d", r.status)
	}
}

func TestAppManifestIconsArePNGsOfTheirSize(t *testing.T) {
	srv, _ := appServer(t, false)
	app := srv.App()
	r := do(t, app, "GET", "/app/manifest.webmanifest", nil)
	var m struct {
		StartURL string `json:"start_url"`
		Scope    string `json:"scope"`
		Display  string `json:"display"`
		Icons    []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("manifest: %v\n%s", err, r.body)
	}
	if m.StartURL != "/app/" || m.Scope != "/app/" || m.Display != "standalone" {
		t.Errorf("manifest %+v", m)
	}
	pngs := 0
	for _, ic := range m.Icons {
		ir := do(t, app, "GET", ic.Src, nil)
		if ir.status != 200 {
			t.Errorf("%s: %d", ic.Src, ir.status)
			continue
		}
		if ic.Type != "image/png" {
			continue
		}
		img, err := png.Decode(bytes.NewReader(ir.body))
		if err != nil {
			t.Errorf("%s: %v", ic.Src, err)
			continue
		}
		if got := img.Bounds().Dx(); ic.Sizes != strconv.Itoa(got)+"x"+strconv.Itoa(got) {
			t.Errorf("%s is %dpx, manifest says %s", ic.Src, got, ic.Sizes)
		}
		pngs++
	}
	if pngs < 2 {
		t.Errorf("%d PNG icons; installable apps need 192 and 512", pngs)
	}
}

func TestDevSignInIsNotFoundOutsideDevMode(t *testing.T) {
	srv, _ := appServer(t, false)
	r := do(t, srv.App(), "POST", "/api/v1/dev/sign-in", strings.NewReader(`{"account":"person"}`), "Content-Type", "application/json")
	if r.status != 404 || r.errorCode(t) != "not_found" {
		t.Fatalf("dev sign-in without dev mode: %d %s", r.status, r.body)
	}
	c := do(t, srv.App(), "GET", "/api/v1/app/config", nil)
	if string(c.body) != `{"dev":false,"oidc":null}` {
		t.Errorf("config without dev mode: %s", c.body)
	}
}

func TestDevSignInMintsShortLivedDemoTokens(t *testing.T) {
	srv, keys := appServer(t, true)
	c := do(t, srv.App(), "GET", "/api/v1/app/config", nil)
	if !strings.Contains(string(c.body), `"dev":true`) || !strings.Contains(string(c.body), `"demo-person"`) {
		t.Errorf("config in dev mode: %s", c.body)
	}
	for account, want := range map[string]identity.Role{"person": identity.RoleUser, "editor": identity.RoleEditor} {
		r := do(t, srv.App(), "POST", "/api/v1/dev/sign-in", strings.NewReader(`{"account":"`+account+`"}`), "Content-Type", "application/json")
		if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %s", account, r.status, r.body)
		}
		var out struct {
			Token     string `json:"token"`
			ExpiresIn int    `json:"expires_in"`
		}
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatal(err)
		}
		p, err := keys.Verifier().Verify(context.Background(), out.Token)
		if err != nil {
			t.Fatalf("%s: minted token does not verify: %v", account, err)
		}
		if len(p.Roles) != 1 || p.Roles[0] != want {
			t.Errorf("%s: roles %v, want only %s", account, p.Roles, want)
		}
		if left := time.Until(p.ExpiresAt); left > DevTokenTTL || left < DevTokenTTL-time.Minute || out.ExpiresIn != int(DevTokenTTL.Seconds()) {
			t.Errorf("%s: token lives %s (expires_in %d), want %s", account, left, out.ExpiresIn, DevTokenTTL)
		}
	}
	r := do(t, srv.App(), "POST", "/api/v1/dev/sign-in", strings.NewReader(`{"account":"admin"}`), "Content-Type", "application/json")
	if r.status != 400 {
		t.Errorf("unknown demo account: %d %s", r.status, r.body)
	}
}

func TestAppConfigOffersTheIdentityServiceWhenConfigured(t *testing.T) {
	srv := New(Deps{Version: "test", OIDC: AppOIDC{Issuer: "https://id.example.gov.cn/realms/sx", ClientID: "shebao-app"}})
	c := do(t, srv.App(), "GET", "/api/v1/app/config", nil)
	if !strings.Contains(string(c.body), `"oidc":{"client_id":"shebao-app","issuer":"https://id.example.gov.cn/realms/sx"}`) {
		t.Errorf("config: %s", c.body)
	}
	r := do(t, srv.App(), "GET", "/app/", nil)
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "connect-src 'self' https://id.example.gov.cn;") {
		t.Errorf("the token exchange with the issuer is not allowed: %s", r.header.Get("Content-Security-Policy"))
	}
}
