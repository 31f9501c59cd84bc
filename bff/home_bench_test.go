package bff

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/homebench"
	"shebao/internal/identity"
	"shebao/internal/logsink"
	"shebao/internal/ratelimit"
	"shebao/notify"
)

// Size of BenchmarkHomeMiss's store: a few thousand people with about ten applications each.
const (
	missPeople = 3000
	missApps   = 30000
)

// BenchmarkHomeMiss is GET /api/v1/me/home of a person whose home the cache does not hold (a
// cache of one entry, people drawn at random from a store filled by internal/homebench, as
// bench/megen fills the HTTP benchmark's), through the whole /me edge with the unread notices
// counted by notify: what a miss costs. The token check is cached (as cmd/shebao wires it)
// and warmed, so cpu-ns/op is the store reads and the encoding, not Ed25519. On PostgreSQL
// pg-cpu-ns/op is the CPU the server's backends serving this process spent per request.
func BenchmarkHomeMiss(b *testing.B) {
	dbtest.EachBench(b, func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		e := newMeEnv(b, d, MeLimits{PerUser: ratelimit.Rate{Burst: 1e9, PerSecond: 1e9}, PerIP: ratelimit.Rate{Burst: 1e9, PerSecond: 1e9}})
		if err := homebench.Fill(ctx, d, missPeople, missApps, nil); err != nil {
			b.Fatal(err)
		}
		ns := must(notify.Open(ctx, notify.Options{DB: d, Queue: e.jobs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		sink := logsink.New(io.Discard, 64<<10, 200*time.Millisecond)
		defer sink.Close()
		keys := must(identity.OpenKeyring(b.TempDir()))
		e.srv.AccessLog, e.srv.Unread, e.srv.Home = sink, ns, NewHomeCache(HomeCacheOptions{Size: 1})
		e.srv.Auth = identity.CachedVerifier(keys.Verifier(), identity.VerifyCacheOptions{})
		auth := make([]string, missPeople)
		for i := range auth {
			auth[i] = "Bearer " + must(keys.Mint(homebench.Subject(i), "", []identity.Role{identity.RoleUser}, time.Hour))
		}
		rng := rand.New(rand.NewPCG(3, 4))
		order := make([]int, 1<<16)
		for i := range order {
			order[i] = rng.IntN(missPeople)
		}
		set := func(i int, r *fasthttp.Request) {
			r.SetRequestURI("/api/v1/me/home")
			r.Header.Set("Authorization", auth[order[i%len(order)]])
		}
		// Warm: every token verified once, every statement prepared, the popularity lists read.
		h := e.srv.App().Handler()
		for i := range missPeople {
			var c fasthttp.RequestCtx
			c.Request.Header.SetMethod("GET")
			c.Request.SetRequestURI("/api/v1/me/home")
			c.Request.Header.Set("Authorization", auth[i])
			if h(&c); c.Response.StatusCode() != 200 {
				b.Fatalf("warm-up: %d %s", c.Response.StatusCode(), c.Response.Body())
			}
		}
		if pg := pgBackends(b, d); pg != nil {
			defer func() { b.ReportMetric(float64(pg.cpu())/float64(b.N), "pg-cpu-ns/op") }()
		}
		benchRequests(b, e.srv, set)
	})
}

// pgCPU measures the CPU time of the PostgreSQL backends serving d's pooled connections; the
// server must run on this machine (its /proc readable).
type pgCPU struct {
	d    *db.DB
	at0  map[int]int64 // backend pid → CPU ns when first seen
	tick int64         // ns per clock tick
}

// pgBackends notes the backends d's pool uses now (a sequential benchmark reuses them); nil on
// SQLite, or when the server's processes cannot be read (a server on another machine).
func pgBackends(b *testing.B, d *db.DB) *pgCPU {
	if d.Dialect != db.Postgres {
		return nil
	}
	p := &pgCPU{d: d, at0: map[int]int64{}, tick: int64(time.Second) / 100}
	for _, pid := range p.pids() {
		t, ok := procCPU(pid)
		if !ok {
			b.Logf("PostgreSQL backend %d not readable: no pg-cpu-ns/op", pid)
			return nil
		}
		p.at0[pid] = t * p.tick
	}
	return p
}

// pids are the backends that answer pg_backend_pid() on d's idle connections.
func (p *pgCPU) pids() []int {
	seen := map[int]bool{}
	var out []int
	for range 20 {
		var pid int
		if p.d.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid) == nil && !seen[pid] {
			seen[pid] = true
			out = append(out, pid)
		}
	}
	return out
}

// cpu is the backends' CPU since pgBackends (a backend first seen now counts whole).
func (p *pgCPU) cpu() int64 {
	var sum int64
	for _, pid := range p.pids() {
		t, _ := procCPU(pid)
		sum += t*p.tick - p.at0[pid]
	}
	return sum
}

// procCPU is utime + stime of process pid, in clock ticks, if /proc shows it.
func procCPU(pid int) (int64, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, true
}

// BenchmarkHomeCacheMemory reports the heap a full HomeCache holds per person (heap-B/entry):
// DefaultHomeCacheSize entries, each a 3,000-byte body (a home screen of the megen store is
// 2.2–3.8 KB) with its ETag, keyed by a subject of megen's length.
func BenchmarkHomeCacheMemory(b *testing.B) {
	var per float64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		h := NewHomeCache(HomeCacheOptions{})
		for i := range DefaultHomeCacheSize {
			s := homebench.Subject(i)
			h.put(s, "", "2026-12-07", h.start(), make([]byte, 3000), `"0ca50cd8b8011dda03beecb2"`)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		per = float64(m1.HeapAlloc-m0.HeapAlloc) / DefaultHomeCacheSize
		runtime.KeepAlive(h)
	}
	b.ReportMetric(per, "heap-B/entry")
}
