package bff

import (
	"bufio"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"shebao/internal/dbtest"
	"shebao/internal/identity"
	"shebao/internal/logsink"
	"shebao/internal/ratelimit"
)

// devQueries reads the shared dev query set (column 1), or a few built-in queries without it.
func devQueries() []string {
	qs := []string{"养老金资格认证在哪做", "怎么领失业金", "社保卡挂失怎么办", "shebaoka", "异地就医怎么备案"}
	f, err := os.Open("../../shared/eval/search_dev.tsv")
	if err != nil {
		return qs
	}
	defer f.Close()
	qs = qs[:0]
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		qs = append(qs, strings.SplitN(l, "\t", 2)[0])
	}
	return qs
}

// skewedPaths builds a Zipf-skewed mix of search paths with a long tail of query combinations,
// like shared/tools/loadmix.
func skewedPaths(n int) []string {
	qs := devQueries()
	items := append([]string{}, qs...)
	for _, a := range qs {
		for _, b := range qs {
			if a != b && len(items) < 2000 {
				ra, rb := []rune(a), []rune(b)
				items = append(items, string(ra[:len(ra)/2])+string(rb[len(rb)/2:]))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(rng, 1.1, 1, uint64(len(items)-1))
	out := make([]string, n)
	for i := range out {
		out[i] = "/api/v1/search?limit=10&q=" + url.QueryEscape(items[z.Uint64()])
	}
	return out
}

// BenchmarkSearchHandler runs the full Fiber handler chain (middleware, search, JSON) in process
// on a skewed mix of queries, without the network: the server's own cost per search request.
func BenchmarkSearchHandler(b *testing.B) {
	e := newSearchEnv(b, dbtest.SQLite(b))
	benchGets(b, e.srv, skewedPaths(20000))
}

// BenchmarkGuideHandler is the same for GET /api/v1/guides/{code} over every seed guide.
func BenchmarkGuideHandler(b *testing.B) {
	e := newSearchEnv(b, dbtest.SQLite(b))
	var paths []string
	for _, g := range e.cs.PublishedGuides() {
		paths = append(paths, "/api/v1/guides/"+g.Code)
	}
	benchGets(b, e.srv, paths)
}

// BenchmarkHomeCached is GET /api/v1/me/home of a person whose home the cache holds, through
// the whole /me edge (request id, metrics, access log into a discarding sink, rate limits, the
// token check): what is left of a request when the store is not asked.
func BenchmarkHomeCached(b *testing.B) {
	e := newMeEnv(b, dbtest.SQLite(b), MeLimits{PerUser: ratelimit.Rate{Burst: 1e9, PerSecond: 1e9}, PerIP: ratelimit.Rate{Burst: 1e9, PerSecond: 1e9}})
	sink := logsink.New(io.Discard, 64<<10, 200*time.Millisecond)
	defer sink.Close()
	e.srv.AccessLog = sink
	e.srv.Auth = identity.CachedVerifier(e.srv.Auth, identity.VerifyCacheOptions{}) // as cmd/shebao wires it
	benchGets(b, e.srv, []string{"/api/v1/me/home"}, "Authorization", "Bearer "+e.tokens["alice"])
}

// benchGets GETs the paths in turn through srv's handler chain in process, each expected 200,
// with the headers (name, value pairs).
func benchGets(b *testing.B, srv *Server, paths []string, headers ...string) {
	benchRequests(b, srv, func(i int, r *fasthttp.Request) {
		r.SetRequestURI(paths[i%len(paths)])
		for j := 0; j+1 < len(headers); j += 2 {
			r.Header.Set(headers[j], headers[j+1])
		}
	})
}

// benchRequests sends GET request i, as set fills it, through srv's handler chain in process,
// each expected 200, and reports the process's CPU time per request.
func benchRequests(b *testing.B, srv *Server, set func(i int, r *fasthttp.Request)) {
	h := srv.App().Handler()
	var ctx fasthttp.RequestCtx
	// CPU time (user + system) of the process per request: on a machine shared with other
	// work, wall time per op measures the neighbours; this counts only what serving costs.
	cpu0, n := processCPU(), 0
	defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(max(n, 1)), "cpu-ns/op") }()
	for i := 0; b.Loop(); i++ {
		n++
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("GET")
		set(i, &ctx.Request)
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%s: %d %s", ctx.Request.URI().Path(), ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// processCPU is the user and system CPU time the process has used, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
