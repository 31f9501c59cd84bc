package assistant

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gorilla/websocket"

	"shebao/bff"
	"shebao/content"
	"shebao/internal/ratelimit"
)

// benchLimits lifts the per-user message limit so that one client can measure latency.
func benchLimits(o *Options) {
	o.Limits.User = ratelimit.Rate{Burst: 1 << 20, PerSecond: 1 << 20}
	o.Limits.IP = ratelimit.Rate{Burst: 1 << 20, PerSecond: 1 << 20}
	o.Limits.FramesPerConn = ratelimit.Rate{Burst: 1 << 20, PerSecond: 1 << 20}
	o.Log = nil // slog.Default: the benchmark measures work, not a test buffer
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func reportLatency(b *testing.B, ds []time.Duration) {
	b.ReportMetric(float64(percentile(ds, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(ds, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // the percentiles are the figures
}

// BenchmarkTimeToFirstDelta measures, over a WebSocket, the time from sending a message to the
// first delta, against a fake model that streams its answer at once.
// BenchmarkModelDirectFirstChunk is the same model called directly: the difference is the
// server's overhead.
func BenchmarkTimeToFirstDelta(b *testing.B) {
	f := newFakeModel(b)
	f.answer = toolArgs(materialsAnswerCited)
	s, _ := testService(b, func(o *Options) { benchLimits(o); o.Model = f.config() })
	slogQuiet(s)
	srv := newTestHTTPServer(b, s)
	c := dial(b, wsURL(srv), nil)
	c.hello(nil)
	ds := make([]time.Duration, 0, b.N)
	var overhead []time.Duration // ttfd minus the model's own time (request in → first piece out)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		turnFirstDelta(c, "b"+strconv.Itoa(i), "养老金认证要带什么材料", func() {
			ttfd := time.Since(start)
			ds = append(ds, ttfd)
			f.mu.Lock()
			model := f.firstArg[i].Sub(f.arrived[i])
			f.mu.Unlock()
			overhead = append(overhead, ttfd-model)
		})
	}
	b.StopTimer()
	reportLatency(b, ds)
	b.ReportMetric(float64(percentile(overhead, 0.5).Microseconds())/1000, "overhead-p50-ms")
	b.ReportMetric(float64(percentile(overhead, 0.99).Microseconds())/1000, "overhead-p99-ms")
}

// turnFirstDelta sends one question over c and reads the turn to its answer, calling atFirst
// when the first delta arrives.
func turnFirstDelta(c *wsClient, id, text string, atFirst func()) {
	c.send(map[string]any{"type": "message", "id": id, "text": text})
	first := true
	for {
		ev := c.next()
		if ev.Type == EventDelta && first {
			atFirst()
			first = false
		}
		if ev.Type == EventAnswer {
			return
		}
	}
}

func BenchmarkModelDirectFirstChunk(b *testing.B) {
	f := newFakeModel(b)
	f.answer = toolArgs(materialsAnswerCited)
	m, err := newModelClient(*f.config(), slogDiscard())
	if err != nil {
		b.Fatal(err)
	}
	g := testGuides(b)
	gp := newGuidePassages(&g[0])
	msgs, _ := m.prompts.buildMessages("养老金认证要带什么材料", modelPassages(newQuestion("养老金认证要带什么材料"), []*guidePassages{gp}, []Element{ElemMaterials}), false)
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		got := false
		_, err := m.stream(context.Background(), msgs, m.prompts.tool, func(string) {
			if !got {
				ds = append(ds, time.Since(start))
				got = true
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkNoModelAnswer measures a whole no-model turn: in process (Answer) and over a
// WebSocket (message to answer event), database writes included.
func BenchmarkNoModelAnswer(b *testing.B) {
	questions := []string{"养老金认证要带什么材料", "社保卡丢了怎么办", "异地就医备案要多久", "我的医保卡余额还有多少",
		"七零年一月出生的男的啥时候退休", "失业金能领多久", "明天天气怎么样", "补办社保卡要多少钱"}
	b.Run("in-process", func(b *testing.B) {
		s, _ := testService(b, benchLimits)
		slogQuiet(s)
		benchAnswers(b, s, questions)
	})
	b.Run("websocket", func(b *testing.B) {
		s, _ := testService(b, benchLimits)
		slogQuiet(s)
		srv := newTestHTTPServer(b, s)
		c := dial(b, wsURL(srv), nil)
		c.hello(nil)
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			c.send(map[string]any{"type": "message", "id": "n" + strconv.Itoa(i), "text": questions[i%len(questions)]})
			c.until(EventAnswer)
			ds = append(ds, time.Since(start))
		}
		b.StopTimer()
		reportLatency(b, ds)
	})
}

// BenchmarkSentenceBufferDelay measures what buffering to sentence ends adds to the first
// delta: a fake model writes its answer at 3 characters per millisecond (about the speed of a
// fast model), and the benchmark reports the time from the model's first piece to the first
// delta (buffer-delay), against the time the model takes to write the first sentence
// (sentence-ms). The guarantee costs one sentence plus one piece, never more.
func BenchmarkSentenceBufferDelay(b *testing.B) {
	f := newFakeModel(b)
	f.answer = toolArgs(materialsAnswerCited)
	f.delay = time.Millisecond
	s, _ := testService(b, func(o *Options) { benchLimits(o); o.Model = f.config() })
	slogQuiet(s)
	srv := newTestHTTPServer(b, s)
	c := dial(b, wsURL(srv), nil)
	c.hello(nil)
	// pieces the model writes up to the end of the first sentence (its citation included)
	args := []rune(toolArgs(materialsAnswerCited))
	end := strings.Index(string(args), "]]。") // the citation placeholder is resolved to [Pn]
	sentencePieces := (len([]rune(string(args)[:end])) + f.chunkRunes - 1) / f.chunkRunes
	var delays []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		turnFirstDelta(c, "d"+strconv.Itoa(i), "养老金认证要带什么材料", func() {
			at := time.Now()
			f.mu.Lock()
			delays = append(delays, at.Sub(f.firstArg[i]))
			f.mu.Unlock()
		})
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(delays, 0.5).Microseconds())/1000, "buffer-delay-p50-ms")
	b.ReportMetric(float64(percentile(delays, 0.99).Microseconds())/1000, "buffer-delay-p99-ms")
	b.ReportMetric(float64(sentencePieces)*float64(f.delay.Microseconds())/1000, "sentence-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkNoModelAnswerSeed is a no-model turn over the 67 seed guides with factual questions:
// the passage ranking of five guides included.
func BenchmarkNoModelAnswerSeed(b *testing.B) {
	questions := []string{"失业金一个月多少钱", "居民医保一年交多少钱", "生育津贴能领多少天", "我交了8年失业保险，失业金能领多久",
		"失业金能领多久，一个月多少钱", "社保卡丢了怎么办", "后年退休金会涨多少", "异地就医备案要多长时间能办好",
		"工伤认定要交哪些材料", "你们社保中心主任叫什么"}
	gs, err := content.LoadSeed(content.SeedFS())
	if err != nil {
		b.Fatal(err)
	}
	corpus := NewCorpus(gs)
	s, _ := testService(b, func(o *Options) { benchLimits(o); o.Retriever, o.Guides = corpus, corpus })
	slogQuiet(s)
	benchAnswers(b, s, questions)
}

// benchAnswers answers the questions in turn, in process, and reports the latency percentiles.
func benchAnswers(b *testing.B, s *Service, questions []string) {
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := s.Answer(context.Background(), "", questions[i%len(questions)]); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, ds)
}

func slogQuiet(s *Service) { s.log = slogDiscard() }

// The connection benchmarks run the server in a child process (this test binary started with
// SHEBAO_ASSISTANT_BENCH_SERVER set), so that its RSS counts only the server's side and each
// process stays under the file descriptor limit.

const benchServerEnv = "SHEBAO_ASSISTANT_BENCH_SERVER"

// TestBenchServer is the child process; it does nothing in a normal test run.
func TestBenchServer(t *testing.T) {
	mode := os.Getenv(benchServerEnv)
	if mode == "" {
		t.Skip("only runs as the benchmark's server process")
	}
	dir, _ := os.MkdirTemp("", "assistant-bench")
	defer os.RemoveAll(dir)
	corpus := NewCorpus(testGuides(t))
	d := sqliteDBAt(t, filepath.Join(dir, "bench.db"))
	s, err := New(context.Background(), Options{DB: d, Retriever: corpus, Guides: corpus, Log: slogDiscard(),
		// Every bench connection comes from 127.0.0.1 and is anonymous.
		Limits: Limits{PingInterval: 10 * time.Minute, IdleTimeout: time.Hour, HelloTimeout: time.Minute, ConnsPerIP: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	control := http.NewServeMux()
	control.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n := s.Broadcast(r.URL.Query().Get("text"))
		fmt.Fprintf(w, "%d %d", n, time.Since(start).Nanoseconds())
	})
	control.HandleFunc("/gc", func(w http.ResponseWriter, r *http.Request) {
		// A few collections, as a long-running server has had: each one halves the stacks of
		// goroutines that use little of theirs (the readers grew theirs during hello).
		for i := 0; i < 10; i++ {
			runtime.GC()
		}
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(w, "%d %d %d", ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine())
	})
	var prof *os.File
	control.HandleFunc("/profile/start", func(w http.ResponseWriter, r *http.Request) {
		prof, _ = os.Create(r.URL.Query().Get("file"))
		_ = pprof.StartCPUProfile(prof)
	})
	control.HandleFunc("/profile/stop", func(w http.ResponseWriter, r *http.Request) {
		pprof.StopCPUProfile()
		prof.Close()
	})
	control.HandleFunc("/heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	cl, _ := net.Listen("tcp", "127.0.0.1:0")
	switch mode {
	case "raw":
		// The floor of a fan-out on this machine: the notice, framed once, written to plain TCP
		// connections by one loop, with no WebSocket library, session or queue in the way.
		var mu sync.Mutex
		var raw []net.Conn
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				raw = append(raw, c)
				mu.Unlock()
			}
		}()
		control = http.NewServeMux()
		control.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) {
			body, _ := json.Marshal(map[string]any{"type": EventNotice, "seq": 0, "text": r.URL.Query().Get("text")})
			frame := append([]byte{0x81, byte(len(body))}, body...) // FIN + text, length < 126
			start := time.Now()
			mu.Lock()
			n := 0
			for _, c := range raw {
				if _, err := c.Write(frame); err == nil {
					n++
				}
			}
			mu.Unlock()
			fmt.Fprintf(w, "%d %d", n, time.Since(start).Nanoseconds())
		})
	case "edge":
		// The path `serve` takes: net/http behind the edge's request ids, access log and metrics.
		edge := bff.New(bff.Deps{Chat: s.Handler(), Log: slogDiscard(), AccessLog: io.Discard})
		go http.Serve(edge.ChatListener(ln), edge.ChatHandler())
	case "fiber":
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Get("/chat", adaptor.HTTPHandler(s.Handler()))
		go app.Listener(ln)
	default:
		go http.Serve(ln, s.Handler())
	}
	go http.Serve(cl, control)
	fmt.Printf("BENCH %s %s\n", ln.Addr(), cl.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent goes away
}

type benchChild struct {
	cmd            *exec.Cmd
	addr, ctl      string
	stdin          io.WriteCloser
	path           string
	receivedNotice atomic.Int64
}

func startBenchServer(b *testing.B, mode string) *benchChild {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServer$", "-test.v")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+mode)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	c := &benchChild{cmd: cmd, stdin: stdin, path: "/"}
	switch mode {
	case "fiber":
		c.path = "/chat"
	case "edge":
		c.path = "/api/v1/chat"
	}
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "BENCH" {
			c.addr, c.ctl = f[1], f[2]
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if c.addr == "" {
		b.Fatal("bench server did not start")
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	return c
}

func (c *benchChild) rss(b *testing.B) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (c *benchChild) get(b *testing.B, path string) string {
	resp, err := http.Get("http://" + c.ctl + path)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// open opens n connections that send hello and wait for ready. With readers, each connection
// then counts the notices it receives.
func (c *benchChild) open(b *testing.B, n int, readers bool, got *receipts) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 512}
			ws, _, err := d.Dial("ws://"+c.addr+c.path, nil)
			if err != nil {
				failed.Add(1)
				return
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`))
			if _, _, err := ws.ReadMessage(); err != nil {
				failed.Add(1)
				return
			}
			conns[i] = ws
			if readers {
				go func() {
					for {
						_, data, err := ws.ReadMessage()
						if err != nil {
							return
						}
						if strings.HasPrefix(string(data), `{"type":"notice"`) {
							got.record()
						}
					}
				}()
			}
		}(i)
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d connections failed", n)
	}
	return conns
}

func benchConns() int {
	if n, err := strconv.Atoi(os.Getenv("SHEBAO_BENCH_CONNS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// BenchmarkIdleConnections reports the server's RSS per idle chat connection (hello done,
// session open) on a plain net/http server and through Fiber's adaptor, and how many such
// connections fit in 1 GiB. Run with -benchtime=1x.
func BenchmarkIdleConnections(b *testing.B) {
	for _, mode := range []string{"nethttp", "edge", "fiber"} {
		b.Run(mode, func(b *testing.B) {
			n := benchConns()
			for i := 0; i < b.N; i++ {
				child := startBenchServer(b, mode)
				warm := child.open(b, 10, false, nil)
				child.get(b, "/gc")
				time.Sleep(500 * time.Millisecond)
				before := child.rss(b)
				conns := child.open(b, n, false, nil)
				time.Sleep(2 * time.Second)
				stats := child.get(b, "/gc")
				time.Sleep(500 * time.Millisecond)
				after := child.rss(b)
				if p := os.Getenv("SHEBAO_BENCH_HEAP"); p != "" {
					_ = os.WriteFile(p+"."+mode, []byte(child.get(b, "/heap")), 0o644)
				}
				per := float64(after-before) / float64(n)
				b.ReportMetric(per, "bytes/conn")
				b.ReportMetric(float64(1<<30)/per, "conns/GiB")
				b.Logf("%s: %d connections, RSS %d → %d MiB; heap/stack/goroutines after GC: %s", mode, n, before>>20, after>>20, stats)
				for _, c := range append(conns, warm...) {
					c.Close()
				}
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkFanout reports the time from Broadcast to the last of N connections (10k by
// default) receiving the event, and how long Broadcast itself (queueing) took. Run with
// -benchtime=1x; each run broadcasts five times and reports the worst.
func BenchmarkFanout(b *testing.B) {
	n := benchConns()
	for i := 0; i < b.N; i++ {
		child := startBenchServer(b, "nethttp")
		got := &receipts{}
		conns := child.open(b, n, true, got)
		time.Sleep(time.Second)
		if p := os.Getenv("SHEBAO_BENCH_CPUPROFILE"); p != "" {
			child.get(b, "/profile/start?file="+p)
		}
		all, worstQueue := fanoutRounds(b, child, n, got)
		if os.Getenv("SHEBAO_BENCH_CPUPROFILE") != "" {
			child.get(b, "/profile/stop")
		}
		for _, c := range conns {
			c.Close()
		}
		// The reference in the same run: the same notice to as many plain TCP connections.
		raw := startBenchServer(b, "raw")
		rawGot := &receipts{}
		rawConns := raw.openRaw(b, n, rawGot)
		time.Sleep(time.Second)
		floor, _ := fanoutRounds(b, raw, n, rawGot)
		for _, c := range rawConns {
			c.Close()
		}
		median, floorMedian := percentile(all, 0.5), percentile(floor, 0.5)
		b.ReportMetric(float64(slices.Max(all).Microseconds())/1000, "worst-ms")
		b.ReportMetric(float64(median.Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(worstQueue.Microseconds())/1000, "broadcast-call-ms")
		b.ReportMetric(float64(floorMedian.Microseconds())/1000, "raw-tcp-median-ms")
		b.ReportMetric(float64(median)/float64(floorMedian), "x-raw-tcp")
		b.Logf("fan-out to %d: rounds %v; raw TCP rounds %v", n, all, floor)
	}
	b.ReportMetric(0, "ns/op")
}

// fanoutRounds broadcasts five times and returns, per round, the time from the broadcast
// request to the last connection's receipt, and the longest broadcast call.
func fanoutRounds(b *testing.B, child *benchChild, n int, got *receipts) ([]time.Duration, time.Duration) {
	var all []time.Duration
	var worstQueue time.Duration
	for round := 0; round < 5; round++ {
		got.reset(n)
		start := time.Now()
		resp := child.get(b, "/broadcast?text=%E7%B3%BB%E7%BB%9F%E5%B0%86%E4%BA%8E%E4%BB%8A%E6%99%9A%E7%BB%B4%E6%8A%A4")
		var sent int
		var queueNS int64
		fmt.Sscanf(resp, "%d %d", &sent, &queueNS)
		if sent != n {
			b.Fatalf("broadcast reached %d of %d", sent, n)
		}
		select {
		case <-got.done:
		case <-time.After(10 * time.Second):
			b.Fatalf("round %d: only %d of %d received", round, got.count.Load(), n)
		}
		all = append(all, time.Unix(0, got.last.Load()).Sub(start))
		worstQueue = max(worstQueue, time.Duration(queueNS))
		time.Sleep(200 * time.Millisecond)
	}
	return all, worstQueue
}

// receipts records when each of the load client's connections got the notice, with an atomic
// add and max, so that the client costs as little as possible on the CPUs it shares with the
// server (a channel send from 10 000 goroutines contended on the channel's lock).
type receipts struct {
	count, want, last atomic.Int64
	done              chan struct{}
}

func (r *receipts) reset(n int) {
	r.count.Store(0)
	r.last.Store(0)
	r.want.Store(int64(n))
	r.done = make(chan struct{})
}

func (r *receipts) record() {
	now := time.Now().UnixNano()
	for {
		l := r.last.Load()
		if now <= l || r.last.CompareAndSwap(l, now) {
			break
		}
	}
	if r.count.Add(1) == r.want.Load() {
		close(r.done)
	}
}

// openRaw opens n plain TCP connections to a "raw" bench server; each reports when a frame
// arrives.
func (c *benchChild) openRaw(b *testing.B, n int, got *receipts) []net.Conn {
	conns := make([]net.Conn, 0, n)
	for range n {
		nc, err := net.Dial("tcp", c.addr)
		if err != nil {
			b.Fatalf("dial raw: %v", err)
		}
		conns = append(conns, nc)
		go func() {
			buf := make([]byte, 512)
			for {
				if _, err := nc.Read(buf); err != nil {
					return
				}
				got.record()
			}
		}()
	}
	return conns
}

// BenchmarkPassageRanking is the work the passage answer adds to a turn: reading the question,
// ranking the passages of five seed guides and planning the answer (passages cached).
func BenchmarkPassageRanking(b *testing.B) {
	gs, err := content.LoadSeed(content.SeedFS())
	if err != nil {
		b.Fatal(err)
	}
	corpus := NewCorpus(gs)
	questions := []string{"失业金一个月多少钱", "我交了8年失业保险，失业金能领多久", "失业金能领多久，一个月多少钱",
		"异地就医备案要多长时间能办好", "后年退休金会涨多少", "工伤认定要交哪些材料"}
	var cache passageCache
	type prepared struct {
		q   string
		gps []*guidePassages
	}
	var ps []prepared
	for _, q := range questions {
		hits, _ := corpus.Retrieve(context.Background(), q, retrieveGuides)
		var gps []*guidePassages
		for _, h := range hits {
			g, _ := corpus.Guide(context.Background(), h.Code)
			gps = append(gps, cache.get(&g))
		}
		ps = append(ps, prepared{q, gps})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := ps[i%len(ps)]
		q := newQuestion(p.q)
		q.weigh(p.gps)
		_ = planAnswer(q, p.gps, false)
	}
}
