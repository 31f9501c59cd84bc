// Command mewebhook measures the 经办 webhook against a running server (BENCHMARKS.md):
//
//   - latency: webhook sent → the step seen on the person's open progress stream
//     (GET /api/v1/me/events), one at a time, p50/p99;
//   - ingest: signed webhooks for many applications from several senders at once, events/s.
//
// The server must share --secret (SHEBAO_UPSTREAM_SECRET) and let --token submit applications.
//
//	go run ./bench/mewebhook --base http://127.0.0.1:8080 --token TOKEN --secret SECRET
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"shebao/internal/application"
)

const cardLoss = `{"form_code":"F-SBK-003","form_version":1,"values":{"name":"王小明","id_number":"11010519491231002X","loss":"lost","phone":"13812345678"}}`

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "server")
	token := flag.String("token", "", "a user token")
	secret := flag.String("secret", "", "the upstream secret")
	n := flag.Int("n", 500, "webhooks for the latency run")
	apps := flag.Int("apps", 200, "applications for the ingest run")
	per := flag.Int("per", 20, "webhooks per application in the ingest run")
	conc := flag.Int("c", 8, "concurrent senders in the ingest run")
	flag.Parse()
	if err := run(*base, *token, []byte(*secret), *n, *apps, *per, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "mewebhook:", err)
		os.Exit(1)
	}
}

var client = &http.Client{Timeout: 10 * time.Second}

func submit(base, token string) (string, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/me/applications", strings.NewReader(cardLoss))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var a struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 201 {
		return "", fmt.Errorf("submit: %d %v", resp.StatusCode, err)
	}
	return a.ID, nil
}

var statuses = []string{"accepted", "reviewing"}

func send(base string, secret []byte, id string, seq int) error {
	body, _ := json.Marshal(application.UpstreamEvent{EventID: fmt.Sprintf("bench-%s-%d", id, seq), ApplicationID: id, Seq: seq,
		Status: statuses[seq%2], Office: "西安市社会保险经办中心", At: time.Now().UTC()})
	now := time.Now()
	req, _ := http.NewRequest("POST", base+"/api/v1/upstream/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(application.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(application.HeaderSignature, application.Sign(secret, now, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

func run(base, token string, secret []byte, n, apps, per, conc int) error {
	id, err := submit(base, token)
	if err != nil {
		return err
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/me/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	seen := make(chan int, 16)
	open := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, ": progress stream open") {
				close(open) // the server writes it once the stream is registered
			}
			if !strings.HasPrefix(l, "data: ") {
				continue
			}
			var st struct {
				ApplicationID string `json:"application_id"`
				Status        string
				At            time.Time
			}
			if json.Unmarshal([]byte(l[6:]), &st) == nil && st.ApplicationID == id && st.Status != "submitted" {
				seen <- 1
			}
		}
		close(seen)
	}()
	select {
	case <-open:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the progress stream did not open")
	}
	var lat []time.Duration
	for seq := 1; seq <= n; seq++ {
		t0 := time.Now()
		if err := send(base, secret, id, seq); err != nil {
			return err
		}
		select {
		case _, ok := <-seen:
			if !ok {
				return fmt.Errorf("stream closed")
			}
		case <-time.After(5 * time.Second):
			return fmt.Errorf("step %d never reached the stream", seq)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("webhook→stream n=%d p50=%s p99=%s max=%s\n", n, pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))

	ids := make([]string, apps)
	for i := range ids {
		if ids[i], err = submit(base, token); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	t0 := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for seq := 1; seq <= per; seq++ {
				for i := w; i < apps; i += conc {
					if err := send(base, secret, ids[i], seq); err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Printf("ingest events=%d senders=%d took=%s rate=%.0f/s\n", apps*per, conc, el.Round(time.Millisecond), float64(apps*per)/el.Seconds())
	return nil
}
