package assistant

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gorilla/websocket"

	"shebao/internal/ratelimit"
)

// wsClient is a test client speaking the chat protocol.
type wsClient struct {
	t  testing.TB
	ws *websocket.Conn
}

// serverEvent is any server event, decoded loosely for assertions: the answer event's fields
// (type, seq, reply_to, text and the rest) and those of the other events.
type serverEvent struct {
	AnswerEvent
	SessionID    string `json:"session_id"`
	Resumed      bool   `json:"resumed"`
	Replay       int    `json:"replay"`
	Anonymous    bool   `json:"anonymous"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	Phone        string `json:"phone"`
	Reason       string `json:"reason"`
	ID           string `json:"id"`
	RetryAfterMS int64  `json:"retry_after_ms"`
	ElderMode    bool   `json:"elder_mode"`
	raw          string
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

func dial(t testing.TB, url string, header http.Header) *wsClient {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	c := &wsClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *wsClient) sendRaw(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next reads the next event, failing the test after 5 s.
func (c *wsClient) next() serverEvent {
	c.t.Helper()
	ev, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return ev
}

func (c *wsClient) read(timeout time.Duration) (serverEvent, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return serverEvent{}, err
	}
	var ev serverEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return serverEvent{}, err
	}
	ev.raw = string(data)
	return ev, nil
}

// until reads events until one of type typ arrives, returning it and the ones before it.
func (c *wsClient) until(typ string) (serverEvent, []serverEvent) {
	c.t.Helper()
	var before []serverEvent
	for {
		ev, err := c.read(20 * time.Second) // a hang detector: slow machines under -race take seconds
		if err != nil {
			var seen []string
			for _, b := range before {
				seen = append(seen, b.raw)
			}
			c.t.Fatalf("waiting for %s: %v (received before: %s)", typ, err, strings.Join(seen, " "))
		}
		if ev.Type == typ {
			return ev, before
		}
		before = append(before, ev)
	}
}

func (c *wsClient) hello(extra map[string]any) serverEvent {
	c.t.Helper()
	f := map[string]any{"type": "hello", "locale": "zh-CN"}
	for k, v := range extra {
		f[k] = v
	}
	c.send(f)
	ev := c.next()
	if ev.Type != EventReady {
		c.t.Fatalf("want ready, got %s", ev.raw)
	}
	return ev
}

// closeCode waits for the connection to be closed and returns the close code.
func (c *wsClient) closeCode(timeout time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := c.read(time.Until(deadline))
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			return -1
		}
	}
	c.t.Fatal("connection not closed in time")
	return 0
}

func testServer(t testing.TB, mutate func(*Options)) (*Service, *httptest.Server, *logBuffer) {
	s, logs := testService(t, mutate)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv, logs
}

func TestWSHelloAndAnswer(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	c := dial(t, wsURL(srv), nil)
	ready := c.hello(nil)
	if ready.SessionID == "" || ready.Resumed || ready.Seq != 0 || !ready.Anonymous {
		t.Fatalf("ready %s", ready.raw)
	}
	c.send(map[string]any{"type": "message", "id": "c1", "text": "养老金认证要带什么材料？"})
	ans, deltas := c.until(EventAnswer)
	if len(deltas) == 0 {
		t.Error("no deltas before the answer")
	}
	var streamed strings.Builder
	for _, d := range deltas {
		if d.Type != EventDelta || d.ReplyTo != "c1" || d.Seq != 0 {
			t.Errorf("unexpected event before answer: %s", d.raw)
		}
		streamed.WriteString(d.Text)
	}
	if ans.Seq != 1 || ans.ReplyTo != "c1" || ans.Route != RouteGuide || streamed.String() != ans.Text {
		t.Errorf("answer %s (streamed %q)", ans.raw, streamed.String())
	}
	if len(ans.Citations) != 1 || ans.Citations[0].Code != "SX-YL-001" || ans.Citations[0].Title != "养老金领取资格认证" || ans.Citations[0].Element != "materials" {
		t.Errorf("citations %+v", ans.Citations)
	}
	if ans.Speakable == "" || len(ans.Suggestions) == 0 {
		t.Errorf("answer lacks speakable or suggestions: %s", ans.raw)
	}
	// handoff: answer then a handoff event
	c.send(map[string]any{"type": "message", "id": "c2", "text": "转人工"})
	ans, _ = c.until(EventAnswer)
	ho := c.next()
	if ans.Seq != 2 || ho.Type != EventHandoff || ho.Seq != 3 || ho.Phone != "12333" || ho.Reason != "requested" || ho.ReplyTo != "c2" {
		t.Errorf("handoff: %s then %s", ans.raw, ho.raw)
	}
	c.send(map[string]any{"type": "ping", "id": "p1"})
	if p := c.next(); p.Type != EventPong || p.ID != "p1" || p.Seq != 3 {
		t.Errorf("pong %s", p.raw)
	}
}

func TestWSBadFrames(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	c := dial(t, wsURL(srv), nil)

	c.send(map[string]any{"type": "message", "id": "early", "text": "社保卡丢了"})
	if ev := c.next(); ev.Type != EventError || ev.Code != "hello_required" || ev.ReplyTo != "early" || ev.Message == "" {
		t.Errorf("message before hello: %s", ev.raw)
	}
	c.hello(nil)
	for _, tc := range []struct{ frame, code string }{
		{"this is not json", "bad_frame"},
		{`{"type":"message","text":`, "bad_frame"},
		{`["hello"]`, "bad_frame"},
		{`{"type":"message","text":123}`, "bad_frame"},
		{`{"text":"no type"}`, "bad_frame"},
		{`{"type":"message","id":"` + strings.Repeat("x", 100) + `","text":"hi"}`, "bad_frame"},
		{`{"type":"subscribe"}`, "unknown_frame"},
		{`{"type":"hello"}`, "already_greeted"},
		{`{"type":"message","id":"e","text":"\u200b \u200b"}`, "message_empty"},
		{`{"type":"cancel"}`, "nothing_to_cancel"},
	} {
		c.sendRaw(tc.frame)
		if ev := c.next(); ev.Type != EventError || ev.Code != tc.code || !containsHan(ev.Message) {
			t.Errorf("%s: got %s, want error %s", tc.frame, ev.raw, tc.code)
		}
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if ev := c.next(); ev.Code != "bad_frame" {
		t.Errorf("binary frame: %s", ev.raw)
	}
	// The connection is still usable.
	c.send(map[string]any{"type": "message", "id": "ok", "text": "社保卡丢了怎么办"})
	if ans, _ := c.until(EventAnswer); ans.ReplyTo != "ok" {
		t.Errorf("answer %s", ans.raw)
	}
	// A frame just under 8 KiB is fine; one over closes with 1009.
	under := `{"type":"ping","id":"` + strings.Repeat("a", 10) + `"}` + strings.Repeat(" ", 8<<10-40)
	c.sendRaw(under)
	if ev := c.next(); ev.Type != EventPong {
		t.Errorf("frame under the limit: %s", ev.raw)
	}
	c.sendRaw(`{"type":"message","id":"big","text":"` + strings.Repeat("社", 3000) + `"}`)
	if code := c.closeCode(5 * time.Second); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestWSTooManyBadFramesClosesConnection(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, func(o *Options) { o.Limits.MaxBadFrames = 3 })
	c := dial(t, wsURL(srv), nil)
	c.hello(nil)
	for i := 0; i < 4; i++ {
		c.sendRaw("nope")
	}
	if code := c.closeCode(5 * time.Second); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
}

func TestWSResume(t *testing.T) {
	t.Parallel()
	s, srv, _ := testServer(t, nil)
	c := dial(t, wsURL(srv), nil)
	ready := c.hello(nil)
	for i, q := range []string{"社保卡丢了怎么办", "养老金认证要带什么材料", "异地就医备案要多久"} {
		c.send(map[string]any{"type": "message", "id": "q" + string(rune('1'+i)), "text": q})
		c.until(EventAnswer)
	}
	c.ws.Close()

	// Reconnect having seen only seq 1: events 2 and 3 are replayed, in order.
	c2 := dial(t, wsURL(srv), nil)
	r2 := c2.hello(map[string]any{"session_id": ready.SessionID, "last_seq": 1})
	if !r2.Resumed || r2.SessionID != ready.SessionID || r2.Replay != 2 || r2.Seq != 1 {
		t.Fatalf("ready on resume %s", r2.raw)
	}
	e2, e3 := c2.next(), c2.next()
	if e2.Seq != 2 || e2.ReplyTo != "q2" || e3.Seq != 3 || e3.ReplyTo != "q3" {
		t.Errorf("replayed %s %s", e2.raw, e3.raw)
	}
	// A message id already received is not answered twice.
	c2.send(map[string]any{"type": "message", "id": "q3", "text": "异地就医备案要多久"})
	c2.send(map[string]any{"type": "ping", "id": "after"})
	if ev := c2.next(); ev.Type != EventPong {
		t.Errorf("duplicate message produced %s", ev.raw)
	}

	// After a restart (a new Service on the same database) the session resumes too.
	s.Close()
	corpus := NewCorpus(testGuides(t))
	s2, err := New(context.Background(), Options{DB: s.opts.DB, Retriever: corpus, Guides: corpus, Log: (&logBuffer{}).Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	srv2 := httptest.NewServer(s2.Handler())
	defer srv2.Close()
	c3 := dial(t, wsURL(srv2), nil)
	r3 := c3.hello(map[string]any{"session_id": ready.SessionID, "last_seq": 2})
	if !r3.Resumed || r3.Replay != 1 {
		t.Fatalf("ready after restart %s", r3.raw)
	}
	if e := c3.next(); e.Seq != 3 {
		t.Errorf("replayed after restart %s", e.raw)
	}
	// The message ids survive the restart too.
	c3.send(map[string]any{"type": "message", "id": "q2", "text": "养老金认证要带什么材料"})
	c3.send(map[string]any{"type": "ping", "id": "after-restart"})
	if ev := c3.next(); ev.Type != EventPong {
		t.Errorf("duplicate message after restart produced %s", ev.raw)
	}
	c3.send(map[string]any{"type": "message", "id": "q4", "text": "失业金怎么领"})
	if ans, _ := c3.until(EventAnswer); ans.Seq != 4 {
		t.Errorf("seq after restart %s", ans.raw)
	}
	// An unknown session id yields a new session and says so.
	c4 := dial(t, wsURL(srv2), nil)
	c4.send(map[string]any{"type": "hello", "session_id": "s_doesnotexist"})
	if ev := c4.next(); ev.Code != "session_not_found" {
		t.Errorf("unknown session: %s", ev.raw)
	}
	if ev := c4.next(); ev.Type != EventReady || ev.Resumed || ev.SessionID == "s_doesnotexist" {
		t.Errorf("unknown session ready: %s", ev.raw)
	}
}

func TestWSReplacedConnection(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	c1 := dial(t, wsURL(srv), nil)
	ready := c1.hello(nil)
	c2 := dial(t, wsURL(srv), nil)
	c2.hello(map[string]any{"session_id": ready.SessionID})
	if code := c1.closeCode(5 * time.Second); code != CloseReplaced {
		t.Errorf("old connection closed with %d, want %d", code, CloseReplaced)
	}
	c2.send(map[string]any{"type": "message", "id": "x", "text": "社保卡丢了怎么办"})
	c2.until(EventAnswer)
}

// 100 messages in a second from one user are rate limited; another user at the same address is
// not affected.
func TestWSRateLimitPerUser(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	flood := dial(t, wsURL(srv), nil)
	flood.hello(nil)
	other := dial(t, wsURL(srv), nil)
	other.hello(nil)

	start := time.Now()
	for i := 0; i < 100; i++ {
		flood.send(map[string]any{"type": "message", "id": "f" + itoa(i), "text": "社保卡丢了怎么办"})
	}
	if time.Since(start) > time.Second {
		t.Fatalf("sending took %v", time.Since(start))
	}
	other.send(map[string]any{"type": "message", "id": "o1", "text": "养老金认证要带什么材料"})
	ans, before := other.until(EventAnswer)
	for _, ev := range before {
		if ev.Type == EventError {
			t.Errorf("other user got %s", ev.raw)
		}
	}
	if ans.ReplyTo != "o1" {
		t.Errorf("other user's answer %s", ans.raw)
	}

	limited, answered := 0, 0
	for limited+answered < 100 {
		ev, err := flood.read(3 * time.Second)
		if err != nil {
			t.Logf("flood connection: %v", err)
			break
		}
		switch {
		case ev.Type == EventError && ev.Code == "rate_limited":
			limited++
			if ev.RetryAfterMS <= 0 || ev.Message == "" {
				t.Errorf("rate_limited without retry_after or message: %s", ev.raw)
			}
		case ev.Type == EventError && ev.Code == "busy", ev.Type == EventAnswer:
			answered++
		}
	}
	if limited < 90 {
		t.Errorf("only %d of 100 messages rate limited", limited)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestWSOriginCheck(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, func(o *Options) { o.AllowedOrigins = []string{"https://app.example.cn"} })
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), http.Header{"Origin": {"https://evil.example.com"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: err %v resp %v", err, resp)
	}
	dial(t, wsURL(srv), http.Header{"Origin": {"https://app.example.cn"}}).hello(nil)
	dial(t, wsURL(srv), nil).hello(nil) // native clients send no Origin

	// With no configuration only same-origin browsers are allowed.
	_, srv2, _ := testServer(t, nil)
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL(srv2), http.Header{"Origin": {"https://evil.example.com"}}); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("default foreign origin: %v", err)
	}
	host := strings.TrimPrefix(srv2.URL, "http://")
	dial(t, wsURL(srv2), http.Header{"Origin": {"http://" + host}}).hello(nil)
}

func TestWSTimeouts(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, func(o *Options) {
		o.Limits.HelloTimeout = 100 * time.Millisecond
		o.Limits.IdleTimeout = 300 * time.Millisecond
		o.Limits.PingInterval = 50 * time.Millisecond
	})
	c := dial(t, wsURL(srv), nil)
	if code := c.closeCode(3 * time.Second); code != CloseHelloTimeout {
		t.Errorf("no hello: close %d, want %d", code, CloseHelloTimeout)
	}
	c = dial(t, wsURL(srv), nil)
	c.hello(nil)
	start := time.Now()
	if code := c.closeCode(3 * time.Second); code != CloseIdle || time.Since(start) < 250*time.Millisecond {
		t.Errorf("idle: close %d after %v, want %d", code, time.Since(start), CloseIdle)
	}
}

// A client that does not read is dropped; broadcasting never waits for it and other clients
// get every event.
func TestWSSlowClientDropped(t *testing.T) {
	t.Parallel()
	s, srv, _ := testServer(t, func(o *Options) { o.Limits.SendBuffer = 4 })
	slow := dial(t, wsURL(srv), nil)
	slow.hello(nil)
	fast := dial(t, wsURL(srv), nil)
	fast.hello(nil)

	const notices = 300
	var got sync.WaitGroup
	got.Add(1)
	var received atomic.Int64
	var readErr atomic.Value // the fast client's read error, when it stopped reading early
	readerDone := make(chan struct{})
	go func() {
		defer got.Done()
		defer close(readerDone)
		for received.Load() < notices {
			_ = fast.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := fast.ws.ReadMessage()
			if err != nil {
				readErr.Store(err)
				return
			}
			if strings.HasPrefix(string(data), `{"type":"notice"`) {
				received.Add(1)
			}
		}
	}()
	big := strings.Repeat("维护通知", 3<<10) // 36 KiB per notice, 10.8 MB in all
	// The slow client never reads: a Broadcast that waited for it would block for good once its
	// buffer of four is full. That is what is checked — no single Broadcast call may take 20 s —
	// not how fast the whole run is (under -race on a loaded machine it has taken over a
	// minute); speed lives in the fan-out benchmark.
	sent := make(chan struct{})
	var callStart atomic.Int64 // UnixNano when the Broadcast in progress began; 0 between calls
	go func() {
		defer close(sent)
		for i := 0; i < notices; i++ {
			callStart.Store(time.Now().UnixNano())
			s.Broadcast(big)
			callStart.Store(0)
			// Paced by the reading client (at most two notices ahead of it, well inside its
			// buffer of four), so that a loaded machine cannot make it a slow client too.
			for wait := time.Now().Add(10 * time.Second); received.Load() < int64(i-1) && time.Now().Before(wait); {
				select {
				case <-readerDone:
					return
				case <-time.After(time.Millisecond):
				}
			}
		}
	}()
	for done := false; !done; {
		select {
		case <-sent:
			done = true
		case <-time.After(100 * time.Millisecond):
			if at := callStart.Load(); at != 0 && time.Since(time.Unix(0, at)) > 20*time.Second {
				t.Fatal("Broadcast waits for the client that does not read")
			}
		}
	}
	if err := readErr.Load(); err != nil && received.Load() < notices {
		t.Fatalf("the fast client stopped reading after %d notices: %v", received.Load(), err)
	}
	got.Wait()
	if n := received.Load(); n != notices {
		t.Errorf("fast client got %d of %d notices", n, notices)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow client not dropped: %d connections", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type fakeVerifier map[string]Principal

func (f fakeVerifier) Verify(_ context.Context, token string) (Principal, error) {
	p, ok := f[token]
	if !ok {
		return Principal{}, errors.New("bad token")
	}
	return p, nil
}

func TestWSAuthentication(t *testing.T) {
	t.Parallel()
	_, srv, logs := testServer(t, func(o *Options) {
		o.Verifier = fakeVerifier{"tok-a": {Subject: "user-a"}, "tok-b": {Subject: "user-b"}}
	})
	c := dial(t, wsURL(srv), nil)
	c.send(map[string]any{"type": "hello", "token": "forged"})
	if ev := c.next(); ev.Code != "unauthenticated" {
		t.Errorf("bad token: %s", ev.raw)
	}
	if code := c.closeCode(3 * time.Second); code != CloseUnauthenticated {
		t.Errorf("bad token close %d", code)
	}
	a := dial(t, wsURL(srv), nil)
	ra := a.hello(map[string]any{"token": "tok-a"})
	if ra.Anonymous {
		t.Error("verified user reported anonymous")
	}
	a.ws.Close()
	// Another user cannot resume user a's session.
	b := dial(t, wsURL(srv), nil)
	b.send(map[string]any{"type": "hello", "token": "tok-b", "session_id": ra.SessionID})
	if ev := b.next(); ev.Code != "session_not_found" {
		t.Errorf("foreign session: %s", ev.raw)
	}
	if ev := b.next(); ev.SessionID == ra.SessionID {
		t.Error("user b got user a's session")
	}
	if strings.Contains(logs.String(), "user-a") {
		t.Error("subject logged in clear")
	}
}

// The handler works behind Fiber's net/http adaptor (with the fasthttp in go.mod), the other
// way the lead may mount it.
func TestWSThroughFiberAdaptor(t *testing.T) {
	t.Parallel()
	s, _ := testService(t, nil)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/v1/chat", adaptor.HTTPHandler(s.Handler()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	c := dial(t, "ws://"+ln.Addr().String()+"/api/v1/chat", nil)
	c.hello(nil)
	c.send(map[string]any{"type": "message", "id": "f1", "text": "社保卡丢了怎么办"})
	if ans, _ := c.until(EventAnswer); ans.Route != RouteGuide {
		t.Errorf("answer through fiber %s", ans.raw)
	}
}

func newTestHTTPServer(t testing.TB, s *Service) *httptest.Server {
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// A client that sends its next message the moment it has an answer is never told "busy": the
// turn ends as its answer is sent.
func TestWSNextMessageRightAfterAnswer(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, func(o *Options) { o.Limits.User = ratelimit.Rate{Burst: 100, PerSecond: 100} })
	c := dial(t, wsURL(srv), nil)
	c.hello(nil)
	for i := 0; i < 30; i++ {
		c.send(map[string]any{"type": "message", "id": "n" + itoa(i), "text": "社保卡丢了怎么办"})
		for {
			ev := c.next()
			if ev.Type == EventError {
				t.Fatalf("message %d: %s", i, ev.raw)
			}
			if ev.Type == EventAnswer {
				break
			}
		}
	}
}

func TestWSElderMode(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	c := dial(t, wsURL(srv), nil)
	c.hello(map[string]any{"elder_mode": true})
	c.send(map[string]any{"type": "message", "id": "e1", "text": "医疗费用手工报销要带什么材料"})
	ans, _ := c.until(EventAnswer)
	mustContain(t, ans.Text, "医疗费用发票", "还有一项，要听吗？")
	if strings.Contains(ans.Text, "社会保障卡，原件") {
		t.Errorf("elder mode read the whole list: %q", ans.Text)
	}
	c.send(map[string]any{"type": "message", "id": "e2", "text": "要"})
	rest, _ := c.until(EventAnswer)
	mustContain(t, rest.Text, "社会保障卡")
	if strings.ContainsAny(ans.Speakable, "0123456789（）→") {
		t.Errorf("speakable has digits or symbols: %q", ans.Speakable)
	}
}
