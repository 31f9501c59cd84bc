// Command pushsend measures the Web Push send path against its cryptographic floor, with the
// push service in another process, as a real one is (BENCHMARKS.md, issue #21):
//
//	pushsend serve                  # the fake push service (notify/pushtest), prints its URL
//	pushsend send --url URL [...]   # the sender: floor and sends, alternated, in one run
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
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
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
	u := flag.String("url", "", "the fake push service (pushsend serve)")
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
	if err := run(*u, *n, *rounds, *subs, *only, *prof); err != nil {
		fmt.Fprintln(os.Stderr, "pushsend:", err)
		os.Exit(1)
	}
}

// serve runs the fake push service until SIGTERM: no VAPID check and no decryption (the
// sender is measured, not the service), nothing kept but the count.
func serve() {
	s := pushtest.New()
	s.Verify.Store(false)
	s.CountOnly.Store(true)
	fmt.Println(s.URL)
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, os.Interrupt)
	<-c
	fmt.Fprintf(os.Stderr, "pushsend serve: %d pushes received\n", s.Received())
	s.Close()
}

type fixture struct {
	wp      *notify.WebPush // through net/http
	lean    *notify.WebPush // through the channel's own client (what the service uses)
	addrs   []notify.Address
	pubs    []*ecdh.PublicKey
	auths   [][]byte
	p       notify.Payload
	payload []byte
	vapid   struct{ pub, priv string }
}

func newFixture(base string, subs int) (*fixture, error) {
	pu, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	f := &fixture{}
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
		f.addrs = append(f.addrs, notify.Address{VAPIDPublic: f.vapid.pub, VAPIDPrivate: f.vapid.priv, Subscription: notify.Subscription{
			ID: int64(i + 1), Endpoint: base + fmt.Sprintf("/push/bench%06d", i),
			P256dh: base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), Auth: base64.RawURLEncoding.EncodeToString(auth)}})
	}
	// The payload a certification campaign sends (notify.Service.payload's fields).
	f.p = notify.Payload{Title: "请完成养老金领取资格认证", Body: "您的养老金领取资格认证将于30天内到期，请在App内完成刷脸认证。",
		URL: "https://app.shebao.gov.cn/app/#/services/certification", Tag: "campaign:12:p0000001", Urgency: "normal",
		Unsubscribe: "https://app.shebao.gov.cn/api/v1/push/unsubscribe?t=" + strings.Repeat("x", 86), TTL: 7 * 24 * time.Hour, Topic: "certification"}
	f.payload, _ = json.Marshal(f.p)
	policy := &notify.EndpointPolicy{InsecureTestHosts: []string{pu.Host}}
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

// measure runs do(i) for i in [0, n) on conc goroutines and returns messages a second and this
// process's CPU time a message.
func measure(n, conc int, do func(i int) error) (float64, time.Duration, error) {
	var next atomic.Int64 // the next message to send
	var failed atomic.Value
	var wg sync.WaitGroup
	t0, c0 := time.Now(), cpu()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1) - 1); k < n; k = int(next.Add(1) - 1) {
				if err := do(k); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ferr, _ := failed.Load().(error)
	return float64(n) / time.Since(t0).Seconds(), (cpu() - c0) / time.Duration(n), ferr
}

func run(base string, n, rounds, subs int, only, prof string) error {
	f, err := newFixture(base, subs)
	if err != nil {
		return err
	}
	ctx := context.Background()
	send := func(wp *notify.WebPush) func(i int) error {
		return func(i int) error {
			if o := wp.Send(ctx, f.addrs[i%len(f.addrs)], f.p); o.Err != nil {
				return o.Err
			}
			return nil
		}
	}
	ours, lean := send(f.wp), send(f.lean)
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
		if _, _, err := measure(n/10, p.conc, p.do); err != nil {
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
	got, cpus := map[string][]float64{}, map[string][]float64{}
	for r := range rounds {
		for _, p := range paths {
			rate, c, err := measure(n, p.conc, p.do)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			got[p.name] = append(got[p.name], rate)
			cpus[p.name] = append(cpus[p.name], float64(c.Nanoseconds())/1e3)
		}
		fmt.Fprintf(os.Stderr, "round %d done\n", r+1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fl := median(got[paths[0].name])
	fmt.Fprintf(w, "%-34s %10s %8s %10s  %s\n", "path", "msgs/s", "µs/msg", "CPU µs/msg", "of the floor's rate (median; per round)")
	for _, p := range paths {
		rs := got[p.name]
		per := make([]string, len(rs))
		for i, r := range rs {
			per[i] = fmt.Sprintf("%.0f%%", 100*r/got[paths[0].name][i])
		}
		fmt.Fprintf(w, "%-34s %10.0f %8.1f %10.1f  %5.0f%% (%s)\n", p.name, median(rs), 1e6/median(rs), median(cpus[p.name]), 100*median(rs)/fl, strings.Join(per, " "))
	}
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
