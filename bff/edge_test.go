package bff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"shebao/internal/apperr"
	"shebao/internal/dbtest"
)

// accessRecords parses the access log into records.
func accessRecords(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("access log line is not JSON: %v: %s", err, line)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// recordFor returns the access record with request id id.
func recordFor(t *testing.T, log, id string) map[string]any {
	t.Helper()
	for _, m := range accessRecords(t, log) {
		if m["request_id"] == id {
			return m
		}
	}
	t.Fatalf("no access record with request_id %q in:\n%s", id, log)
	return nil
}

// awaitRecordFor is recordFor on a log still being written: the record of a response is written
// after its last byte is sent, so a client can read the response before the record is there.
func awaitRecordFor(t *testing.T, log fmt.Stringer, id string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if strings.Contains(log.String(), `"`+id+`"`) {
			break
		}
	}
	return recordFor(t, log.String(), id)
}

// errorBodyOf decodes a JSON error body and checks it names the response's request id.
func errorBodyOf(t *testing.T, res *http.Response) apperr.Detail {
	t.Helper()
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var b apperr.Body
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("%d: not the JSON error body: %v: %s", res.StatusCode, err, raw)
	}
	if b.Error.RequestID == "" || b.Error.RequestID != res.Header.Get("X-Request-ID") {
		t.Errorf("%d %s: request_id %q, header %q", res.StatusCode, b.Error.Code, b.Error.RequestID, res.Header.Get("X-Request-ID"))
	}
	if b.Error.Message == "" {
		t.Errorf("%d %s: no message", res.StatusCode, b.Error.Code)
	}
	return b.Error
}

// newEdgeEnv is newEnvFor with the access log written to a buffer the test reads.
func newEdgeEnv(t *testing.T) (*testEnv, *syncBuffer) {
	t.Helper()
	e, err := newEnvFor(t)
	if err != nil {
		t.Fatal(err)
	}
	access := &syncBuffer{}
	e.srv.AccessLog = access
	return e, access
}

// TestChatPathSharesTheEdge serves the chat through ChatHandler, the net/http side cmd/shebao
// runs beside Fiber: an upgrade and the requests refused before one get the same request ids,
// access-log records, metrics and error bodies as Fiber's routes.
func TestChatPathSharesTheEdge(t *testing.T) {
	e, access := newEdgeEnv(t)
	// A stand-in for the assistant's handler that refuses the way it does, through the catalogue.
	up := websocket.Upgrader{Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
		apperr.WriteHTTP(w, apperr.New(apperr.WebSocketRequired, ""))
	}}
	e.srv.Chat = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("boom") != "" {
			panic("secret detail")
		}
		ws, err := up.Upgrade(w, r, w.Header()) // as the assistant does
		if err == nil {
			ws.Close()
		}
	})
	hs := httptest.NewServer(e.srv.ChatHandler())
	defer hs.Close()
	wsURL := "ws" + strings.TrimPrefix(hs.URL, "http") + chatPath

	ws, res, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"X-Request-ID": {"chat-good-1"}})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	ws.Close()
	if res.Header.Get("X-Request-ID") != "chat-good-1" {
		t.Errorf("upgrade response lacks the request id: %v", res.Header)
	}

	cases := []struct {
		method, path string
		status       int
		code, route  string
	}{
		{"GET", chatPath, 400, "websocket_required", chatPath},
		{"POST", chatPath, 405, "method_not_allowed", chatPath},
		{"GET", chatPath + "x", 404, "not_found", "unmatched"},
		{"GET", chatPath + "/deeper", 404, "not_found", "unmatched"},
		{"GET", chatPath + "?boom=1", 500, "internal_error", chatPath},
	}
	ids := map[string]string{}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, hs.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		d := errorBodyOf(t, res)
		if res.StatusCode != c.status || d.Code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, res.StatusCode, d.Code, c.status, c.code)
		}
		if strings.Contains(d.Message, "secret") {
			t.Errorf("panic detail leaked: %s", d.Message)
		}
		ids[c.method+" "+c.path] = d.RequestID
	}

	good := awaitRecordFor(t, access, "chat-good-1")
	if good["route"] != chatPath || good["status"] != 101.0 || good["method"] != "GET" || good["ip"] != "127.0.0.1" {
		t.Errorf("upgrade record: %v", good)
	}
	for _, c := range cases {
		m := awaitRecordFor(t, access, ids[c.method+" "+c.path])
		if m["route"] != c.route || m["status"] != float64(c.status) {
			t.Errorf("%s %s record: %v", c.method, c.path, m)
		}
		if strings.Contains(fmt.Sprint(m["path"]), "boom") {
			t.Errorf("query string reached the access log: %v", m)
		}
	}
	// The record has the shape Fiber's routes write, field for field.
	r := do(t, e.srv.App(), "GET", "/healthz", nil, "X-Request-ID", "fiber-1")
	_ = r
	fiberRec := awaitRecordFor(t, access, "fiber-1")
	for k := range fiberRec {
		if _, ok := good[k]; !ok {
			t.Errorf("chat record lacks %q", k)
		}
	}
	if len(fiberRec) != len(good) {
		t.Errorf("records differ in shape: %v vs %v", fiberRec, good)
	}

	metrics := string(do(t, e.srv.App(), "GET", "/metrics", nil).body)
	for _, want := range []string{
		`shebao_http_requests_total{method="GET",route="/api/v1/chat",status="101"} 1`,
		`shebao_http_requests_total{method="GET",route="/api/v1/chat",status="400"} 1`,
		`shebao_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`shebao_http_request_duration_seconds_count{method="GET",route="/api/v1/chat"} 3`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestChatOnFiberHandsOverTheRequestID checks the fallback path (the chat through Fiber's
// adaptor): an error the chat writes carries Fiber's request id.
func TestChatOnFiberHandsOverTheRequestID(t *testing.T) {
	e, err := newEnvFor(t)
	if err != nil {
		t.Fatal(err)
	}
	// newEnvFor's stand-in registered the route; its handler is read at request time.
	e.srv.Chat = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apperr.WriteHTTP(w, apperr.New(apperr.WebSocketRequired, ""))
	})
	r := do(t, e.srv.App(), "GET", chatPath, nil, "X-Request-ID", "via-fiber-7")
	var b apperr.Body
	if err := json.Unmarshal(r.body, &b); err != nil || r.status != 400 || b.Error.Code != "websocket_required" || b.Error.RequestID != "via-fiber-7" {
		t.Errorf("%d %s", r.status, r.body)
	}
}

// TestEdgeErrorsHaveCodeAndRequestID sends what fasthttp refuses before any route runs, and
// long queries, over a real connection: each answer has its own catalogue code and a request id,
// and shows up in the access log and metrics.
func TestEdgeErrorsHaveCodeAndRequestID(t *testing.T) {
	e := newSearchEnv(t, dbtest.SQLite(t))
	access := &syncBuffer{}
	e.srv.AccessLog = access
	e.srv.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.App().Listener(ln)
	t.Cleanup(func() { _ = e.srv.Shutdown(time.Second) })
	base := "http://" + ln.Addr().String()

	get := func(q string) *http.Response {
		res, err := http.Get(base + "/api/v1/search?q=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Every long query the buffer admits is query_too_long, up to 4 KB of text and beyond.
	for _, n := range []int{501, 900, 2000, 4096 / 3} {
		res := get(strings.Repeat("社", n))
		if d := errorBodyOf(t, res); res.StatusCode != 400 || d.Code != "query_too_long" {
			t.Errorf("%d characters: %d %s", n, res.StatusCode, d.Code)
		}
	}
	res := get(strings.Repeat("a", 4096))
	if d := errorBodyOf(t, res); res.StatusCode != 400 || d.Code != "query_too_long" {
		t.Errorf("4 KB ASCII: %d %s", res.StatusCode, d.Code)
	}
	// Past the read buffer: 431 with its own code.
	res = get(strings.Repeat("社", 6000))
	d := errorBodyOf(t, res)
	if res.StatusCode != 431 || d.Code != "request_header_too_large" {
		t.Errorf("18 KB of text: %d %s", res.StatusCode, d.Code)
	}
	tooLongID := d.RequestID
	// A body over the 4 MB limit: 413 body_too_large. fasthttp answers on the declared length
	// and closes, so the body is not sent (a client still sending would see a reset).
	res = rawRequest(t, ln.Addr().String(), "POST /api/v1/search/click HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5242880\r\n\r\n{")
	d = errorBodyOf(t, res)
	if res.StatusCode != 413 || d.Code != "body_too_large" {
		t.Errorf("5 MB body: %d %s", res.StatusCode, d.Code)
	}
	bodyID := d.RequestID
	// Malformed HTTP: 400 bad_request.
	res = rawRequest(t, ln.Addr().String(), "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
	if d := errorBodyOf(t, res); res.StatusCode != 400 || d.Code != "bad_request" {
		t.Errorf("malformed request: %d %s", res.StatusCode, d.Code)
	}

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(access.String(), bodyID) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	log := access.String()
	for id, status := range map[string]float64{tooLongID: 431, bodyID: 413} {
		if m := recordFor(t, log, id); m["status"] != status || m["route"] != routeRefused {
			t.Errorf("record %s: %v", id, m)
		}
	}
	metrics := string(do(t, e.srv.App(), "GET", "/metrics", nil).body)
	if !strings.Contains(metrics, `route="refused",status="431"`) {
		t.Errorf("metrics lack the refused request")
	}
}

// rawRequest writes req as is on a new connection and reads the response.
func rawRequest(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestChatNetHTTPRefusalsAreCatalogued: what net/http answers by itself on the chat's side
// (headers too large, a malformed request) is the catalogue's JSON with a request id, in the
// access log; upgrades through the same listener are untouched.
func TestChatNetHTTPRefusalsAreCatalogued(t *testing.T) {
	e, access := newEdgeEnv(t)
	up := websocket.Upgrader{}
	e.srv.Chat = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, w.Header())
		if err != nil {
			return
		}
		defer ws.Close()
		if mt, msg, err := ws.ReadMessage(); err == nil {
			_ = ws.WriteMessage(mt, msg)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e.srv.ChatHandler(), MaxHeaderBytes: MaxHeaderBytes}
	go hs.Serve(e.srv.ChatListener(ln))
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()

	for _, c := range []struct {
		name, req string
		status    int
		code      string
	}{
		{"headers over the limit", "GET /api/v1/chat HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*MaxHeaderBytes) + "\r\n\r\n", 431, "request_header_too_large"},
		{"two Host headers", "GET /api/v1/chat HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request"},
	} {
		res := rawRequest(t, addr, c.req)
		d := errorBodyOf(t, res)
		if res.StatusCode != c.status || d.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.StatusCode, d.Code, c.status, c.code)
		}
		if m := awaitRecordFor(t, access, d.RequestID); m["status"] != float64(c.status) || m["route"] != routeRefused {
			t.Errorf("%s: record %v", c.name, m)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+chatPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// WebSocket traffic is not rewritten, whatever it carries.
	msg := "HTTP/1.1 400 Bad Request" + plainErrorHeaders
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != msg {
		t.Errorf("echo: %q %v", got, err)
	}
}
