package assistant

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/internal/modelclient"
)

// fakeModel is an OpenAI-compatible chat completions server for tests: it speaks the real wire
// protocol (SSE chunks, tool-call deltas, usage, [DONE]) and records what it was sent.
type fakeModel struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	requests []map[string]any
	raw      []string
	arrived  []time.Time // when each request arrived
	firstArg []time.Time // when the first piece of tool arguments was flushed

	fakeBehavior
}

// fakeBehavior is what the fake model does; tests change it between turns with set.
type fakeBehavior struct {
	// statuses are answered, in order, before any completion (e.g. 429, 500).
	statuses []int
	// rejectTemperature answers 400 to any request that sets temperature.
	rejectTemperature bool
	// reply builds the tool-call arguments from the request; nil answers with answer.
	reply  func(req map[string]any) string
	answer string
	// chunkRunes splits the arguments into pieces of this many characters (default 3).
	chunkRunes int
	// noIndex leaves "index" out of every tool-call delta after the first.
	noIndex bool
	// contentOnly answers in content instead of calling the tool.
	contentOnly bool
	// delay is waited before each chunk; firstDelay before the first one.
	delay, firstDelay time.Duration
	// hang never answers.
	hang bool
}

func newFakeModel(t testing.TB) *fakeModel {
	f := &fakeModel{t: t, fakeBehavior: fakeBehavior{chunkRunes: 3}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeModel) config() *ModelConfig {
	zero := float32(0)
	// Generous waits (hang detectors): on a loaded machine under -race the fake's headers can
	// take longer than the production defaults, and one such miss would put the model in its
	// cool-down for the rest of a test. Tests of the timeouts set their own.
	return &ModelConfig{Config: modelclient.Config{BaseURL: f.srv.URL + "/v1", APIKey: "test-key", Model: "fake-qwen", Temperature: &zero,
		ConnectTimeout: 10 * time.Second, HeaderTimeout: 10 * time.Second, FirstTokenTimeout: 10 * time.Second,
		ExtraBody: map[string]any{"chat_template_kwargs": map[string]any{"enable_thinking": false}}}}
}

// set changes the behaviour safely while the server runs.
func (f *fakeModel) set(change func(f *fakeModel)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeModel) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeModel) request(i int) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[i]
}

func (f *fakeModel) allRaw() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.raw, "\n")
}

func (f *fakeModel) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
		return
	}
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.raw = append(f.raw, string(body))
	f.arrived = append(f.arrived, arrived)
	reqIndex := len(f.requests) - 1
	f.firstArg = append(f.firstArg, time.Time{})
	var status int
	if len(f.statuses) > 0 {
		status, f.statuses = f.statuses[0], f.statuses[1:]
	}
	b := f.fakeBehavior // a snapshot: tests may change the behaviour between turns
	f.mu.Unlock()
	if b.hang {
		<-r.Context().Done()
		return
	}
	if _, ok := req["temperature"]; ok && b.rejectTemperature {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"Unsupported value: 'temperature' does not support 0 with this model.","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}`)
		return
	}
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"server says %d","type":"server_error"}}`, status)
		return
	}
	args := b.answer
	if b.reply != nil {
		args = b.reply(req)
	}
	args = resolveCites(args, req)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	send := func(chunk map[string]any) bool {
		chunk["id"], chunk["object"], chunk["created"], chunk["model"] = "chatcmpl-fake", "chat.completion.chunk", 1700000000, "fake-qwen"
		b, _ := json.Marshal(chunk)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	wait := func(d time.Duration) bool {
		select {
		case <-time.After(d):
			return true
		case <-r.Context().Done():
			return false
		}
	}
	if !wait(b.firstDelay) {
		return
	}
	choice := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	// The tool called is the one the request forces, as a real server does.
	toolName := "answer"
	if tc, ok := req["tool_choice"].(map[string]any); ok {
		if fn, ok := tc["function"].(map[string]any); ok {
			if n, ok := fn["name"].(string); ok && n != "" {
				toolName = n
			}
		}
	}
	if b.contentOnly {
		send(choice(map[string]any{"role": "assistant", "content": args}, nil))
	} else {
		send(choice(map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{
			"index": 0, "id": "call_1", "type": "function", "function": map[string]any{"name": toolName, "arguments": ""}}}}, nil))
		rs := []rune(args)
		for i := 0; i < len(rs); i += b.chunkRunes {
			if !wait(b.delay) {
				return
			}
			piece := string(rs[i:min(i+b.chunkRunes, len(rs))]) // may split an escape sequence
			tc := map[string]any{"function": map[string]any{"arguments": piece}}
			if !b.noIndex {
				tc["index"] = 0
			}
			if !send(choice(map[string]any{"tool_calls": []any{tc}}, nil)) {
				return
			}
			if i == 0 {
				f.mu.Lock()
				f.firstArg[reqIndex] = time.Now()
				f.mu.Unlock()
			}
		}
	}
	send(choice(map[string]any{}, "tool_calls"))
	send(map[string]any{"choices": []any{}, "usage": map[string]any{"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876}})
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

// toolArgs encodes an answer as the model would. Write a citation of the passage holding
// some words as [[words]]: the fake model replaces it by that passage's id in the prompt it
// was sent ([[words]] that no passage holds becomes [P99], a passage it was not given).
func toolArgs(answer string) string {
	b, _ := json.Marshal(map[string]any{"answer": answer, "suggestions": []string{"在哪里办？"}})
	return string(b)
}

var citePlaceholder = regexp.MustCompile(`\[\[([^\]]+)\]\]`)

// resolveCites replaces each [[words]] in args by [Pn], the id of the passage of the prompt
// that holds the words.
func resolveCites(args string, req map[string]any) string {
	um := userMessage(req)
	return citePlaceholder.ReplaceAllStringFunc(args, func(m string) string {
		words := citePlaceholder.FindStringSubmatch(m)[1]
		for _, line := range strings.Split(um, "\n") {
			if strings.HasPrefix(line, "[P") && strings.Contains(line, words) {
				return line[:strings.Index(line, "]")+1]
			}
		}
		return "[P99]"
	})
}

// passageIDsIn returns the passage ids of a prompt.
func passageIDsIn(req map[string]any) []string {
	var ids []string
	for _, line := range strings.Split(userMessage(req), "\n") {
		if strings.HasPrefix(line, "[P") {
			ids = append(ids, line[1:strings.Index(line, "]")])
		}
	}
	return ids
}

// userMessage returns the content of the user message of a recorded request.
func userMessage(req map[string]any) string { return roleMessage(req, "user") }

func systemMessage(req map[string]any) string { return roleMessage(req, "system") }

// roleMessage returns the content of the first message of role in a recorded request.
func roleMessage(req map[string]any, role string) string {
	msgs, _ := req["messages"].([]any)
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		if mm["role"] == role {
			s, _ := mm["content"].(string)
			return s
		}
	}
	return ""
}
