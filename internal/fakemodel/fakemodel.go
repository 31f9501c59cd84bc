// Package fakemodel is an OpenAI-compatible chat-completions server that answers from the
// passages of the assistant's prompt, for evaluating the assistant's model path without a model
// (`shebao eval chat --fake-model quoting|adversarial`). It speaks the real wire protocol:
// server-sent events with tool-call deltas split into small chunks, then [DONE].
package fakemodel

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
)

// Behaviour turns the user message of a request into the answer text the fake model writes.
type Behaviour func(userMessage string) string

// passageLine reads a passage line of the assistant's prompt: [P1] 《title》label（code）text.
var passageLine = regexp.MustCompile(`^\[(P\d+)\] 《[^》]*》[^（]*（[A-Z0-9-]+）(.*)$`)

// firstPassage returns the id and text of the first passage of a prompt.
func firstPassage(um string) (string, string) {
	for _, line := range strings.Split(um, "\n") {
		if m := passageLine.FindStringSubmatch(line); m != nil {
			return m[1], strings.TrimRight(strings.TrimSpace(m[2]), "。；")
		}
	}
	return "", ""
}

// Quoting quotes the first (best ranked) passage and cites it, as a careful model would.
func Quoting(um string) string {
	id, text := firstPassage(um)
	if id == "" {
		return "办事指南里没有写这个问题。"
	}
	return "根据办事指南，" + text + "[" + id + "]。"
}

// Adversarial quotes the first passage too, but around it invents figures (with a real
// citation and with none), cites a passage it was not given and an element code, and ends
// without a sentence end: every sentence but the quote must be dropped by the server.
func Adversarial(um string) string {
	id, text := firstPassage(um)
	if id == "" {
		return "您每月可以领取9999元[P1]。"
	}
	return "您每月可以领取9999元[" + id + "]。" + text + "[" + id + "]。办理时限为99个工作日。" +
		"最长可领36个月[P99]。一次性补助8888元[SX-YL-001#faq]。有疑问请拨打12333"
}

// Server is a running fake model.
type Server struct {
	URL   string // base URL, e.g. http://127.0.0.1:41234/v1
	srv   *http.Server
	chunk int
	reply Behaviour
}

// Start serves the fake model on a free loopback port. chunk is how many characters each
// tool-call delta carries (numbers and citations are split across chunks).
func Start(reply Behaviour, chunk int) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake model: %w", err)
	}
	if chunk <= 0 {
		chunk = 3
	}
	s := &Server{URL: "http://" + ln.Addr().String() + "/v1", chunk: chunk, reply: reply}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	um := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			um = m.Content
		}
	}
	args, _ := json.Marshal(map[string]any{"answer": s.reply(um), "suggestions": []string{"在哪里办？"}})
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	send := func(v map[string]any) {
		v["id"], v["object"], v["created"], v["model"] = "fake", "chat.completion.chunk", 1700000000, "fake"
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	choice := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	send(choice(map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{
		"index": 0, "id": "call_1", "type": "function", "function": map[string]any{"name": "answer", "arguments": ""}}}}, nil))
	rs := []rune(string(args))
	for i := 0; i < len(rs); i += s.chunk {
		piece := string(rs[i:min(i+s.chunk, len(rs))])
		send(choice(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": piece}}}}, nil))
	}
	send(choice(map[string]any{}, "tool_calls"))
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}
