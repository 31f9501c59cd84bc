package bff

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"shebao/internal/dbtest"
)

// FuzzSearchHandler sends arbitrary query strings through the whole HTTP handler chain: every
// answer is 200 or a 400 in the error model, never a panic or a 500, and none takes over 50 ms
// three times running (the machine is shared).
func FuzzSearchHandler(f *testing.F) {
	for _, s := range []string{"社保卡挂矢了", "shebaoka guashi", "sbk", `+-:^*?~"()`, "\u200b\u202e退休", "110101199003074514", "%%%", "a&limit=0"} {
		f.Add(s)
	}
	h := newSearchEnv(f, dbtest.SQLite(f)).srv.App().Handler()
	f.Fuzz(func(t *testing.T, q string) {
		uri := "/api/v1/search?q=" + url.QueryEscape(q)
		slow := 0
		for try := 0; try < 3; try++ {
			var ctx fasthttp.RequestCtx
			ctx.Request.SetRequestURI(uri)
			ctx.Request.Header.SetMethod("GET")
			start := time.Now()
			h(&ctx)
			if time.Since(start) > 50*time.Millisecond {
				slow++
			}
			status := ctx.Response.StatusCode()
			if status != 200 && status != 400 {
				t.Fatalf("%q: status %d: %s", q, status, ctx.Response.Body())
			}
			if !json.Valid(ctx.Response.Body()) {
				t.Fatalf("%q: body is not JSON: %s", q, ctx.Response.Body())
			}
			if slow == try {
				break
			}
		}
		if slow == 3 {
			t.Errorf("%q: slower than 50 ms three times", q)
		}
	})
}
