package assistant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"shebao/assistant/formflow"
	"shebao/assistant/voice"
	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/ratelimit"
)

// Options configures a Service. DB, Retriever and Guides are required.
type Options struct {
	DB        *db.DB
	Retriever Retriever
	Guides    Guides
	// Verifier checks hello tokens; nil serves anonymous sessions only (tokens are ignored).
	Verifier TokenVerifier
	// Model is the OpenAI-compatible model server; nil answers without a model (extractive).
	Model *ModelConfig
	// Log receives structured logs; personal data is masked before it gets here.
	Log *slog.Logger
	// Limits bounds frames, buffers, timeouts and rates; zero fields take DefaultLimits.
	Limits Limits
	// AllowedOrigins lists the Origin values a browser may connect from, e.g.
	// "https://app.example.cn". Empty allows only same-origin requests (Origin host equal to
	// Host) and clients that send no Origin (native apps, the terminal client); "*" allows all.
	AllowedOrigins []string
	// RateLimiter counts messages per user and per IP; nil uses an in-memory limiter.
	RateLimiter ratelimit.Limiter
	// ClientIP returns the client address used for per-IP limits; nil uses the host of
	// RemoteAddr. Set it when a trusted proxy puts the client in a header.
	ClientIP func(*http.Request) string
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
	// Voice transcribes audio messages and speaks answers (voice.Service); nil: text only.
	Voice Voice
	// VoiceSettings remembers signed-in people's voice settings (voice.SettingsStore); nil:
	// settings last as long as the session.
	VoiceSettings VoiceSettingsStore
	// Forms is the guided-form engine; nil answers questions only.
	Forms *formflow.Engine
	// Personal, when set, answers a person's questions about their own affairs (their
	// applications' progress, their retirement month) from their data, before guide questions.
	Personal PersonalData
	// Elderly, when set, tells whether a signed-in person is 65 or older (from their profile):
	// their chat then starts in elder mode unless the client says otherwise in hello.
	Elderly func(ctx context.Context, subject string) bool
}

// PersonalData answers questions about the person's own affairs from their data (the
// applications feature implements it). subject is "" for an anonymous session; text is the
// masked message. ok is false when the message is not such a question or the data cannot answer
// it; route is a Route value ("account", "retirement").
type PersonalData interface {
	Answer(ctx context.Context, subject, text string, now time.Time) (route, reply string, ok bool, err error)
}

// Limits bounds what one connection and one user may do.
type Limits struct {
	MaxFrameBytes int64          // largest client frame; larger closes the connection with 1009 (8 KiB)
	SendBuffer    int            // events queued per connection before it counts as slow (32)
	PingInterval  time.Duration  // WebSocket ping interval (25 s)
	PongWait      time.Duration  // a connection with no frame or pong for this long is dead (60 s)
	WriteTimeout  time.Duration  // one write to the socket (10 s)
	HelloTimeout  time.Duration  // time to send hello after connecting (10 s)
	IdleTimeout   time.Duration  // no message for this long closes the connection with 4000 (15 min)
	TurnTimeout   time.Duration  // one turn, model included (30 s)
	ReplayMax     int            // events replayed on resume (200)
	MaxBadFrames  int            // bad frames tolerated per connection before closing with 1008 (20)
	User          ratelimit.Rate // messages per user (or anonymous session): burst 5, 1/s
	IP            ratelimit.Rate // messages per client IP: burst 30, 10/s
	FramesPerConn ratelimit.Rate // frames of any type per connection: burst 300, 100/s; beyond closes with 1008
	ConnsPerIP    int            // open connections per client address; more answer 429 too_many_connections (64)
	ConnsPerUser  int            // open connections per signed-in person; more close with 4005 (8)
	// SpeechTimeout bounds making an answer's audio; past it the answer goes out as text with
	// audio_error voice_unavailable (1.5 s).
	SpeechTimeout time.Duration
	// MaxAudioBytes bounds one audio message assembled from audio frames (2 MiB, or the voice
	// service's limit).
	MaxAudioBytes int
}

// DefaultLimits are the limits used for zero fields of Options.Limits.
var DefaultLimits = Limits{
	MaxFrameBytes: 8 << 10,
	SendBuffer:    32,
	PingInterval:  25 * time.Second,
	PongWait:      60 * time.Second,
	WriteTimeout:  10 * time.Second,
	HelloTimeout:  10 * time.Second,
	IdleTimeout:   15 * time.Minute,
	TurnTimeout:   30 * time.Second,
	ReplayMax:     200,
	MaxBadFrames:  20,
	User:          ratelimit.Rate{Burst: 5, PerSecond: 1},
	IP:            ratelimit.Rate{Burst: 30, PerSecond: 10},
	FramesPerConn: ratelimit.Rate{Burst: 300, PerSecond: 100},
	// A household or an office behind one NAT shares an address; 64 leaves room for that while
	// 500 from one address (what a probe opened) is refused. A person has a phone, a tablet and
	// a browser or two: 8.
	ConnsPerIP:    64,
	ConnsPerUser:  8,
	SpeechTimeout: 1500 * time.Millisecond,
	MaxAudioBytes: 2 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setR := func(v *ratelimit.Rate, def ratelimit.Rate) {
		if v.Burst <= 0 || v.PerSecond <= 0 {
			*v = def
		}
	}
	set(&l.MaxFrameBytes, d.MaxFrameBytes)
	setI(&l.SendBuffer, d.SendBuffer)
	setD(&l.PingInterval, d.PingInterval)
	setD(&l.PongWait, d.PongWait)
	setD(&l.WriteTimeout, d.WriteTimeout)
	setD(&l.HelloTimeout, d.HelloTimeout)
	setD(&l.IdleTimeout, d.IdleTimeout)
	setD(&l.TurnTimeout, d.TurnTimeout)
	setI(&l.ReplayMax, d.ReplayMax)
	setI(&l.MaxBadFrames, d.MaxBadFrames)
	setR(&l.User, d.User)
	setR(&l.IP, d.IP)
	setR(&l.FramesPerConn, d.FramesPerConn)
	setI(&l.ConnsPerIP, d.ConnsPerIP)
	setI(&l.ConnsPerUser, d.ConnsPerUser)
	setD(&l.SpeechTimeout, d.SpeechTimeout)
	setI(&l.MaxAudioBytes, d.MaxAudioBytes)
	if l.PongWait <= l.PingInterval {
		l.PongWait = l.PingInterval * 2
	}
	return l
}

// Service runs chat sessions. It is safe for concurrent use.
type Service struct {
	opts     Options
	limits   Limits
	store    *store
	log      *slog.Logger
	now      func() time.Time
	limiter  ratelimit.Limiter
	model    *modelClient
	upgrader websocket.Upgrader
	passages passageCache // the passages of the guides answered from

	ctx    context.Context // parent of every turn; cancelled by Close
	cancel context.CancelFunc
	turns  sync.WaitGroup

	mu        sync.Mutex
	sessions  map[string]*session
	conns     map[*conn]struct{}
	open      openConns // per address and person, for ConnsPerIP and ConnsPerUser
	lastSweep time.Time
	closed    bool
}

// New returns a Service. It runs the assistant's migrations on opts.DB.
func New(ctx context.Context, opts Options) (*Service, error) {
	if opts.DB == nil || opts.Retriever == nil || opts.Guides == nil {
		return nil, errors.New("assistant: DB, Retriever and Guides are required")
	}
	if err := opts.DB.Migrate(ctx, "assistant", Migrations); err != nil {
		return nil, fmt.Errorf("assistant: %w", err)
	}
	s := &Service{
		opts:     opts,
		limits:   opts.Limits.withDefaults(),
		store:    &store{db: opts.DB},
		log:      opts.Log,
		now:      opts.Now,
		limiter:  opts.RateLimiter,
		sessions: map[string]*session{},
		conns:    map[*conn]struct{}{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "assistant")
	if s.now == nil {
		s.now = time.Now
	}
	if s.limiter == nil {
		s.limiter = ratelimit.NewMemory(s.now)
	}
	if opts.Model != nil {
		m, err := newModelClient(*opts.Model, s.log)
		if err != nil {
			return nil, fmt.Errorf("assistant: %w", err)
		}
		s.model = m
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// Buffers: a small read buffer of our own (net/http's 4 KiB one is released with the
		// hijacked connection; larger frames take a few reads), and write buffers borrowed from
		// a pool only while a message is written. Idle connections are what there are most of.
		ReadBufferSize:  512,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
		Error:           s.upgradeError,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Close ends every connection with 1001 (going away), stops running turns and waits for them.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
	}
	s.cancel()
	s.turns.Wait()
	return nil
}

// Prune deletes sessions unused for longer than age, with their events.
func (s *Service) Prune(ctx context.Context, age time.Duration) (int64, error) {
	return s.store.prune(ctx, s.now().Add(-age))
}

// session is the live state of one chat session.
type session struct {
	id      string
	subject string

	mu      sync.Mutex // guards the fields below and orders event emission
	lastSeq int64
	state   sessionState
	conn    *conn       // attached connection, if any
	turn    *activeTurn // turn in progress, if any
	used    time.Time
	seen    map[string]bool // message ids received (the last maxSeen), nil until the first
	order   []string        // seen, oldest first
}

// maxSeen is how many message ids a session remembers to ignore resent messages.
const maxSeen = 256

// markSeen records a message id and reports whether it is new. The caller holds sess.mu.
func (sess *session) markSeen(id string) bool {
	if sess.seen[id] {
		return false
	}
	if sess.seen == nil {
		sess.seen = map[string]bool{}
	}
	sess.seen[id] = true
	sess.order = append(sess.order, id)
	if len(sess.order) > maxSeen {
		delete(sess.seen, sess.order[0])
		sess.order = sess.order[1:]
	}
	return true
}

// unmarkSeen forgets a message id whose turn failed, so that the client may send it again.
func (sess *session) unmarkSeen(id string) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	delete(sess.seen, id)
}

// sessionState is the part of a session that survives a restart (stored as JSON).
type sessionState struct {
	Pending   *RetirementFacts `json:"pending,omitempty"`    // the one question asked back
	LastGuide string           `json:"last_guide,omitempty"` // for follow-ups: "那要带什么材料？"
	ElderMode bool             `json:"elder_mode,omitempty"`
	Locale    string           `json:"locale,omitempty"`
	Misses    int              `json:"misses,omitempty"` // turns in a row without an answer
	More      *elderRest       `json:"more,omitempty"`   // elder mode: the rest of a long reply, said on "要听"
	Voice     voice.Settings   `json:"voice,omitempty"`  // the person's voice settings (signed in: also stored)
	Speech    bool             `json:"speech,omitempty"` // the client wants answers as audio (hello speech)
}

type activeTurn struct {
	msgID  string
	cancel context.CancelFunc
}

func newSessionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "s_" + hex.EncodeToString(b[:])
}

// openSession returns the live session id for subject, loading it from the store or creating
// it. An id that does not exist or belongs to someone else yields a new session and resumed
// false.
func (s *Service) openSession(ctx context.Context, id, subject string) (*session, bool, error) {
	s.sweepSessions()
	if id != "" {
		s.mu.Lock()
		sess := s.sessions[id]
		s.mu.Unlock()
		if sess != nil {
			if sess.subject == "" || sess.subject == subject {
				return sess, true, nil
			}
		} else {
			row, err := s.store.session(ctx, id)
			switch {
			case err == nil && (row.Subject == "" || row.Subject == subject):
				sess = &session{id: id, subject: row.Subject, lastSeq: row.LastSeq, used: s.now()}
				_ = json.Unmarshal([]byte(row.State), &sess.state)
				ids, err := s.store.recentMessageIDs(ctx, id, maxSeen)
				if err != nil {
					return nil, false, err
				}
				for i := len(ids) - 1; i >= 0; i-- {
					sess.markSeen(ids[i])
				}
				s.mu.Lock()
				if cur := s.sessions[id]; cur != nil { // loaded concurrently
					sess = cur
				} else {
					s.sessions[id] = sess
				}
				s.mu.Unlock()
				return sess, true, nil
			case err != nil && !errors.Is(err, errNoSession):
				return nil, false, err
			}
		}
	}
	sess := &session{id: newSessionID(), subject: subject, used: s.now()}
	if err := s.store.createSession(ctx, sess.id, subject, s.now()); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	return sess, false, nil
}

// sweepSessions forgets live sessions with no connection and no turn, unused for ten minutes;
// they are reloaded from the store when needed.
func (s *Service) sweepSessions() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	for id, sess := range s.sessions {
		if sess.mu.TryLock() {
			idle := sess.conn == nil && sess.turn == nil && now.Sub(sess.used) > 10*time.Minute
			sess.mu.Unlock()
			if idle {
				delete(s.sessions, id)
			}
		}
	}
}

// emit stores durable events under the next seqs, with the message they answer (msg may be
// nil), and sends them to the attached connection. If end is the session's running turn, the
// turn is over once they are stored.
func (s *Service) emit(ctx context.Context, sess *session, end *activeTurn, msg *receivedMessage, evs ...event) error {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	stored := make([]storedEvent, 0, len(evs))
	for i, ev := range evs {
		h := ev.header()
		h.Seq = sess.lastSeq + 1 + int64(i)
		body, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode %s event: %w", h.Type, err)
		}
		stored = append(stored, storedEvent{seq: h.Seq, typ: h.Type, body: body})
	}
	state, _ := json.Marshal(sess.state)
	// A turn cancelled by the client still stores its outcome; only shutdown stops it.
	if err := s.store.appendEvents(context.WithoutCancel(ctx), sess.id, stored, string(state), msg, s.now()); err != nil {
		return err
	}
	sess.lastSeq += int64(len(stored))
	sess.used = s.now()
	if end != nil && sess.turn == end {
		sess.turn = nil
	}
	if sess.conn != nil {
		for _, ev := range stored {
			sess.conn.enqueue(ev.body)
		}
	}
	return nil
}

// endTurn marks turn t as over, unless a newer turn has started.
func (sess *session) endTurn(t *activeTurn) {
	sess.mu.Lock()
	if sess.turn == t {
		sess.turn = nil
	}
	sess.mu.Unlock()
}

// sendTransient sends an event that is not stored, numbered with the last durable seq.
func (s *Service) sendTransient(sess *session, ev event) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.conn == nil {
		return
	}
	ev.header().Seq = sess.lastSeq
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	sess.conn.enqueue(body)
}

// saveState persists the session state outside of an event.
func (s *Service) saveState(ctx context.Context, sess *session) {
	sess.mu.Lock()
	state, _ := json.Marshal(sess.state)
	sess.mu.Unlock()
	if err := s.store.saveState(context.WithoutCancel(ctx), sess.id, string(state), s.now()); err != nil {
		s.log.Error("save session state", "session", shortID(sess.id), "err", err)
	}
}

// Broadcast sends a notice to every connected session, e.g. planned maintenance, and returns
// how many connections it was queued for. The event is encoded once; each connection gets it
// with its own seq. Slow connections are dropped, never waited for.
func (s *Service) Broadcast(text string) int {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	textJSON, _ := json.Marshal(text)
	prefix := []byte(`{"type":"` + EventNotice + `","seq":`)
	suffix := append([]byte(`,"text":`), textJSON...)
	suffix = append(suffix, '}')
	n := 0
	for _, c := range conns {
		sess := c.currentSession()
		if sess == nil {
			continue
		}
		sess.mu.Lock()
		if sess.conn == c {
			b := make([]byte, 0, len(prefix)+len(suffix)+20)
			b = append(b, prefix...)
			b = strconv.AppendInt(b, sess.lastSeq, 10)
			b = append(b, suffix...)
			c.enqueue(b)
			n++
		}
		sess.mu.Unlock()
	}
	return n
}

// checkOrigin allows requests without Origin (native apps, terminal client), same-origin
// requests, and the configured origins.
func (s *Service) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" || o == origin {
			return true
		}
	}
	if len(s.opts.AllowedOrigins) == 0 {
		return sameOrigin(origin, r.Host)
	}
	return false
}

func sameOrigin(origin, host string) bool {
	for _, p := range []string{"https://", "http://"} {
		if len(origin) > len(p) && origin[:len(p)] == p {
			return origin[len(p):] == host
		}
	}
	return false
}

// upgradeRefusals are the catalogue kinds of the statuses the upgrader refuses with; any other
// status is a websocket_required.
var upgradeRefusals = map[int]apperr.Kind{http.StatusForbidden: apperr.Forbidden, http.StatusMethodNotAllowed: apperr.MethodNotAllowed}

func (s *Service) upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	s.log.Info("websocket upgrade refused", "status", status, "reason", reason.Error(), "origin", r.Header.Get("Origin"))
	e := apperr.ByStatus(status, upgradeRefusals, apperr.WebSocketRequired)
	if status == http.StatusForbidden {
		e.Message = "不允许从该来源连接。"
	}
	apperr.WriteHTTP(w, e)
}

func (s *Service) clientIP(r *http.Request) string {
	if s.opts.ClientIP != nil {
		return s.opts.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// shortID shortens a session id for logs.
func shortID(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

// userRef is a stable pseudonym of a subject for logs: the subject itself may identify a person.
func userRef(subject string) string {
	if subject == "" {
		return "anonymous"
	}
	h := sha256.Sum256([]byte("shebao-assistant:" + subject))
	return "u_" + hex.EncodeToString(h[:6])
}
