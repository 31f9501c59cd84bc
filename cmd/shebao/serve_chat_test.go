package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// startServe runs the real serve command until the test ends and waits until it is ready.
func startServe(t *testing.T, vars map[string]string) (addr string, out *lockedBuf) {
	t.Helper()
	addr = freeAddr(t)
	vars["SHEBAO_ADDR"] = addr
	if vars["SHEBAO_DATA_DIR"] == "" {
		vars["SHEBAO_DATA_DIR"] = t.TempDir()
	}
	out, done, cancel := serveBackground(vars)
	t.Cleanup(func() { stopServe(t, cancel, done, out) })
	waitReady(t, addr, out, done)
	return addr, out
}

// TestServeChatThroughTheEdge opens the chat on the real server, where splitlisten hands it to
// net/http: a good upgrade and a bad request both show up in the access log and the metrics
// with their request id, and the refusal is the catalogue's JSON body.
func TestServeChatThroughTheEdge(t *testing.T) {
	addr, out := startServe(t, map[string]string{})
	ws, res, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/v1/chat", http.Header{"X-Request-ID": {"chat-good-42"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("X-Request-ID") != "chat-good-42" {
		t.Errorf("101 lacks the request id: %v", res.Header)
	}
	_ = ws.WriteJSON(map[string]any{"type": "hello"})
	var ready map[string]any
	if err := ws.ReadJSON(&ready); err != nil || ready["type"] != "ready" {
		t.Fatalf("hello: %v %v", err, ready)
	}
	ws.Close()

	// A plain GET (a fresh connection, so splitlisten routes it to net/http).
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/chat", nil)
	req.Close = true
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var b map[string]map[string]string
	_ = json.Unmarshal(raw, &b)
	badID := res.Header.Get("X-Request-ID")
	if res.StatusCode != 400 || b["error"]["code"] != "websocket_required" || b["error"]["message"] == "" || badID == "" || b["error"]["request_id"] != badID {
		t.Errorf("plain GET of the chat: %d %s (header id %q)", res.StatusCode, raw, badID)
	}
	req, _ = http.NewRequest("GET", "http://"+addr+"/api/v1/chatroom", nil)
	req.Close = true
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.Contains(string(raw), `"code":"not_found"`) || !strings.Contains(string(raw), `"request_id":"`+res.Header.Get("X-Request-ID")+`"`) {
		t.Errorf("unknown path beside the chat: %d %s", res.StatusCode, raw)
	}

	res, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`route="/api/v1/chat",status="101"} 1`, `route="/api/v1/chat",status="400"} 1`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Access lines are batched by the sink; wait for both.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !(strings.Contains(out.String(), `"request_id":"chat-good-42"`) && strings.Contains(out.String(), `"request_id":"`+badID+`"`)) {
		time.Sleep(20 * time.Millisecond)
	}
	var good, bad map[string]any
	for _, line := range strings.Split(out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["msg"] != "request" {
			continue
		}
		switch m["request_id"] {
		case "chat-good-42":
			good = m
		case badID:
			bad = m
		}
	}
	if good == nil || good["status"] != 101.0 || good["route"] != "/api/v1/chat" {
		t.Errorf("access record of the upgrade: %v", good)
	}
	if bad == nil || bad["status"] != 400.0 || bad["route"] != "/api/v1/chat" {
		t.Errorf("access record of the refusal: %v", bad)
	}
}
