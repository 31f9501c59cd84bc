package modelclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

func TestToolCallAssembly(t *testing.T) {
	t.Parallel()
	i0, i1 := 0, 1
	var c Completion
	for _, tc := range []openai.ToolCall{
		{Index: &i0, ID: "a", Function: openai.FunctionCall{Name: "answer", Arguments: `{"ans`}},
		{Function: openai.FunctionCall{Arguments: `wer":"x"}`}}, // no index: continues the last call
		{Index: &i1, ID: "b", Function: openai.FunctionCall{Name: "other", Arguments: `{}`}},
		{ID: "a", Function: openai.FunctionCall{Arguments: ``}}, // no index, known id
		{ID: "c", Function: openai.FunctionCall{Name: "third"}}, // no index, new id: a new call
		{Function: openai.FunctionCall{Arguments: `{"k":1}`}},
	} {
		call := c.callFor(tc)
		if tc.ID != "" && call.ID == "" {
			call.ID = tc.ID
		}
		if tc.Function.Name != "" && call.Name == "" {
			call.Name = tc.Function.Name
		}
		call.Args.WriteString(tc.Function.Arguments)
	}
	if len(c.Calls) != 3 || c.Calls[0].Args.String() != `{"answer":"x"}` || c.Calls[1].Name != "other" ||
		c.Calls[2].Name != "third" || c.Calls[2].Args.String() != `{"k":1}` {
		for _, call := range c.Calls {
			t.Logf("%s %s %s", call.ID, call.Name, call.Args.String())
		}
		t.Error("calls assembled wrongly")
	}
}

// sseServer answers chat completions in the wire format of OpenAI-compatible servers: first
// the given statuses, then one streamed tool call. It keeps every request body.
type sseServer struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
}

func (s *sseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(body))
	var status int
	if len(s.statuses) > 0 {
		status, s.statuses = s.statuses[0], s.statuses[1:]
	}
	s.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":{"message":"temperature is not supported","type":"invalid_request_error"}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for _, args := range []string{`{"answer":`, `"好"}`} {
		chunk := map[string]any{"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": []any{map[string]any{
			"index": 0, "delta": map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call1", "type": "function",
				"function": map[string]any{"name": "answer", "arguments": args}}}}}}}
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// The client splices temperature 0 and the extra body into requests, drops temperature for a
// server that rejects it, retries a 503, and assembles the streamed tool call.
func TestStreamTool(t *testing.T) {
	t.Parallel()
	srv := &sseServer{statuses: []int{http.StatusBadRequest, http.StatusServiceUnavailable}}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	zero := float32(0)
	c, err := New(Config{BaseURL: hs.URL + "/v1", Model: "m", Temperature: &zero,
		ExtraBody: map[string]any{"chat_template_kwargs": map[string]any{"enable_thinking": false}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tool := openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "answer", Parameters: json.RawMessage(`{"type":"object"}`)}}
	var streamed strings.Builder
	out, err := c.StreamTool(context.Background(), []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "问"}}, tool,
		func(s string) { streamed.WriteString(s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Calls) != 1 || out.Calls[0].Name != "answer" || out.Calls[0].Args.String() != `{"answer":"好"}` || streamed.String() != `{"answer":"好"}` {
		t.Fatalf("completion %+v, streamed %q", out, streamed.String())
	}
	if len(srv.bodies) != 3 {
		t.Fatalf("%d requests, want 3 (rejected temperature, 503, answer)", len(srv.bodies))
	}
	if !strings.Contains(srv.bodies[0], `"temperature":0`) || strings.Contains(srv.bodies[1], "temperature") {
		t.Errorf("temperature not sent then dropped:\n%s\n%s", srv.bodies[0], srv.bodies[1])
	}
	for _, b := range srv.bodies {
		if !strings.Contains(b, `"chat_template_kwargs":{"enable_thinking":false}`) {
			t.Errorf("extra body missing: %s", b)
		}
	}
}

// A server that cannot be reached starts the cooldown.
func TestUnreachableServerCoolsDown(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	c, err := New(Config{BaseURL: url + "/v1", Model: "m"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Available() {
		t.Fatal("a new client is not available")
	}
	tool := openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "answer"}}
	if _, err := c.StreamTool(context.Background(), nil, tool, nil); err == nil {
		t.Fatal("no error from a closed server")
	}
	if c.Available() {
		t.Error("still available after the server could not be reached")
	}
	if _, err := New(Config{Model: "m"}, nil); err == nil {
		t.Error("a client without a base URL was made")
	}
}
