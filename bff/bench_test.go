package bff

import (
	"bufio"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"shebao/internal/dbtest"
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

// benchGets GETs the paths in turn through srv's handler chain in process, each expected 200.
func benchGets(b *testing.B, srv *Server, paths []string) {
	h := srv.App().Handler()
	var ctx fasthttp.RequestCtx
	for i := 0; b.Loop(); i++ {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI(paths[i%len(paths)])
		ctx.Request.Header.SetMethod("GET")
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%s: %d %s", paths[i%len(paths)], ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
