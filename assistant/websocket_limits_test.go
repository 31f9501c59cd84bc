package assistant

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"shebao/internal/apperr"
)

// TestWSConnectionsPerAddress: past ConnsPerIP, an upgrade from the same address is refused
// with the catalogue's JSON body, and a closed connection frees its place.
func TestWSConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	s, srv, _ := testServer(t, func(o *Options) { o.Limits.ConnsPerIP = 3 })
	var open []*wsClient
	for range 3 {
		c := dial(t, wsURL(srv), nil)
		c.hello(nil)
		open = append(open, c)
	}
	_, res, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth connection from one address: %v %v", err, res)
	}
	raw, _ := io.ReadAll(res.Body)
	var b apperr.Body
	if err := json.Unmarshal(raw, &b); err != nil || b.Error.Code != apperr.TooManyConnections.Code || b.Error.Message != apperr.TooManyConnections.Message {
		t.Errorf("refusal body: %s", raw)
	}
	open[0].ws.Close()
	waitFor(t, func() bool {
		s.open.mu.Lock()
		defer s.open.mu.Unlock()
		return s.open.byIP["127.0.0.1"] == 2
	})
	dial(t, wsURL(srv), nil).hello(nil)
}

// TestWSConnectionsPerPerson: past ConnsPerUser, a signed-in hello is refused with an error
// frame and close 4005; anonymous connections and other people are not affected, and taking
// one's own session over from another connection is not an extra connection.
func TestWSConnectionsPerPerson(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, func(o *Options) {
		o.Limits.ConnsPerUser = 2
		o.Verifier = fakeVerifier{"tok-a": {Subject: "user-a"}, "tok-b": {Subject: "user-b"}}
	})
	first := dial(t, wsURL(srv), nil)
	r1 := first.hello(map[string]any{"token": "tok-a"})
	dial(t, wsURL(srv), nil).hello(map[string]any{"token": "tok-a"})

	third := dial(t, wsURL(srv), nil)
	third.send(map[string]any{"type": "hello", "token": "tok-a"})
	if ev := third.next(); ev.Code != apperr.TooManyConnections.Code || ev.Message != apperr.TooManyConnections.Message {
		t.Errorf("third connection of one person: %s", ev.raw)
	}
	if code := third.closeCode(3 * time.Second); code != CloseTooManyConnections {
		t.Errorf("close %d, want %d", code, CloseTooManyConnections)
	}
	dial(t, wsURL(srv), nil).hello(map[string]any{"token": "tok-b"})
	dial(t, wsURL(srv), nil).hello(nil)
	// Resuming the first connection's session on a new one replaces it.
	takeover := dial(t, wsURL(srv), nil)
	if ev := takeover.hello(map[string]any{"token": "tok-a", "session_id": r1.SessionID}); !ev.Resumed {
		t.Errorf("takeover: %s", ev.raw)
	}
	if code := first.closeCode(3 * time.Second); code != CloseReplaced {
		t.Errorf("replaced connection closed with %d", code)
	}
}

// waitFor polls cond until it holds; connection bookkeeping ends on the server's goroutines.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
