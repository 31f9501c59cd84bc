package cluster

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// slowQuestion is the question whose first model call never answers: the turn that asks it is
// in progress when its replica is killed.
const slowQuestion = "异地就医备案要多久"

// startHangingModel serves an OpenAI-compatible endpoint that starts streaming the first answer
// about slowQuestion (headers and a first chunk, within the client's timeouts for them) and then
// holds it until its caller goes away, and fails every other request at once (the chat then
// answers from the guide without a model).
func startHangingModel(t *testing.T) string {
	var held atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte("异地就医")) && held.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, `data: {"id":"hang","object":"chat.completion.chunk","created":1700000000,"model":"fake","choices":[{"index":0,"delta":{"role":"assistant"}}]}`+"\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the replica that asked was killed
			return
		}
		http.Error(w, `{"error":{"message":"unavailable"}}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// chatFrame is a server event of the chat, decoded for the checks.
type chatFrame struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	SessionID string `json:"session_id"`
	Resumed   bool   `json:"resumed"`
	Replay    int    `json:"replay"`
	ReplyTo   string `json:"reply_to"`
	Code      string `json:"code"`
	raw       string
}

// chatClient follows the durable frames of one session across connections: every frame with a
// seq above the last one must be the next seq (a frame lost or repeated fails the test).
type chatClient struct {
	t       *testing.T
	ws      *websocket.Conn
	session string
	last    int64
	seen    []int64 // the durable seqs received, in order
}

func (c *chatClient) dial(r *Replica) {
	c.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+r.Base[len("http"):]+"/api/v1/chat", nil)
	if err != nil {
		c.t.Fatalf("chat on %s: %v", r.Name, err)
	}
	c.ws = ws
	hello := map[string]any{"type": "hello"}
	if c.session != "" {
		hello["session_id"], hello["last_seq"] = c.session, c.last
	}
	c.send(hello)
	ready, err := c.read()
	if err != nil || ready.Type != "ready" || c.session != "" && (!ready.Resumed || ready.SessionID != c.session) {
		c.t.Fatalf("hello on %s: %v %s", r.Name, err, ready.raw)
	}
	c.session = ready.SessionID
}

func (c *chatClient) send(v any) {
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("chat send: %v", err)
	}
}

// read returns the next frame, checking the seq; 60 s is a hang detector (a turn of a dead
// replica is ended after the turn timeout, 30 s, and a grace).
func (c *chatClient) read() (chatFrame, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return chatFrame{}, err
	}
	var f chatFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("chat frame %s: %v", data, err)
	}
	f.raw = string(data)
	if f.Type != "ready" && f.Seq > c.last {
		if f.Seq != c.last+1 {
			c.t.Fatalf("frame %s after seq %d: frames lost", f.raw, c.last)
		}
		c.last = f.Seq
		c.seen = append(c.seen, f.Seq)
	}
	return f, nil
}

// until reads frames until one matches.
func (c *chatClient) until(what string, match func(chatFrame) bool) chatFrame {
	c.t.Helper()
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
	}
}

// checkStored compares the durable seqs received with the session's events in the store.
func (c *chatClient) checkStored(db *sql.DB) {
	c.t.Helper()
	var n, max int64
	if err := db.QueryRow(`SELECT count(*), coalesce(max(seq), 0) FROM assistant_events WHERE session_id = $1`, c.session).Scan(&n, &max); err != nil {
		c.t.Fatal(err)
	}
	if n != max || int64(len(c.seen)) != n || c.last != max {
		c.t.Fatalf("stored %d frames (last seq %d); the client received %v", n, max, c.seen)
	}
}

// answerTo matches the answer to message id.
func answerTo(id string) func(chatFrame) bool {
	return func(f chatFrame) bool { return f.Type == "answer" && f.ReplyTo == id }
}

// startChat opens a session on r and leaves a turn in progress there: q1 answered, q2 (the slow
// question) claimed and waiting for the model.
func startChat(t *testing.T, c *Cluster, r *Replica) *chatClient {
	cc := &chatClient{t: t}
	cc.dial(r)
	cc.send(map[string]any{"type": "message", "id": "q1", "text": "社保卡丢了怎么办"})
	cc.until("the answer to q1", answerTo("q1"))
	cc.send(map[string]any{"type": "message", "id": "q2", "text": slowQuestion})
	deadline := time.Now().Add(30 * time.Second)
	for {
		var turn string
		if err := c.DB.QueryRow(`SELECT turn_msg FROM assistant_sessions WHERE id = $1`, cc.session).Scan(&turn); err != nil {
			t.Fatal(err)
		}
		if turn == "q2" {
			return cc
		}
		if time.Now().After(deadline) {
			t.Fatal("q2's turn never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resumeChat continues cc's session on r after its replica was killed mid-turn: every frame
// after the last one seen is replayed, the interrupted turn is ended with turn_interrupted, the
// question sent again is answered, and the client has every frame the store has.
func resumeChat(t *testing.T, c *Cluster, cc *chatClient, r *Replica) {
	for { // the old connection ends with the process
		if _, err := cc.read(); err != nil {
			break
		}
	}
	cc.dial(r)
	cc.send(map[string]any{"type": "message", "id": "q2", "text": slowQuestion})
	f := cc.until("q2 interrupted", func(f chatFrame) bool {
		return f.Type == "error" && f.Code != "busy" || f.Type == "answer" && f.ReplyTo == "q2"
	})
	if f.Code != "turn_interrupted" || f.ReplyTo != "q2" {
		t.Fatalf("q2, whose replica died mid-turn: %s", f.raw)
	}
	cc.send(map[string]any{"type": "message", "id": "q2", "text": slowQuestion})
	cc.until("the answer to q2 sent again", answerTo("q2"))
	cc.send(map[string]any{"type": "message", "id": "q3", "text": "养老金认证要带什么材料"})
	cc.until("the answer to q3", answerTo("q3"))
	cc.checkStored(c.DB)
	t.Logf("chat: %d frames in order across the kill (%v)", len(cc.seen), cc.seen)
}
