// Package assistant is the chat assistant of the app: sessions over a WebSocket, a turn pipeline
// (sanitise → mask personal data → route → retrieve → compose → check numbers → stream) that
// answers questions about service guides with citations, the retirement-age calculator in
// conversation, handoff to the 12333 hotline, and the prompts of an optional model. What it
// builds on lives elsewhere: the masker in internal/pii, spoken numerals and dates in
// internal/spoken, the model server's client in internal/modelclient, the rate limits in
// internal/ratelimit.
//
// With no model configured (the default) answers are extractive: the element of the guide the
// question is about, in short sentences, with its citation. A model only rephrases what the
// retrieved guides say, through a forced tool call that names the guide elements it used; Go
// checks every number it says against those elements.
package assistant

import (
	"context"

	"shebao/assistant/formflow"
	"shebao/assistant/voice"
	"shebao/content"
)

// Hit is one guide found by a Retriever, best first.
type Hit struct {
	Code  string  // the guide's code (事项编码)
	Score float64 // relevance; only the order and the ratio to the best hit are used
}

// Retriever finds the guides a question is about. The search package backs it in production.
type Retriever interface {
	Retrieve(ctx context.Context, query string, limit int) ([]Hit, error)
}

// GuideWording is implemented by a Retriever that knows how the guides say what people say
// (search's synonym table): the terms of a question, each with the guides' word for it ({媳妇,
// 配偶}). A passage that says 配偶 then speaks of what a question about 媳妇 is about.
type GuideWording interface {
	GuideTerms(question string) [][2]string
}

// Guides returns the published version of a guide.
type Guides interface {
	Guide(ctx context.Context, code string) (content.Guide, error)
}

// Principal is the authenticated user behind a connection.
type Principal struct {
	Subject string   // stable user id
	Roles   []string // e.g. "person", "editor"
}

// TokenVerifier checks a bearer token sent in the hello frame.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Route is what a turn was recognised as.
type Route string

// The routes of a turn.
const (
	RouteGuide      Route = "guide"        // a question about a service guide
	RouteAccount    Route = "account"      // about the user's own records: pointed to the records screen
	RouteRetirement Route = "retirement"   // retirement age, early retirement, minimum contribution years
	RouteOutOfScope Route = "out_of_scope" // not about social insurance
	RouteHandoff    Route = "handoff"      // the user asked for a person
	RouteDistress   Route = "distress"     // the user may be in crisis: 12333 and a person
	RouteInjection  Route = "injection"    // an attempt to change the assistant's instructions
	RouteGreeting   Route = "greeting"     // hello, thanks
)

// Citation names the guide element an answer is built from.
type Citation struct {
	Code    string `json:"code"`    // guide code, or the decision for the retirement calculator
	Title   string `json:"title"`   // guide name, filled in by the server, never by a model
	Element string `json:"element"` // element key, e.g. materials, time_limit (see Elements)
	Label   string `json:"label"`   // the element's Chinese name, e.g. 申请材料
}

// Handoff tells the client to offer a person: the hotline and why.
type Handoff struct {
	Phone  string `json:"phone"`
	Reason string `json:"reason"` // requested, distress, model_unavailable, repeated_failure
}

// Answer is the outcome of one turn.
type Answer struct {
	Route       Route      `json:"route"`
	Text        string     `json:"text"`
	Citations   []Citation `json:"citations"`
	Speakable   string     `json:"speakable"`
	Suggestions []string   `json:"suggestions"`
	Handoff     *Handoff   `json:"handoff,omitempty"`
	// Asks reports that the answer is one question back, e.g. the birth month.
	Asks bool `json:"asks,omitempty"`
	// SessionID is the session the turn ran in.
	SessionID string `json:"session_id"`
	// Seq is the sequence number of the stored answer event.
	Seq int64 `json:"seq"`
	// Model reports whether a model composed the text (false: extractive).
	Model bool `json:"model"`
	// Dropped counts sentences removed by the number check.
	Dropped int `json:"dropped,omitempty"`
	// FellBack reports that the composed text failed a check and the guide was quoted instead.
	FellBack bool `json:"fell_back,omitempty"`
	// NoAnswer reports that the guides do not answer the question: the text says so, names the
	// closest guide and offers 12333.
	NoAnswer bool `json:"no_answer,omitempty"`

	// Voice is the person's voice settings in force, sent when a turn changed them.
	Voice *voice.Settings `json:"voice,omitempty"`
	// AudioURL plays the speakable text (when the client asked for speech in hello); AudioError
	// is voice_unavailable when the speech could not be made in time.
	AudioURL   string `json:"audio_url,omitempty"`
	AudioError string `json:"audio_error,omitempty"`

	figure      bool            // answered with the passages holding the figures asked for
	figureTopic float64         // how much of the question those passages cover (the least of them)
	sources     []string        // computed figures (retirement calculator) the text may use, for evaluation
	shaped      bool            // already within the elder rules (the rest of a long reply)
	form        *formflow.Reply // a guided-form turn: sent as a form event
}

// Hotline is the social-insurance hotline offered on handoff.
const Hotline = "12333"
