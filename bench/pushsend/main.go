// Command pushsend measures the Web Push send path against its cryptographic floor, with the
// push service in another process, as a real one is (BENCHMARKS.md, issue #21):
//
//	pushsend serve                  # the fake push service (notify/pushtest): prints its URLs
//	                                # (plain HTTP/1.1; TLS with HTTP/2; TLS with HTTP/1.1 only)
//	                                # and its certificate (base64 DER), a line each
//	pushsend send --url URL [--tls-url URL --tls-h1-url URL --cert B64] [...]
//	                                # the sender: floor and sends, alternated, in one run
//
// bench/push_send.sh runs both, each pinned to its own core (taskset) with GOMAXPROCS=1, so
// that the sender's throughput is what one core of ours does, and the floor is measured on the
// same core in the same run. Every send goes to a different subscription (its own P-256 key and
// auth secret), as in a campaign.
package main

import (
	"bufio"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"shebao/notify"
	"shebao/notify/pushtest"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		serve()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "send" {
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	u := flag.String("url", "", "the fake push service over plain HTTP/1.1 (pushsend serve)")
	tu := flag.String("tls-url", "", "the fake push service over TLS, offering HTTP/2")
	t1 := flag.String("tls-h1-url", "", "the fake push service over TLS, offering HTTP/1.1 only")
	cert := flag.String("cert", "", "the TLS services' certificate, base64 DER")
	n := flag.Int("n", 4000, "messages per measure")
	rounds := flag.Int("rounds", 3, "rounds, each measuring every path once")
	subs := flag.Int("subs", 1000, "distinct subscriptions")
	only := flag.String("only", "", "measure only the paths whose name contains this")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the measured rounds here")
	flag.Parse()
	if *u == "" {
		fmt.Fprintln(os.Stderr, "pushsend: --url is required")
		os.Exit(2)
	}
	if err := run(bases{*u, *tu, *t1, *cert}, *n, *rounds, *subs, *only, *prof); err != nil {
		fmt.Fprintln(os.Stderr, "pushsend:", err)
		os.Exit(1)
	}
}

// serve runs the fake push service until SIGTERM: no VAPID check and no decryption (the
// sender is measured, not the service), nothing kept but the count.
func serve() {
	ss := []*pushtest.Server{pushtest.New(), pushtest.NewTLS(), pushtest.NewTLS("http/1.1")}
	for _, s := range ss {
		s.Verify.Store(false)
		s.CountOnly.Store(true)
		fmt.Println(s.URL)
	}
	fmt.Println(base64.StdEncoding.EncodeToString(ss[1].Certificate().Raw))
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, os.Interrupt)
	<-c
	var n int64
	for _, s := range ss {
		n += s.Received()
		s.Close()
	}
	fmt.Fprintf(os.Stderr, "pushsend serve: %d pushes received\n", n)
}

// bases are the fake push service's URLs and certificate (pushsend serve).
type bases struct{ plain, tls, tlsH1, cert string }

type fixture struct {
	wp                   *notify.WebPush // through net/http
	lean                 *notify.WebPush // through the channel's own client (what the service uses)
	addrs                []notify.Address
	tlsAddrs, tlsH1Addrs []notify.Address // the same subscriptions at the TLS services
	pubs                 []*ecdh.PublicKey
	auths                [][]byte
	p                    notify.Payload
	payload              []byte
	vapid                struct{ pub, priv string }
}

func newFixture(b bases, subs int) (*fixture, error) {
	base := b.plain
	pu, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	f := &fixture{}
	hosts := []string{pu.Host}
	var roots *x509.CertPool
	if b.tls != "" {
		der, err := base64.StdEncoding.DecodeString(b.cert)
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		roots = x509.NewCertPool()
		roots.AddCert(c)
		for _, u := range []string{b.tls, b.tlsH1} {
			tu, err := url.Parse(u)
			if err != nil {
				return nil, err
			}
			hosts = append(hosts, tu.Host)
		}
	}
	vk, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	f.vapid.priv = base64.RawURLEncoding.EncodeToString(vk.Bytes())
	f.vapid.pub = base64.RawURLEncoding.EncodeToString(vk.PublicKey().Bytes())
	for i := range subs {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		auth := make([]byte, 16)
		rand.Read(auth)
		f.pubs, f.auths = append(f.pubs, k.PublicKey()), append(f.auths, auth)
		at := func(base string) notify.Address {
			return notify.Address{VAPIDPublic: f.vapid.pub, VAPIDPrivate: f.vapid.priv, Subscription: notify.Subscription{
				ID: int64(i + 1), Endpoint: base + fmt.Sprintf("/push/bench%06d", i),
				P256dh: base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), Auth: base64.RawURLEncoding.EncodeToString(auth)}}
		}
		f.addrs = append(f.addrs, at(base))
		if b.tls != "" {
			f.tlsAddrs, f.tlsH1Addrs = append(f.tlsAddrs, at(b.tls)), append(f.tlsH1Addrs, at(b.tlsH1))
		}
	}
	// The payload a certification campaign sends (notify.Service.payload's fields).
	f.p = notify.Payload{Title: "请完成养老金领取资格认证", Body: "您的养老金领取资格认证将于30天内到期，请在App内完成刷脸认证。",
		URL: "https://app.shebao.gov.cn/app/#/services/certification", Tag: "campaign:12:p0000001", Urgency: "normal",
		Unsubscribe: "https://app.shebao.gov.cn/api/v1/push/unsubscribe?t=" + strings.Repeat("x", 86), TTL: 7 * 24 * time.Hour, Topic: "certification"}
	f.payload, _ = json.Marshal(f.p)
	policy := &notify.EndpointPolicy{InsecureTestHosts: hosts, TestRoots: roots}
	f.wp = &notify.WebPush{Client: policy.Client(10*time.Second, 16), Subject: "mailto:ops@shebao.gov.cn"}
	f.lean = notify.NewWebPush(policy, "mailto:ops@shebao.gov.cn", 10*time.Second, 16)
	return f, nil
}

// floor is the cryptographic floor of the i-th message (pushtest.CryptoFloor): the standard
// library alone, none of our code.
func (f *fixture) floor(i int) {
	pushtest.CryptoFloor(f.pubs[i%len(f.pubs)], f.auths[i%len(f.auths)], f.payload)
}

// cpu is the CPU time this process has used.
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocs is how many heap allocations this process has made.
func allocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// lastAllocs is the allocations a message of the last measure made.
var lastAllocs float64

// measure runs do(i) for i in [0, n) on conc goroutines and returns messages a second and this
// process's CPU time a message (and sets lastAllocs).
func measure(name string, n, conc int, do func(i int) error) (float64, time.Duration, error) {
	var next atomic.Int64 // the next message to send
	var failed atomic.Value
	var wg sync.WaitGroup
	a0 := allocs()
	t0, c0 := time.Now(), cpu()
	for range conc {
		wg.Add(1)
		go pprof.Do(context.Background(), pprof.Labels("path", name), func(context.Context) { // a profile tells the paths apart
			defer wg.Done()
			for k := int(next.Add(1) - 1); k < n; k = int(next.Add(1) - 1) {
				if err := do(k); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	ferr, _ := failed.Load().(error)
	rate, c := float64(n)/time.Since(t0).Seconds(), (cpu()-c0)/time.Duration(n)
	lastAllocs = float64(allocs()-a0) / float64(n)
	return rate, c, ferr
}

func run(b bases, n, rounds, subs int, only, prof string) error {
	f, err := newFixture(b, subs)
	if err != nil {
		return err
	}
	ctx := context.Background()
	send := func(wp *notify.WebPush, addrs []notify.Address) func(i int) error {
		return func(i int) error {
			if o := wp.Send(ctx, addrs[i%len(addrs)], f.p); o.Err != nil {
				return o.Err
			}
			return nil
		}
	}
	ours, lean := send(f.wp, f.addrs), send(f.lean, f.addrs)
	plain := f.payload
	wo := &webpush.Options{HTTPClient: f.wp.Client, RecordSize: uint32(len(plain) + 16 + 86 + 1), Subscriber: f.wp.Subject, Topic: f.p.Topic,
		TTL: int(f.p.TTL / time.Second), Urgency: webpush.Urgency(f.p.Urgency), VAPIDPublicKey: f.vapid.pub, VAPIDPrivateKey: f.vapid.priv}
	theirs := func(i int) error {
		a := f.addrs[i%len(f.addrs)].Subscription
		resp, err := webpush.SendNotificationWithContext(ctx, plain, &webpush.Subscription{Endpoint: a.Endpoint,
			Keys: webpush.Keys{P256dh: a.P256dh, Auth: a.Auth}}, wo)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return fmt.Errorf("push service answered %d", resp.StatusCode)
		}
		return nil
	}
	type path struct {
		name string
		conc int
		do   func(int) error
	}
	paths := []path{
		{"floor (crypto, JWT cached)", 1, func(i int) error { f.floor(i); return nil }},
		{"ours, 1 in flight", 1, lean},
		{"ours, 4 in flight (a batch job)", 4, lean},
		{"ours, 16 in flight", 16, lean},
		{"ours via net/http, 1 in flight", 1, ours},
		{"ours via net/http, 4 in flight", 4, ours},
		{"webpush-go, 1 in flight", 1, theirs},
	}
	if b.tls != "" {
		h2, h1 := send(f.lean, f.tlsAddrs), send(f.lean, f.tlsH1Addrs)
		paths = append(paths,
			path{"ours TLS HTTP/2, 1 in flight", 1, h2},
			path{"ours TLS HTTP/2, 4 in flight", 4, h2},
			path{"ours TLS HTTP/2, 16 in flight", 16, h2},
			path{"ours TLS HTTP/2, 64 in flight", 64, h2},
			path{"ours TLS HTTP/1.1, 16 in flight", 16, h1})
	}
	if only != "" {
		kept := paths[:1]
		for _, p := range paths[1:] {
			if strings.Contains(p.name, only) {
				kept = append(kept, p)
			}
		}
		paths = kept
	}
	// Warm up: connections, the JWT cache, the CPU's clock.
	for _, p := range paths {
		if _, _, err := measure(p.name, n/10, p.conc, p.do); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	if prof != "" {
		pf, err := os.Create(prof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	got, cpus, allocated := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	for r := range rounds {
		for _, p := range paths {
			rate, c, err := measure(p.name, n, p.conc, p.do)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			got[p.name] = append(got[p.name], rate)
			cpus[p.name] = append(cpus[p.name], float64(c.Nanoseconds())/1e3)
			allocated[p.name] = append(allocated[p.name], lastAllocs)
		}
		fmt.Fprintf(os.Stderr, "round %d done\n", r+1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fl := median(got[paths[0].name])
	fmt.Fprintf(w, "%-34s %10s %8s %10s %7s  %s\n", "path", "msgs/s", "µs/msg", "CPU µs/msg", "allocs", "of the floor's rate (median; per round)")
	for _, p := range paths {
		rs := got[p.name]
		per := make([]string, len(rs))
		for i, r := range rs {
			per[i] = fmt.Sprintf("%.0f%%", 100*r/got[paths[0].name][i])
		}
		fmt.Fprintf(w, "%-34s %10.0f %8.1f %10.1f %7.1f  %5.0f%% (%s)\n", p.name, median(rs), 1e6/median(rs), median(cpus[p.name]),
			median(allocated[p.name]), 100*median(rs)/fl, strings.Join(per, " "))
	}
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
