// Package modelclient talks to an OpenAI-compatible model server (vLLM, Ollama, DeepSeek, Qwen,
// OpenAI) through go-openai, with the quirks of real servers handled around it: timeouts for
// connecting, headers and the first token; retries of 429 and 5xx within a budget; a cooldown
// after the server could not be reached; temperature 0 sent (and dropped for servers that
// reject it); extra body fields merged in. It knows nothing of prompts: callers compose the
// messages. The assistant's answers use it; transcription and speech will too.
package modelclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Config configures the OpenAI-compatible model server. Zero durations and counts take the
// defaults in brackets.
type Config struct {
	BaseURL string // e.g. http://127.0.0.1:8000/v1 (the part before /chat/completions)
	APIKey  string // sent as a bearer token; may be empty for local servers
	Model   string // model name, e.g. qwen3-8b
	// Temperature is sent when set, including 0 (which go-openai would otherwise leave out).
	// A server that rejects it gets the request again without it, and from then on never.
	Temperature *float32
	MaxTokens   int // max_tokens of the answer [800]
	// ExtraBody is merged into every request body, e.g. to turn thinking off on reasoning
	// models served by vLLM: {"chat_template_kwargs": {"enable_thinking": false}}.
	ExtraBody map[string]any
	// ConnectTimeout bounds dialling the server [300ms]; HeaderTimeout bounds the wait for
	// response headers [800ms] (streaming servers send them before the first token). A server that is down is noticed within them and the turn is
	// answered without the model.
	ConnectTimeout time.Duration
	HeaderTimeout  time.Duration
	// FirstTokenTimeout bounds the wait for the first streamed chunk after the headers [5s].
	FirstTokenTimeout time.Duration
	// Timeout bounds the whole completion [25s].
	Timeout time.Duration
	// MaxRetries is how often a 429 or 5xx answer is retried with backoff [2], within
	// RetryBudget of total waiting [800ms].
	MaxRetries  int
	RetryBudget time.Duration
	// Cooldown is how long the model is skipped after it could not be reached [30s].
	Cooldown time.Duration
	// HTTPClient replaces the default client (whose transport applies the timeouts above).
	HTTPClient *http.Client
}

// WithDefaults returns c with every zero setting replaced by its default.
func (c Config) WithDefaults() Config {
	if c.MaxTokens <= 0 {
		c.MaxTokens = 800
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 300 * time.Millisecond
	}
	if c.HeaderTimeout <= 0 {
		c.HeaderTimeout = 800 * time.Millisecond
	}
	if c.FirstTokenTimeout <= 0 {
		c.FirstTokenTimeout = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 25 * time.Second
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	} else if c.MaxRetries == 0 {
		c.MaxRetries = 2
	}
	if c.RetryBudget <= 0 {
		c.RetryBudget = 800 * time.Millisecond
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 30 * time.Second
	}
	return c
}

// Client talks to one model server. It is safe for concurrent use.
type Client struct {
	cfg Config
	api *openai.Client
	log *slog.Logger

	noTemperature atomic.Bool  // the server rejected temperature
	downUntil     atomic.Int64 // unix nanos until which the model is skipped
}

// New returns a client for the server cfg names; BaseURL and Model are required.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	cfg = cfg.WithDefaults()
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("model: BaseURL and Model are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Client{cfg: cfg, log: log}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := Transport(cfg.ConnectTimeout, cfg.HeaderTimeout, 32)
		tr.ForceAttemptHTTP2 = true
		hc = &http.Client{Transport: tr}
	}
	m.api = OpenAI(cfg.BaseURL, cfg.APIKey, &bodyPatcher{next: hc, m: m})
	return m, nil
}

// Transport is the HTTP transport for an OpenAI-compatible server: proxies from the environment,
// bounded waits for the connection and the response headers, and kept-alive connections.
func Transport(connect, header time.Duration, idlePerHost int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: header,
		MaxIdleConnsPerHost:   idlePerHost,
		IdleConnTimeout:       90 * time.Second,
	}
}

// OpenAI returns a go-openai client for the server at base (trailing slashes dropped) with key,
// sending through hc.
func OpenAI(base, key string, hc openai.HTTPDoer) *openai.Client {
	oc := openai.DefaultConfig(key)
	oc.BaseURL = strings.TrimRight(base, "/")
	oc.HTTPClient = hc
	return openai.NewClientWithConfig(oc)
}

// Config returns the client's settings, defaults applied.
func (m *Client) Config() Config { return m.cfg }

// Available reports whether the model is worth trying now: false during the cooldown after the
// server could not be reached.
func (m *Client) Available() bool { return time.Now().UnixNano() >= m.downUntil.Load() }

// MarkDown starts the cooldown, during which Available is false.
func (m *Client) MarkDown() {
	m.downUntil.Store(time.Now().Add(m.cfg.Cooldown).UnixNano())
}

// bodyPatcher edits request bodies on their way out: it sets temperature (including 0, which
// go-openai omits) unless the server rejected it, and merges ExtraBody.
type bodyPatcher struct {
	next *http.Client
	m    *Client
}

// Do implements openai.HTTPDoer.
func (p *bodyPatcher) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Method != http.MethodPost {
		return p.next.Do(req)
	}
	raw, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	// go-openai never writes temperature (it is left zero in the request) nor the ExtraBody
	// keys, so they are spliced in after the opening brace instead of re-encoding the body.
	var extra bytes.Buffer
	if t := p.m.cfg.Temperature; t != nil && !p.m.noTemperature.Load() {
		b, _ := json.Marshal(*t)
		extra.WriteString(`"temperature":`)
		extra.Write(b)
		extra.WriteByte(',')
	}
	for k, v := range p.m.cfg.ExtraBody {
		kb, err1 := json.Marshal(k)
		vb, err2 := json.Marshal(v)
		if err1 == nil && err2 == nil {
			extra.Write(kb)
			extra.WriteByte(':')
			extra.Write(vb)
			extra.WriteByte(',')
		}
	}
	if extra.Len() > 0 && len(raw) > 2 && raw[0] == '{' {
		patched := make([]byte, 0, len(raw)+extra.Len())
		patched = append(patched, '{')
		patched = append(patched, extra.Bytes()...)
		patched = append(patched, raw[1:]...)
		raw = patched
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	req.ContentLength = int64(len(raw))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	return p.next.Do(req)
}

// ToolCall is one tool call assembled from streamed deltas.
type ToolCall struct {
	ID   string
	Name string
	Args strings.Builder // the arguments (JSON) as streamed
}

// Completion is the outcome of one streamed chat completion.
type Completion struct {
	Calls   []*ToolCall // in the order the server indexed them
	Content string      // text outside tool calls, if the server sent any
	Usage   *openai.Usage
}

// StreamTool runs one streamed completion with a forced call of tool, passing each piece of the
// tool's arguments to onArgs as it arrives. It retries 429 and 5xx answers with backoff, and a
// request the server rejected because of temperature, without it.
func (m *Client) StreamTool(ctx context.Context, msgs []openai.ChatCompletionMessage, tool openai.Tool, onArgs func(string)) (*Completion, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	req := openai.ChatCompletionRequest{
		Model:         m.cfg.Model,
		Messages:      msgs,
		MaxTokens:     m.cfg.MaxTokens,
		Stream:        true,
		Tools:         []openai.Tool{tool},
		ToolChoice:    openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: tool.Function.Name}},
		StreamOptions: &openai.StreamOptions{IncludeUsage: true},
	}
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		st, err := m.api.CreateChatCompletionStream(ctx, req)
		if err == nil {
			out, err := m.read(ctx, cancel, st, onArgs)
			st.Close()
			return out, err
		}
		status := HTTPStatus(err)
		switch {
		case status == http.StatusBadRequest && m.cfg.Temperature != nil && !m.noTemperature.Load() && mentionsTemperature(err):
			m.log.Warn("model server rejects temperature; retrying without it", "status", status)
			m.noTemperature.Store(true)
			continue
		case (status == http.StatusTooManyRequests || status >= 500) && attempt < m.cfg.MaxRetries:
			d := backoff(attempt)
			if waited+d > m.cfg.RetryBudget {
				return nil, fmt.Errorf("model server answered %d, retry budget spent: %w", status, err)
			}
			waited += d
			m.log.Warn("model server busy; retrying", "status", status, "attempt", attempt+1, "wait_ms", d.Milliseconds())
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		case status == 0 && ctx.Err() == nil:
			// no HTTP answer at all: connection refused, DNS, header timeout
			m.MarkDown()
		}
		return nil, fmt.Errorf("model request: %w", err)
	}
}

// read consumes a stream, assembling tool calls. Chunks whose tool-call delta has no index (some
// servers leave it out) belong to the call with the same id, else to the last call.
func (m *Client) read(ctx context.Context, cancel context.CancelFunc, st *openai.ChatCompletionStream, onArgs func(string)) (*Completion, error) {
	out := &Completion{}
	first := time.AfterFunc(m.cfg.FirstTokenTimeout, cancel)
	defer first.Stop()
	var content strings.Builder
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return out, fmt.Errorf("model stream: %w", ctx.Err())
			}
			return out, fmt.Errorf("model stream: %w", err)
		}
		first.Stop()
		if resp.Usage != nil {
			out.Usage = resp.Usage
		}
		for _, ch := range resp.Choices {
			content.WriteString(ch.Delta.Content)
			for _, tc := range ch.Delta.ToolCalls {
				call := out.callFor(tc)
				if tc.ID != "" && call.ID == "" {
					call.ID = tc.ID
				}
				if tc.Function.Name != "" && call.Name == "" {
					call.Name = tc.Function.Name
				}
				if tc.Function.Arguments != "" {
					call.Args.WriteString(tc.Function.Arguments)
					if call == out.Calls[0] && onArgs != nil {
						onArgs(tc.Function.Arguments)
					}
				}
			}
		}
	}
	out.Content = content.String()
	return out, nil
}

func (c *Completion) callFor(tc openai.ToolCall) *ToolCall {
	if tc.Index != nil {
		for len(c.Calls) <= *tc.Index {
			c.Calls = append(c.Calls, &ToolCall{})
		}
		return c.Calls[*tc.Index]
	}
	if tc.ID != "" {
		for _, call := range c.Calls {
			if call.ID == tc.ID {
				return call
			}
		}
		if n := len(c.Calls); n == 0 || c.Calls[n-1].ID != "" {
			c.Calls = append(c.Calls, &ToolCall{})
		}
		return c.Calls[len(c.Calls)-1]
	}
	if len(c.Calls) == 0 {
		c.Calls = append(c.Calls, &ToolCall{})
	}
	return c.Calls[len(c.Calls)-1]
}

// HTTPStatus returns the HTTP status of a go-openai error, or 0 if the server never answered.
func HTTPStatus(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

func mentionsTemperature(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "temperature")
}

// backoff is 100ms, 200ms, 400ms … with ±20% jitter.
func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << attempt
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
