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
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"shebao/assistant/formflow"
	"shebao/assistant/voice"
	"shebao/internal/apperr"
	"shebao/internal/db"
	logevent "shebao/internal/event"
	"shebao/internal/eventlog"
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
	// Events, when set, carries chat sessions between servers sharing DB (replicas): frames
	// stored by one server reach the connection another holds, and a connection opened on one
	// server takes its session over from another. It must be the log of DB and be running
	// (eventlog.Log.Run) for frames from other processes to arrive. nil: one server.
	Events *eventlog.Log
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

	ctx        context.Context // parent of every turn; cancelled by Close
	cancel     context.CancelFunc
	turns      sync.WaitGroup
	unregister func() // stops following the event log

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
		store:    &store{db: opts.DB, events: opts.Events, instance: newSessionID()[2:18]},
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
		// Buffers: a small read buffer of our own, handed over at the hijack (readBufferSize;
		// net/http's 4 KiB one is released with the hijacked connection; larger frames take a few
		// reads), and write buffers borrowed from a pool only while a message is written. Idle
		// connections are what there are most of.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
		Error:           s.upgradeError,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if opts.Events != nil {
		stop, err := opts.Events.Register(ctx, eventlog.Consumer{Name: "chat-sessions", Topics: []string{logevent.ChatSession},
			Start: eventlog.FromHead, Handle: s.onSessionNews})
		if err != nil {
			return nil, fmt.Errorf("assistant: %w", err)
		}
		s.unregister = stop
	}
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
	if s.unregister != nil {
		s.unregister()
	}
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
				sess, err := s.liveSession(ctx, row)
				return sess, err == nil, err
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

// attachSession opens session id for a connection of subject on this server. It records the
// attachment in the store (a server that held the session before is told to let it go),
// refreshes the live copy from the store, adopts an anonymous session for a signed-in subject,
// and watches a turn in progress that another server started: if that server died, the turn is
// ended with turn_interrupted once its time is up. An id that does not exist or is someone else's
// yields a new session and resumed false.
func (s *Service) attachSession(ctx context.Context, id, subject string) (sess *session, resumed, adopted bool, err error) {
	s.sweepSessions()
	if id == "" {
		sess, _, err = s.openSession(ctx, "", subject)
		return sess, false, false, err
	}
	wasAnonymous := false
	if subject != "" {
		row, err := s.store.session(ctx, id)
		wasAnonymous = err == nil && row.Subject == ""
	}
	row, err := s.store.attach(ctx, id, subject, s.now())
	if errors.Is(err, errNoSession) {
		sess, _, err = s.openSession(ctx, "", subject)
		return sess, false, false, err
	}
	if err != nil {
		return nil, false, false, err
	}
	if row.prev != "" && row.prev != s.store.instance && s.opts.Events != nil {
		go s.deliver()
	}
	sess, err = s.liveSession(ctx, row.sessionRow)
	if err != nil {
		return nil, false, false, err
	}
	sess.mu.Lock()
	sess.subject = row.Subject
	if row.LastSeq > sess.lastSeq && sess.turn == nil {
		s.refreshState(sess, row.State) // turns answered on another server moved it on
	}
	sess.lastSeq = max(sess.lastSeq, row.LastSeq)
	local := sess.turn != nil && sess.turn.msgID == row.turnMsg
	sess.mu.Unlock()
	if row.turnMsg != "" && !local {
		s.watchTurn(sess, row.turnMsg, time.UnixMilli(row.turnUntil))
	}
	return sess, true, wasAnonymous && row.Subject == subject, nil
}

// liveSession returns this server's live copy of a stored session, loading it when there is none.
func (s *Service) liveSession(ctx context.Context, row sessionRow) (*session, error) {
	s.mu.Lock()
	sess := s.sessions[row.ID]
	s.mu.Unlock()
	if sess != nil {
		return sess, nil
	}
	sess = &session{id: row.ID, subject: row.Subject, lastSeq: row.LastSeq, used: s.now()}
	_ = json.Unmarshal([]byte(row.State), &sess.state)
	ids, err := s.store.recentMessageIDs(ctx, row.ID, maxSeen)
	if err != nil {
		return nil, err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		sess.markSeen(ids[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.sessions[row.ID]; cur != nil { // loaded concurrently
		return cur, nil
	}
	s.sessions[row.ID] = sess
	return sess, nil
}

// refreshState takes the stored state of a session that another server moved on, keeping what
// the connection's hello set here. The caller holds sess.mu.
func (s *Service) refreshState(sess *session, stored string) {
	var st sessionState
	if json.Unmarshal([]byte(stored), &st) != nil {
		return
	}
	st.ElderMode, st.Locale, st.Voice, st.Speech = sess.state.ElderMode, sess.state.Locale, sess.state.Voice, sess.state.Speech
	sess.state = st
}

// turnGrace is how long past TurnTimeout a turn's server has to store its outcome before another
// server may end it as interrupted.
const turnGrace = 5 * time.Second

// watchTurn ends turn msgID of sess with turn_interrupted at until, unless its server ended it.
func (s *Service) watchTurn(sess *session, msgID string, until time.Time) {
	if wait := until.Sub(s.now()) + 50*time.Millisecond; wait > 0 {
		time.AfterFunc(wait, func() { s.endOrphan(sess, msgID) })
		return
	}
	s.endOrphan(sess, msgID)
}

// endOrphan stores turn_interrupted for turn msgID if it is still in progress and overdue (its
// server died with it); the message may then be sent again.
func (s *Service) endOrphan(sess *session, msgID string) {
	if s.ctx.Err() != nil {
		return
	}
	sess.mu.Lock()
	stored, announced, err := s.store.appendEvents(s.ctx, sess.id, []event{newError(apperr.TurnInterrupted, msgID)},
		appendSpec{endTurn: msgID, orphan: true}, s.now())
	if err == nil {
		s.afterStore(s.ctx, sess, stored)
		delete(sess.seen, msgID)
	}
	c := sess.conn
	sess.mu.Unlock()
	switch {
	case errors.Is(err, errTurnAlive):
		return
	case err != nil:
		s.log.Error("end interrupted turn", "session", shortID(sess.id), "err", err)
		return
	}
	s.log.Info("turn interrupted: its server stopped", "session", shortID(sess.id), "msg", msgID)
	if announced {
		go s.deliver()
	}
	if c != nil {
		c.flush(s.limits.WriteTimeout)
	}
}

// claimTurn records in the store that this server answers msgID (servers sharing the store run
// one turn per session at a time). ok false: another turn is in progress, or msgID was answered
// (answered). An overdue turn (its server died) is ended with turn_interrupted first. A server
// whose copy of the session is behind catches up.
func (s *Service) claimTurn(ctx context.Context, sess *session, msgID string) (answered, ok bool, err error) {
	c, err := s.store.claimTurn(ctx, sess.id, msgID, s.now().Add(s.limits.TurnTimeout+turnGrace))
	if err == nil && !c.ok && !c.answered && c.current != "" && c.until < s.now().UnixMilli() {
		s.endOrphan(sess, c.current)
		c, err = s.store.claimTurn(ctx, sess.id, msgID, s.now().Add(s.limits.TurnTimeout+turnGrace))
	}
	if err != nil || !c.ok {
		return c.answered, false, err
	}
	sess.mu.Lock()
	conn := sess.conn
	if c.last > sess.lastSeq {
		s.refreshState(sess, c.state)
		if conn != nil {
			err = s.catchUpLocked(ctx, sess)
		}
	}
	sess.mu.Unlock()
	if conn != nil {
		conn.flush(s.limits.WriteTimeout)
	}
	return false, true, err
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
	err := s.emitLocked(ctx, sess, end, msg, evs)
	c := sess.conn
	sess.mu.Unlock()
	if c != nil {
		c.flush(s.limits.WriteTimeout) // written outside the session's lock
	}
	return err
}

// emitLocked is emit with sess.mu held: it stores the events (the store numbers them) and
// queues them, after any stored by another server that this one has not sent yet.
func (s *Service) emitLocked(ctx context.Context, sess *session, end *activeTurn, msg *receivedMessage, evs []event) error {
	state, _ := json.Marshal(sess.state)
	st := string(state)
	spec := appendSpec{state: &st, msg: msg}
	if end != nil {
		spec.endTurn = end.msgID
	}
	// A turn cancelled by the client still stores its outcome; only shutdown stops it.
	stored, announced, err := s.store.appendEvents(context.WithoutCancel(ctx), sess.id, evs, spec, s.now())
	if err != nil {
		return err
	}
	s.afterStore(ctx, sess, stored)
	if announced {
		go s.deliver()
	}
	sess.used = s.now()
	if end != nil && sess.turn == end {
		sess.turn = nil
	}
	return nil
}

// afterStore queues newly stored events to the attached connection. When the store numbered them
// past the last seq this server knows (another server stored some meanwhile), the missing ones
// are read from the store and sent first. The caller holds sess.mu.
func (s *Service) afterStore(ctx context.Context, sess *session, stored []storedEvent) {
	if len(stored) == 0 {
		return
	}
	if stored[0].seq != sess.lastSeq+1 && sess.conn != nil {
		if err := s.catchUpLocked(ctx, sess); err == nil {
			return
		}
	}
	sess.lastSeq = max(sess.lastSeq, stored[len(stored)-1].seq)
	if c := sess.conn; c != nil {
		for _, ev := range stored {
			c.queue(true, ev.body)
		}
	}
}

// catchUpLocked queues to the attached connection the stored events after the last seq this
// server sent, and moves it on. The caller holds sess.mu and flushes the connection after.
func (s *Service) catchUpLocked(ctx context.Context, sess *session) error {
	for {
		evs, err := s.store.eventsFrom(context.WithoutCancel(ctx), sess.id, sess.lastSeq, 256)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		for _, ev := range evs {
			if sess.conn != nil {
				sess.conn.queue(false, ev.body)
			}
			sess.lastSeq = ev.seq
		}
	}
}

// deliver hands the event log's new events to this process's consumers and wakes the other
// processes (after a commit that appended an logevent.ChatSession).
func (s *Service) deliver() {
	if err := s.opts.Events.Deliver(s.ctx); err != nil && s.ctx.Err() == nil {
		s.log.Debug("deliver session news", "err", err)
	}
}

// onSessionNews follows logevent.ChatSession: frames another server stored for a session whose
// connection is here are sent; a connection that another server took the session from is closed.
func (s *Service) onSessionNews(ctx context.Context, e logevent.Event) error {
	var n chatNews
	if json.Unmarshal(e.Data, &n) != nil {
		return nil // malformed: retrying will not help
	}
	s.mu.Lock()
	sess := s.sessions[e.Key]
	s.mu.Unlock()
	if sess == nil {
		return nil
	}
	sess.mu.Lock()
	c := sess.conn
	if c == nil || n.Kind == newsAttached && n.By == s.store.instance {
		sess.mu.Unlock()
		return nil
	}
	if n.Kind == newsAttached {
		// The client may have come back here since: only a session held elsewhere now is let go.
		sess.mu.Unlock()
		at, err := s.store.attachedTo(ctx, sess.id)
		if err != nil {
			return err
		}
		if at != s.store.instance {
			sess.mu.Lock()
			if sess.conn == c {
				sess.conn = nil
			}
			sess.mu.Unlock()
			go c.closeWith(CloseReplaced, apperr.CloseReplaced.Reason())
		}
		return nil
	}
	err := s.catchUpLocked(ctx, sess)
	sess.mu.Unlock()
	go c.flush(s.limits.WriteTimeout) // never block the log's consumers on a socket
	return err
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
	c := sess.conn
	ev.header().Seq = sess.lastSeq
	body, err := json.Marshal(ev)
	if c == nil || err != nil {
		sess.mu.Unlock()
		return
	}
	c.queue(true, body)
	sess.mu.Unlock()
	c.flush(s.limits.WriteTimeout)
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
// with its own seq. The frames are written by a few goroutines, each over its share of the
// connections; a connection that cannot take its frame within broadcastWriteTimeout (its socket
// buffer full) is dropped, never waited for longer.
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
	var n atomic.Int64
	var wg sync.WaitGroup
	for start := 0; start < len(conns); start += broadcastShare {
		share := conns[start:min(start+broadcastShare, len(conns))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range share {
				sess := c.currentSession()
				if sess == nil {
					continue
				}
				sess.mu.Lock()
				mine := sess.conn == c
				if mine {
					b := make([]byte, 0, len(prefix)+len(suffix)+20)
					b = append(b, prefix...)
					b = strconv.AppendInt(b, sess.lastSeq, 10)
					b = append(b, suffix...)
					c.queue(true, b)
				}
				sess.mu.Unlock()
				if mine {
					c.flush(broadcastWriteTimeout)
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(n.Load())
}

// broadcastShare is how many connections one of Broadcast's goroutines writes to, and
// broadcastWriteTimeout how long it waits for one of them.
const (
	broadcastShare        = 1024
	broadcastWriteTimeout = time.Second
)

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

// releaseTurn clears the stored turn in progress msgID, which ended without events.
func (s *Service) releaseTurn(sess *session, msgID string) {
	if err := s.store.releaseTurn(context.WithoutCancel(s.ctx), sess.id, msgID); err != nil {
		s.log.Error("release turn", "session", shortID(sess.id), "err", err)
	}
}
