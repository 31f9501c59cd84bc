package bff

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

// appFS holds the mobile web app: vanilla JS modules, one style sheet, a service worker and a
// manifest, embedded as written (no build step). Hashed names and compressed copies are made
// once, in memory, at the first request.
//
//go:embed app
var appFS embed.FS

// appHashed are the files served under content-hashed names with a one-year cache, leaves
// first: a file's references to the ones before it are rewritten to their hashed names before
// its own hash is taken, so a change anywhere changes the names of everything that imports it.
var appHashed = []string{"icon.svg", "icon-192.png", "icon-512.png", "app.css", "pkce.js", "links.js", "app.js"}

// appPlain are served under their own names, revalidated on every load: the page, the service
// worker (browsers require a stable URL for it) and the manifest.
var appPlain = []string{"index.html", "sw.js", "manifest.webmanifest"}

// appAsset is one file ready to send: the bytes and their gzip and brotli forms.
type appAsset struct {
	ctype    string
	raw      []byte
	gz, br   []byte
	etag     string
	hashed   bool
	hashName string
}

// appBundle is every file of the app keyed by the name it is requested under.
type appBundle struct {
	byName       map[string]*appAsset // hashed names under /app/assets/, plain names under /app/
	inlineHashes string               // CSP source of the page's inline script
	styleHashes  string               // CSP source of the page's inline style sheet
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// appModules are the modules app.js imports, leaves first. The page's script and the service
// worker carry them as plain declarations: there is no module loader in either.
var appModules = []string{"pkce.js", "links.js"}

// plainModule is an app module with its exports turned into plain declarations.
func plainModule(name string) ([]byte, error) {
	src, err := appFS.ReadFile("app/" + name)
	return bytes.ReplaceAll(src, []byte("\nexport "), []byte("\n")), err
}

// appInlineScript is the page's script: the appModules and app.js as one module (the modules'
// exports become plain declarations and app.js's imports of them are dropped).
func appInlineScript() ([]byte, error) {
	app, err := appFS.ReadFile("app/app.js")
	if err != nil {
		return nil, err
	}
	var out []byte
	imports := map[string]bool{}
	for _, m := range appModules {
		src, err := plainModule(m)
		if err != nil {
			return nil, err
		}
		out = append(append(out, src...), '\n')
		imports[m] = false
	}
	for _, l := range bytes.Split(app, []byte("\n")) {
		if m, ok := importedModule(l); ok {
			if dropped, listed := imports[m]; listed && !dropped {
				imports[m] = true
				continue
			}
		}
		out = append(out, l...)
		out = append(out, '\n')
	}
	for m, dropped := range imports {
		if !dropped {
			return nil, fmt.Errorf("app: app.js does not import %s as expected", m)
		}
	}
	return out, nil
}

// importedModule is the module an `import … from '/app/assets/NAME'` line of app.js imports.
func importedModule(line []byte) (string, bool) {
	const from = " from '/app/assets/"
	i := bytes.Index(line, []byte(from))
	if !bytes.HasPrefix(line, []byte("import ")) || i < 0 {
		return "", false
	}
	name, _, ok := strings.Cut(string(line[i+len(from):]), "'")
	return name, ok
}

var (
	appOnce   sync.Once
	appBuilt  *appBundle
	appBuildE error
)

// loadApp builds the bundle once; the embedded files cannot change while the process runs.
func loadApp() (*appBundle, error) {
	appOnce.Do(func() { appBuilt, appBuildE = buildApp() })
	return appBuilt, appBuildE
}

func buildApp() (*appBundle, error) {
	b := &appBundle{byName: map[string]*appAsset{}}
	rename := map[string]string{} // "/app/assets/app.js" -> "/app/assets/app.1a2b3c4d5e.js"
	rewrite := func(data []byte) []byte {
		for from, to := range rename {
			data = bytes.ReplaceAll(data, []byte(from), []byte(to))
		}
		return data
	}
	var all []string
	for _, name := range appHashed {
		var data []byte
		var err error
		switch name {
		case "icon-192.png":
			data, err = appIconPNG(192)
		case "icon-512.png":
			data, err = appIconPNG(512)
		default:
			data, err = appFS.ReadFile("app/" + name)
		}
		if err != nil {
			return nil, err
		}
		data = rewrite(data)
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])[:10]
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + h + ext
		rename["/app/assets/"+name] = "/app/assets/" + hashed
		all = append(all, "/app/assets/"+hashed)
		b.byName["assets/"+hashed] = newAppAsset(name, data, true)
	}
	// The first screen must be interactive within 2 s on slow 4G, where every request costs a
	// round trip of about 560 ms: the page carries its style sheet and script inline (allowed by
	// their hashes in the CSP), so it needs no second round trip before it can run.
	inlineCSS, err := appFS.ReadFile("app/app.css")
	if err != nil {
		return nil, err
	}
	inlineJS, err := appInlineScript()
	if err != nil {
		return nil, err
	}
	b.inlineHashes = "'sha256-" + base64.StdEncoding.EncodeToString(sha256Of(inlineJS)) + "'"
	b.styleHashes = "'sha256-" + base64.StdEncoding.EncodeToString(sha256Of(inlineCSS)) + "'"
	shell := sha256.Sum256([]byte(strings.Join(all, ",")))
	for _, name := range appPlain {
		data, err := appFS.ReadFile("app/" + name)
		if err != nil {
			return nil, err
		}
		data = rewrite(data)
		if name == "index.html" {
			data = bytes.Replace(data, []byte(`<link rel="stylesheet" href="`+rename["/app/assets/app.css"]+`">`), append(append([]byte("<style>"), inlineCSS...), "</style>"...), 1)
			data = bytes.Replace(data, []byte(`<script type="module" src="`+rename["/app/assets/app.js"]+`"></script>`), append(append([]byte(`<script type="module">`), inlineJS...), "</script>"...), 1)
			if bytes.Contains(data, []byte(`src="/app/assets/app.`)) || !bytes.Contains(data, []byte("<style>")) {
				return nil, fmt.Errorf("app: index.html does not reference app.css and app.js as expected")
			}
		}
		if name == "sw.js" {
			// The worker precaches exactly the shell this binary serves; a new binary is a new
			// cache name, and the old cache is dropped on activate.
			data = bytes.ReplaceAll(data, []byte("__SHELL_VERSION__"), []byte(hex.EncodeToString(shell[:])[:10]))
			data = bytes.ReplaceAll(data, []byte("__SHELL_ASSETS__"), []byte(`"`+strings.Join(all, `","`)+`"`))
			links, err := plainModule("links.js")
			if err != nil {
				return nil, err
			}
			if !bytes.Contains(data, []byte("__LINKS_JS__")) {
				return nil, fmt.Errorf("app: sw.js has no place for links.js")
			}
			data = bytes.Replace(data, []byte("__LINKS_JS__"), links, 1)
		}
		b.byName[name] = newAppAsset(name, data, false)
	}
	return b, nil
}

func newAppAsset(name string, data []byte, hashed bool) *appAsset {
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".webmanifest":
		ct = "application/manifest+json"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".html":
		ct = fiber.MIMETextHTMLCharsetUTF8
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	sum := sha256.Sum256(data)
	a := &appAsset{ctype: ct, raw: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, hashed: hashed}
	if !strings.HasSuffix(name, ".png") { // PNGs are compressed already
		a.gz = gzipped(data)
		var br bytes.Buffer
		bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
		bw.Write(data)
		bw.Close()
		a.br = br.Bytes()
	}
	return a
}

// appIconPNG draws the app icon at size×size: a white cross (the 社保 mark used on the SVG) on
// the app's blue, which is what launchers need in PNG.
func appIconPNG(size int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	blue := color.RGBA{0x0b, 0x57, 0xd0, 0xff}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	arm, thick := size*5/16, size/8
	c := size / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := x-c, y-c
			if dx < 0 {
				dx = -dx
			}
			if dy < 0 {
				dy = -dy
			}
			if (dx <= thick && dy <= arm) || (dy <= thick && dx <= arm) {
				img.Set(x, y, white)
			} else {
				img.Set(x, y, blue)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appCSP allows the app's own files and same-origin API calls (the chat WebSocket included);
// the identity service's origin is added for the token exchange of the sign-in.
func (s *Server) appCSP() string {
	b, _ := loadApp()
	script, style := "'self'", "'self'"
	if b != nil {
		script += " " + b.inlineHashes
		style += " " + b.styleHashes
	}
	connect := "'self'"
	if s.OIDC.Issuer != "" {
		if u, err := url.Parse(s.OIDC.Issuer); err == nil && u.Host != "" {
			connect += " " + u.Scheme + "://" + u.Host
		}
	}
	return "default-src 'none'; script-src " + script + "; style-src " + style + "; img-src 'self' data:; media-src 'self' blob:; " +
		"connect-src " + connect + "; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// appRoutes serves the mobile web app at /app/.
func (s *Server) appRoutes(r fiber.Router) {
	// Fiber matches /app and /app/ alike (non-strict routing); the page must be at /app/ so
	// that the service worker's scope covers it.
	r.Get("/app", func(c *fiber.Ctx) error {
		if !strings.HasSuffix(c.Path(), "/") {
			return c.Redirect("/app/", fiber.StatusMovedPermanently)
		}
		return s.appSend(c, "index.html")
	})
	r.Get("/app/sw.js", func(c *fiber.Ctx) error { return s.appSend(c, "sw.js") })
	r.Get("/app/manifest.webmanifest", func(c *fiber.Ctx) error { return s.appSend(c, "manifest.webmanifest") })
	r.Get("/app/assets/:file", func(c *fiber.Ctx) error {
		name := c.Params("file")
		if path.Base(name) != name {
			return fiber.ErrNotFound
		}
		return s.appSend(c, "assets/"+name)
	})
}

// appSend writes one file: brotli or gzip when the client takes it, 304 on a matching ETag,
// hashed files cached for a year, the others revalidated.
func (s *Server) appSend(c *fiber.Ctx, name string) error {
	b, err := loadApp()
	if err != nil {
		return err
	}
	a := b.byName[name]
	if a == nil {
		return fiber.ErrNotFound
	}
	c.Set("Content-Security-Policy", s.appCSP())
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if a.hashed {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if name == "sw.js" {
		c.Set("Service-Worker-Allowed", "/app/")
	}
	c.Set(fiber.HeaderETag, a.etag)
	if c.Get(fiber.HeaderIfNoneMatch) == a.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	ae := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case a.br != nil && strings.Contains(ae, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(a.br)
	case a.gz != nil && strings.Contains(ae, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.raw)
}
