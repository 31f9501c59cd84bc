package search

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"shebao/content"
)

// The 10k-guide benchmark corpus is generated from the seed guides: every guide is copied into
// cities and variants with its aliases, summary and FAQ mixed with other guides', so that the
// vocabulary is real and the documents differ.
var (
	cities   = []string{"西安市", "宝鸡市", "咸阳市", "铜川市", "渭南市", "延安市", "榆林市", "汉中市", "安康市", "商洛市", "杨凌示范区", "韩城市", "神木市", "府谷县", "碑林区", "雁塔区", "未央区", "长安区", "临潼区", "高陵区"}
	variants = []string{"", "（线上办理）", "（窗口办理）", "（港澳台人员）", "（外籍人员）", "（退役军人）", "（困难群体）", "（试点）", "（2025年）", "（委托代办）"}
)

func genCorpus(seed []content.Guide, n int, r *rand.Rand) []content.Guide {
	out := make([]content.Guide, 0, n)
	for i := range n {
		g := seed[i%len(seed)]
		other := seed[r.IntN(len(seed))]
		city := cities[r.IntN(len(cities))]
		g.Code = fmt.Sprintf("B-%05d", i)
		g.Name = city + g.Name + variants[r.IntN(len(variants))]
		g.Region = city
		aliases := slices.Clone(g.Aliases)
		r.Shuffle(len(aliases), func(a, b int) { aliases[a], aliases[b] = aliases[b], aliases[a] })
		aliases = aliases[:max(1, len(aliases)*2/3)]
		if len(other.Aliases) > 0 {
			aliases = append(aliases, other.Aliases[r.IntN(len(other.Aliases))])
		}
		g.Aliases = aliases
		sentences := strings.Split(other.Summary, "，")
		g.Summary = city + "：" + g.Summary + sentences[r.IntN(len(sentences))] + "。"
		g.FAQ = append(slices.Clone(g.FAQ), other.FAQ...)
		r.Shuffle(len(g.FAQ), func(a, b int) { g.FAQ[a], g.FAQ[b] = g.FAQ[b], g.FAQ[a] })
		g.FAQ = g.FAQ[:min(len(g.FAQ), 4)]
		g.Related = nil
		out = append(out, g)
	}
	return out
}

// benchQueries is a mix of many different colloquial queries: the evaluation queries, and each
// with spoken frames, a city, or a particle added.
func benchQueries(tb testing.TB) []string {
	var base []string
	for _, file := range []string{devSet, "testdata/search_extra.tsv"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			q, _, _ := strings.Cut(sc.Text(), "\t")
			if q != "" && !strings.HasPrefix(q, "#") {
				base = append(base, q)
			}
		}
		f.Close()
	}
	if len(base) == 0 {
		tb.Skip("no evaluation queries")
	}
	out := slices.Clone(base)
	for i, q := range base {
		out = append(out, "请问"+q, "我想问一下"+q+"怎么办", cities[i%len(cities)][:6]+q, q+"啊", "那个"+q+"呢")
	}
	return out
}

var bench struct {
	once    sync.Once
	s       *Service
	dir     string
	guides  []content.Guide
	build   time.Duration
	size    int64
	rssMB   float64
	queries []string
	err     error
}

// benchService builds the 10k-guide index on disk once per process.
func benchService(b *testing.B) *Service {
	bench.once.Do(func() {
		gs, err := seed()
		if err != nil || len(gs) < 10 {
			bench.err = fmt.Errorf("seed corpus: %v (%d guides)", err, len(gs))
			return
		}
		bench.guides = genCorpus(gs, 10000, rand.New(rand.NewPCG(1, 2)))
		bench.dir, _ = os.MkdirTemp("", "search-bench-")
		s, err := Open(context.Background(), Options{Dir: bench.dir})
		if err != nil {
			bench.err = err
			return
		}
		start := time.Now()
		if err := s.Rebuild(context.Background(), bench.guides); err != nil {
			bench.err = err
			return
		}
		bench.build = time.Since(start)
		bench.size = dirSize(bench.dir)
		bench.rssMB = rssMB()
		bench.s = s
		bench.queries = benchQueries(b)
	})
	if bench.err != nil {
		b.Skip(bench.err)
	}
	return bench.s
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// rssMB returns the process's resident set after a GC, in MB.
func rssMB() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return -1
}

// threadCPU is the CPU time of the calling OS thread: on a shared machine wall time includes
// other processes' work, the thread's CPU time does not.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// latencies runs op b.N times over a Zipf-skewed choice of inputs and reports p50 and p99 of
// wall time and of the thread's CPU time.
func latencies(b *testing.B, inputs []string, op func(string)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewPCG(3, 4))
	z := rand.NewZipf(r, 1.2, 1, uint64(len(inputs)-1))
	order := make([]int, 4096)
	for i := range order {
		order[i] = int(z.Uint64())
	}
	// Shuffle which inputs are popular, so the head is not always the dev set's first lines.
	perm := r.Perm(len(inputs))
	ds := make([]time.Duration, 0, b.N)
	cs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := inputs[perm[order[i%len(order)]]]
		start, cpu := time.Now(), threadCPU()
		op(q)
		cs = append(cs, threadCPU()-cpu)
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(ds)
	slices.Sort(cs)
	if len(ds) > 0 {
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(cs[len(cs)/2].Microseconds()), "p50-cpu-µs")
		b.ReportMetric(float64(cs[len(cs)*99/100].Microseconds()), "p99-cpu-µs")
	}
}

func benchSearch(b *testing.B, cacheSize int) {
	s := benchService(b)
	s.cache = newResultCache(cacheSize)
	ctx := context.Background()
	latencies(b, bench.queries, func(q string) {
		if _, err := s.search(ctx, Request{Query: q, Limit: 10}, false); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(len(bench.queries)), "distinct-queries")
	if h, m := s.cache.hits.Load(), s.cache.misses.Load(); h+m > 0 {
		b.ReportMetric(100*float64(h)/float64(h+m), "cache-hit-%")
	}
}

// BenchmarkSearch10k: in-process search latency over the 10k-guide corpus with the result cache.
func BenchmarkSearch10k(b *testing.B) { benchSearch(b, 2048) }

// BenchmarkSearch10kNoCache: the same without the cache: every query analysed and run on bleve.
func BenchmarkSearch10kNoCache(b *testing.B) { benchSearch(b, -1) }

// BenchmarkSuggest10k: as-you-type prefixes (characters, full pinyin, initials) over the corpus.
func BenchmarkSuggest10k(b *testing.B) {
	s := benchService(b)
	var prefixes []string
	for _, g := range bench.guides[:200] {
		for _, t := range append([]string{g.Name}, g.Aliases...) {
			rs := []rune(strings.ReplaceAll(s.lx.normalize(t), " ", ""))
			full, initials := s.lx.pinyinKeys(string(rs))
			for _, n := range []int{1, 2, 3} {
				prefixes = append(prefixes, string(rs[:min(n, len(rs))]))
			}
			prefixes = append(prefixes, full[:min(4, len(full))], full[:min(8, len(full))], initials[:min(3, len(initials))])
		}
	}
	s.Suggest(context.Background(), "社", 8) // build the suggestion index
	ctx := context.Background()
	latencies(b, prefixes, func(q string) {
		if _, err := s.Suggest(ctx, q, 8); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBuild10k reports the build time, size and memory of the 10k-guide index.
func BenchmarkBuild10k(b *testing.B) {
	benchService(b)
	for b.Loop() {
	}
	b.ReportMetric(bench.build.Seconds(), "build-s")
	b.ReportMetric(float64(bench.size)/(1<<20), "index-MB")
	b.ReportMetric(bench.rssMB, "rss-MB")
	b.ReportMetric(float64(len(bench.guides)), "guides")
}

// TestDictionaryFootprint measures loading the analyzer's dictionaries in a fresh process:
//
//	SEARCH_FOOTPRINT=1 go test ./search -run TestDictionaryFootprint -v
func TestDictionaryFootprint(t *testing.T) {
	if os.Getenv("SEARCH_FOOTPRINT") == "" {
		t.Skip("set SEARCH_FOOTPRINT=1 (alone in its process: it measures RSS)")
	}
	before := rssMB()
	start := time.Now()
	lx, err := loadLexicon()
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	after := rssMB()
	runtime.KeepAlive(lx)
	t.Logf("dictionary: %d words (%d domain), load %v, RSS %.1f MB → %.1f MB (+%.1f MB)",
		lx.seg.Dict.NumTokens(), len(lx.domain), took.Round(time.Millisecond), before, after, after-before)
	gs, err := seed()
	if err != nil || len(gs) == 0 {
		t.Skip("no seed corpus")
	}
	start = time.Now()
	s, err := Open(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Rebuild(context.Background(), gs); err != nil {
		t.Fatal(err)
	}
	s.Search(context.Background(), Request{Query: "社保卡丢了"})
	s.Suggest(context.Background(), "sbk", 8)
	t.Logf("service over the seed (%d guides): open+rebuild+first search %v, RSS %.1f MB",
		len(gs), time.Since(start).Round(time.Millisecond), rssMB())
}

// BenchmarkSearchSeedNoCache: the same query mix on the seed corpus (the size the product runs
// at today), without the cache.
func BenchmarkSearchSeedNoCache(b *testing.B) {
	gs, err := seed()
	if err != nil || len(gs) < 10 {
		b.Skip("no seed corpus")
	}
	s, err := Open(context.Background(), Options{CacheSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Rebuild(context.Background(), gs); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	latencies(b, benchQueries(b), func(q string) {
		if _, err := s.search(ctx, Request{Query: q, Limit: 10}, false); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkQuality10k reports recall@1, recall@3 and MRR of the evaluation queries (dev and
// extra sets) over the 10k-guide corpus, where each seed guide has ~150 near-copies in other
// cities: a hit is any copy whose title has a keyword. It measures what the large-corpus
// shortcuts (candidate budget, pruned dense words, 20 reranked candidates) cost in quality.
func BenchmarkQuality10k(b *testing.B) {
	s := benchService(b)
	var qs []EvalQuery
	for _, file := range []string{devSet, "testdata/search_extra.tsv"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		more, err := ReadEvalQueries(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		qs = append(qs, more...)
	}
	if len(qs) == 0 {
		b.Skip("no evaluation queries")
	}
	ctx := context.Background()
	var sc EvalScores
	for b.Loop() {
		sc, _ = scoreQueries("ours", qs, func(q string) ([]string, error) {
			resp, err := s.search(ctx, Request{Query: q, Limit: 10}, false)
			if err != nil {
				return nil, err
			}
			var titles []string
			for _, r := range resp.Results {
				titles = append(titles, r.Title)
			}
			return titles, nil
		})
	}
	b.ReportMetric(sc.Recall1, "recall@1")
	b.ReportMetric(sc.Recall3, "recall@3")
	b.ReportMetric(sc.MRR, "MRR")
	b.ReportMetric(float64(len(qs)), "queries")
}
