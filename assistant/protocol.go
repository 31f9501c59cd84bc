package assistant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"shebao/assistant/voice"
	"shebao/internal/apperr"
)

// Frame types sent by the client. See PROTOCOL.md.
const (
	FrameHello   = "hello"
	FrameMessage = "message"
	FrameCancel  = "cancel"
	FramePing    = "ping"
	FrameAudio   = "audio"
)

// Event types sent by the server. See PROTOCOL.md.
const (
	EventReady   = "ready"
	EventDelta   = "delta"
	EventAnswer  = "answer"
	EventForm    = "form"
	EventHandoff = "handoff"
	EventError   = "error"
	EventPong    = "pong"
	EventNotice  = "notice"
	EventHeard   = "heard"
)

// ClientFrame is one frame from the client. Which fields are used depends on Type.
type ClientFrame struct {
	Type string `json:"type"`
	// hello
	Token     string `json:"token,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	LastSeq   int64  `json:"last_seq,omitempty"`
	ElderMode *bool  `json:"elder_mode,omitempty"` // absent: on for a signed-in person of 65+ (Options.Elderly)
	Locale    string `json:"locale,omitempty"`
	Speech    bool   `json:"speech,omitempty"` // answers come with audio_url
	// message
	Text string `json:"text,omitempty"`
	// message, cancel (which message), ping (echoed in pong), audio (which recording)
	ID string `json:"id,omitempty"`
	// audio: a piece of a recording, base64, and whether it is the last
	Data   string `json:"data,omitempty"`
	Format string `json:"format,omitempty"` // what the client recorded, e.g. audio/webm (the bytes decide)
	Final  bool   `json:"final,omitempty"`
}

// Limits on client frame fields, beyond the frame size limit.
const (
	maxIDLen     = 64
	maxTokenLen  = 4096
	maxLocaleLen = 16
)

// Frame decoding errors; the connection stays open after either.
var (
	errBadFrame     = errors.New("bad frame")
	errUnknownFrame = errors.New("unknown frame type")
)

// DecodeFrame parses one client frame. It fails with an error wrapping errBadFrame for anything
// that is not one JSON object with correctly typed, reasonably sized fields, and errUnknownFrame
// for a type it does not know.
func DecodeFrame(data []byte) (ClientFrame, error) {
	var f ClientFrame
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return f, fmt.Errorf("%w: not a JSON object", errBadFrame)
	}
	if !utf8.Valid(data) {
		return f, fmt.Errorf("%w: not UTF-8", errBadFrame)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return ClientFrame{}, fmt.Errorf("%w: %v", errBadFrame, err)
	}
	if dec.More() {
		return ClientFrame{}, fmt.Errorf("%w: trailing data", errBadFrame)
	}
	switch {
	case len(f.ID) > maxIDLen:
		return ClientFrame{}, fmt.Errorf("%w: id longer than %d", errBadFrame, maxIDLen)
	case len(f.SessionID) > maxIDLen:
		return ClientFrame{}, fmt.Errorf("%w: session_id longer than %d", errBadFrame, maxIDLen)
	case len(f.Token) > maxTokenLen:
		return ClientFrame{}, fmt.Errorf("%w: token longer than %d", errBadFrame, maxTokenLen)
	case len(f.Format) > maxLocaleLen*4:
		return ClientFrame{}, fmt.Errorf("%w: format longer than %d", errBadFrame, maxLocaleLen*4)
	case len(f.Locale) > maxLocaleLen:
		return ClientFrame{}, fmt.Errorf("%w: locale longer than %d", errBadFrame, maxLocaleLen)
	case f.LastSeq < 0:
		return ClientFrame{}, fmt.Errorf("%w: negative last_seq", errBadFrame)
	}
	switch f.Type {
	case FrameHello, FrameMessage, FrameCancel, FramePing, FrameAudio:
	case "":
		return ClientFrame{}, fmt.Errorf("%w: no type", errBadFrame)
	default:
		return ClientFrame{Type: f.Type}, fmt.Errorf("%w: %.32q", errUnknownFrame, f.Type)
	}
	return f, nil
}

// eventHeader is the part every server event has.
type eventHeader struct {
	Type string `json:"type"`
	// Seq is the position in the session's durable event log. Durable events (answer, handoff,
	// form) each take the next number; transient events (ready, delta, error, pong, notice)
	// carry the number of the last durable event sent before them.
	Seq int64 `json:"seq"`
}

func (h *eventHeader) header() *eventHeader { return h }

// event is any server event.
type event interface{ header() *eventHeader }

// ReadyEvent acknowledges hello.
type ReadyEvent struct {
	eventHeader
	SessionID string      `json:"session_id"`
	Resumed   bool        `json:"resumed"`           // the session existed and is yours
	Adopted   bool        `json:"adopted,omitempty"` // a signed-in hello took over the anonymous session it resumed
	Replay    int         `json:"replay"`            // how many missed events follow
	Gap       bool        `json:"gap,omitempty"`     // more were missed than are replayed
	Anonymous bool        `json:"anonymous"`         // no verified token
	Model     bool        `json:"model"`             // a model is configured
	Limits    ReadyLimits `json:"limits"`
	// VoiceInput: audio frames are transcribed; VoiceOutput: answers can come with audio.
	VoiceInput  bool            `json:"voice_input"`
	VoiceOutput bool            `json:"voice_output"`
	Voice       *voice.Settings `json:"voice"` // the voice settings in force (rate, voice, text_size)
	// ElderMode is the mode in force: as hello asked, or on by default for a person of 65+.
	ElderMode bool `json:"elder_mode"`
}

// ReadyLimits tells the client the limits it must respect.
type ReadyLimits struct {
	MaxFrameBytes   int64   `json:"max_frame_bytes"`
	MaxMessageChars int     `json:"max_message_chars"`
	MessagesPerSec  float64 `json:"messages_per_second"`
	MessageBurst    int     `json:"message_burst"`
	PingIntervalSec int     `json:"ping_interval_seconds"`
	IdleTimeoutSec  int     `json:"idle_timeout_seconds"`
	MaxAudioBytes   int     `json:"max_audio_bytes"`       // one audio message, all its frames
	MaxAudioChunk   int     `json:"max_audio_chunk_bytes"` // decoded audio in one audio frame
}

// DeltaEvent is a piece of an answer being written. The answer event with the same reply_to
// replaces all deltas.
type DeltaEvent struct {
	eventHeader
	ReplyTo string `json:"reply_to"`
	Text    string `json:"text"`
}

// AnswerEvent is the final, checked answer to a message.
type AnswerEvent struct {
	eventHeader
	ReplyTo     string     `json:"reply_to"`
	Route       Route      `json:"route"`
	Text        string     `json:"text"`
	Citations   []Citation `json:"citations"`
	Speakable   string     `json:"speakable"`
	Suggestions []string   `json:"suggestions"`
	Asks        bool       `json:"asks,omitempty"`      // the answer asks the user for a fact
	NoAnswer    bool       `json:"no_answer,omitempty"` // the guides do not answer the question
	// Voice is the voice settings in force when the turn changed them ("说慢一点").
	Voice *voice.Settings `json:"voice,omitempty"`
	// AudioURL plays the speakable text (hello speech); AudioError is voice_unavailable when the
	// audio could not be made in time: the answer is text only.
	AudioURL   string `json:"audio_url,omitempty"`
	AudioError string `json:"audio_error,omitempty"`
}

// HeardEvent tells the client what was heard in its audio message, before the answer. Heard
// false: nothing usable was heard (no turn runs); Message says so.
type HeardEvent struct {
	eventHeader
	ReplyTo   string `json:"reply_to"`
	Heard     bool   `json:"heard"`
	Text      string `json:"text"`
	Message   string `json:"message,omitempty"`
	Speakable string `json:"speakable,omitempty"`
}

// HandoffEvent asks the client to offer a person.
type HandoffEvent struct {
	eventHeader
	ReplyTo string `json:"reply_to"`
	Phone   string `json:"phone"`
	Reason  string `json:"reason"`
}

// FormEvent is a turn of a guided form: what is said, and where the form stands.
type FormEvent struct {
	eventHeader
	ReplyTo   string     `json:"reply_to"`
	Form      FormState  `json:"form"`
	Text      string     `json:"text"`
	Speakable string     `json:"speakable"`
	Citations []Citation `json:"citations,omitempty"` // the guide an explanation comes from
	// Suggestions are buttons (再说一遍, 这是什么意思, 转人工) while the form asks.
	Suggestions []string `json:"suggestions,omitempty"`
}

// FormState is where a form session stands.
type FormState struct {
	Code     string      `json:"code"`    // form code
	Version  int         `json:"version"` // form version the application started with
	Title    string      `json:"title"`
	State    string      `json:"state"` // asking, confirming, submitted, cancelled
	Field    *FormField  `json:"field,omitempty"`
	Progress [2]int      `json:"progress"` // fields done, fields total
	Values   []FormValue `json:"values,omitempty"`
	// ApplicationID is the application a submitted form became.
	ApplicationID string `json:"application_id,omitempty"`
}

// FormField is the field being asked for.
type FormField struct {
	Name     string       `json:"name"`
	Label    string       `json:"label"`
	Kind     string       `json:"kind"` // text, number, date, month, choice, yes_no, id_card, phone, bank_card, name
	Required bool         `json:"required"`
	Options  []FormOption `json:"options,omitempty"`
	Hint     string       `json:"hint,omitempty"`
}

// FormOption is one choice of a choice field.
type FormOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FormValue is a value already given, masked when it is personal data.
type FormValue struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// ErrorEvent reports a problem with a frame or a turn.
type ErrorEvent struct {
	eventHeader
	ReplyTo      string `json:"reply_to,omitempty"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
}

// PongEvent answers ping.
type PongEvent struct {
	eventHeader
	ID string `json:"id,omitempty"`
}

// NoticeEvent is a message to every connected client, e.g. planned maintenance.
type NoticeEvent struct {
	eventHeader
	Text string `json:"text"`
}

// ErrorCodes lists the error codes of ErrorEvent, for documentation and tests. The codes and
// their messages are entries of the one error catalogue (internal/apperr).
func ErrorCodes() []string {
	codes := make([]string, len(apperr.ChatKinds))
	for i, k := range apperr.ChatKinds {
		codes[i] = k.Code
	}
	return codes
}

// newError is an error event of catalogue kind k.
func newError(k apperr.Kind, replyTo string) *ErrorEvent {
	return errorEvent(apperr.New(k, ""), replyTo)
}

// errorEvent is the error event for an application error, with its code and message.
func errorEvent(e *apperr.Error, replyTo string) *ErrorEvent {
	return &ErrorEvent{eventHeader: eventHeader{Type: EventError}, Code: e.Code, Message: e.Message, ReplyTo: replyTo}
}

// Close codes used by the server, from the error catalogue. See PROTOCOL.md.
const (
	CloseIdle               = int(apperr.CloseIdle)
	CloseUnauthenticated    = int(apperr.CloseUnauthenticated)
	CloseSlowConsumer       = int(apperr.CloseSlowConsumer)
	CloseReplaced           = int(apperr.CloseReplaced)
	CloseHelloTimeout       = int(apperr.CloseHelloTimeout)
	CloseTooManyConnections = int(apperr.CloseTooManyConnections)
)
