package assistant

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"shebao/internal/apperr"
	"shebao/internal/ratelimit"
)

// Handler returns the chat endpoint: an http.Handler that upgrades GET requests to a WebSocket
// and speaks the protocol of PROTOCOL.md. It needs a ResponseWriter that implements
// http.Hijacker, which a plain net/http server provides (see README.md for mounting).
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveWS) }

// conn is one WebSocket connection. Its goroutine reads; frames are written by whoever sends
// them (the reader for replies, a turn for its events, Broadcast for notices), one at a time under
// wmu with a write buffer borrowed from the upgrader's pool only while a frame is written. An idle
// connection therefore holds one goroutine (the reader) and one timer, no writer and no buffer.
type conn struct {
	svc   *Service
	ws    *websocket.Conn
	br    *bufio.Reader // the connection's read buffer (ws reads through it); nil behind a server that did not hand it over
	ip    string
	timer *time.Timer // the hello timeout, then pings and the idle timeout

	wmu     sync.Mutex
	pending [][]byte  // frames waiting for the writer; nil when none
	writing bool      // a goroutine is writing pending
	closed  bool      // closeWith ran: nothing more is written
	closing *closeReq // a close to send once pending is written (closeAfter)

	closeOnce sync.Once
	sess      atomic.Pointer[session] // set by hello
	principal Principal
	user      string // subject counted against the per-person limit; set by hello
	greeted   bool   // reader goroutine only
	bad       int    // bad frames so far; reader goroutine only
	frames    ratelimit.Bucket
	upload    *audioUpload // audio message being assembled; reader goroutine only
	lastMsg   atomic.Int64 // unix nanos of the last hello or message, for the idle timeout
}

func (s *Service) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		apperr.WriteHTTP(w, apperr.New(apperr.Unavailable, "服务正在维护，请稍后再试。"))
		return
	}
	ip := s.clientIP(r)
	if !s.open.add(ip, "", s.limits) {
		s.log.Info("websocket refused: too many connections from one address", "ip", ip, "limit", s.limits.ConnsPerIP)
		apperr.WriteHTTP(w, apperr.New(apperr.TooManyConnections, ""))
		return
	}
	// The headers the edge set (the request id) go out with the 101.
	hw := &ownReader{ResponseWriter: w}
	ws, err := s.upgrader.Upgrade(hw, r, w.Header())
	if err != nil {
		s.open.release(ip, "")
		return // the upgrader has answered the request
	}
	c := &conn{svc: s, ws: ws, ip: ip, br: hw.br}
	c.lastMsg.Store(time.Now().UnixNano())
	c.frames = ratelimit.NewBucket(s.limits.FramesPerConn, time.Now())
	ws.SetReadLimit(s.limits.MaxFrameBytes)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()

	// Stopped until armed, so that tick never sees c.timer unset.
	c.timer = time.AfterFunc(time.Hour, c.tick)
	c.timer.Reset(s.limits.HelloTimeout)
	// The handler returns at once: the connection lives on in its reader goroutine, so that
	// net/http's per-request buffers and the handler's deep stack are released.
	go c.serve()
}

// serve runs the reader until the connection ends, then unhooks it.
func (c *conn) serve() {
	s := c.svc
	c.readLoop()
	c.closeWith(websocket.CloseNormalClosure, "")
	c.detach()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.open.release(c.ip, c.user)
}

// readLoop reads frames until the connection fails or is closed.
//
// An idle connection waits in awaitFrame, in a shallow frame, rather than deep in the WebSocket
// library: the stack a waiting goroutine keeps after the collector shrank it is what it uses
// while waiting (4 KiB instead of 8). The client's pongs, the frames an idle connection gets, are
// read there too, so that the reader never goes back to waiting inside the library.
func (c *conn) readLoop() {
	s := c.svc
	_ = c.ws.SetReadDeadline(time.Now().Add(s.limits.PongWait))
	c.ws.SetPongHandler(c.pong)
	for {
		if err := c.awaitFrame(); err != nil {
			return // the read deadline passed or the connection failed
		}
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			// Frames over the size limit: gorilla has already sent close 1009.
			if !errors.Is(err, websocket.ErrReadLimit) && !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				s.log.Debug("websocket read ended", "err", err)
			}
			return
		}
		if !c.process(mt, data) {
			return
		}
	}
}

// awaitFrame waits until the next frame's header is buffered and consumes the client's small
// pongs itself (FIN, opcode pong, masked, at most 125 bytes); anything else is left to the
// library.
func (c *conn) awaitFrame() error {
	if c.br == nil {
		return nil
	}
	for {
		h, err := c.br.Peek(2)
		if err != nil {
			return err
		}
		if h[0] != 0x8a || h[1]&0x80 == 0 || h[1]&0x7f > 125 {
			return nil
		}
		n := 2 + 4 + int(h[1]&0x7f) // header, mask key, payload
		if _, err := c.br.Peek(n); err != nil {
			return err
		}
		_, _ = c.br.Discard(n)
		_ = c.pong("")
	}
}

func (c *conn) pong(string) error {
	return c.ws.SetReadDeadline(time.Now().Add(c.svc.limits.PongWait))
}

// process handles one frame; false ends the connection.
//
//go:noinline
func (c *conn) process(mt int, data []byte) bool {
	_ = c.ws.SetReadDeadline(time.Now().Add(c.svc.limits.PongWait))
	if !c.allowFrame() {
		c.closeWith(websocket.ClosePolicyViolation, "too many frames")
		return false
	}
	if mt != websocket.TextMessage {
		c.badFrame("")
		return true
	}
	f, err := DecodeFrame(data)
	switch {
	case errors.Is(err, errUnknownFrame):
		c.reply(newError(apperr.UnknownFrame, ""))
		return true
	case err != nil:
		return c.badFrame(f.ID)
	}
	c.handle(f)
	return true
}

// ownReader hands the WebSocket library a read buffer of ours at the hijack (which it uses as
// the connection's reader when Upgrader.ReadBufferSize is 0), so that the reader can wait for
// frames outside the library (awaitFrame).
type ownReader struct {
	http.ResponseWriter
	br *bufio.Reader
}

// readBufferSize is the read buffer of a chat connection.
const readBufferSize = 512

func (w *ownReader) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("websocket: response does not implement http.Hijacker")
	}
	nc, brw, err := h.Hijack()
	if err != nil || brw.Reader.Buffered() > 0 { // the library refuses the latter
		return nc, brw, err
	}
	w.br = bufio.NewReaderSize(nc, readBufferSize)
	return nc, bufio.NewReadWriter(w.br, brw.Writer), nil
}

// allowFrame applies the per-connection frame rate, which protects the server from floods of
// any frame type; message rates per user and IP are applied separately.
func (c *conn) allowFrame() bool {
	ok, _ := c.frames.Take(c.svc.limits.FramesPerConn, time.Now())
	return ok
}

// badFrame reports a bad frame; after too many it closes the connection and returns false.
func (c *conn) badFrame(id string) bool {
	c.bad++
	if c.bad > c.svc.limits.MaxBadFrames {
		c.closeWith(websocket.ClosePolicyViolation, "too many bad frames")
		return false
	}
	c.reply(newError(apperr.BadFrame, id))
	return true
}

func (c *conn) handle(f ClientFrame) {
	s := c.svc
	switch f.Type {
	case FramePing:
		c.reply(&PongEvent{eventHeader: eventHeader{Type: EventPong}, ID: f.ID})
	case FrameHello:
		if c.greeted {
			c.reply(newError(apperr.AlreadyGreeted, ""))
			return
		}
		c.hello(f)
	case FrameMessage:
		if !c.greeted {
			c.reply(newError(apperr.HelloRequired, f.ID))
			return
		}
		c.lastMsg.Store(time.Now().UnixNano())
		c.message(f, nil)
	case FrameAudio:
		if !c.greeted {
			c.reply(newError(apperr.HelloRequired, f.ID))
			return
		}
		c.lastMsg.Store(time.Now().UnixNano())
		c.audio(f)
	case FrameCancel:
		if !c.greeted {
			c.reply(newError(apperr.HelloRequired, f.ID))
			return
		}
		sess := c.sess.Load()
		sess.mu.Lock()
		t := sess.turn
		sess.mu.Unlock()
		if t == nil || f.ID != "" && f.ID != t.msgID {
			c.reply(newError(apperr.NothingToCancel, f.ID))
			return
		}
		t.cancel()
	default:
		s.log.Error("unhandled frame type", "type", f.Type)
	}
}

// hello authenticates, opens or resumes the session, replays missed events and attaches.
func (c *conn) hello(f ClientFrame) {
	s := c.svc
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	anonymous := true
	if s.opts.Verifier != nil && f.Token != "" {
		p, err := s.opts.Verifier.Verify(ctx, f.Token)
		if err != nil {
			s.log.Info("hello with invalid token", "ip", c.ip)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Unauthenticated.Code { // the verifier's message when it has one
				ae = apperr.New(apperr.Unauthenticated, "登录已失效，请重新登录。")
			}
			c.reply(errorEvent(ae, ""))
			c.closeAfter(CloseUnauthenticated, apperr.CloseUnauthenticated.Reason())
			return
		}
		c.principal, anonymous = p, false
	}
	sess, resumed, adopted, err := s.attachSession(ctx, f.SessionID, c.principal.Subject)
	if err != nil {
		s.log.Error("open session", "err", err)
		c.reply(newError(apperr.Internal, ""))
		c.closeAfter(websocket.CloseInternalServerErr, "internal error")
		return
	}
	if !anonymous {
		// Taking over one's own session from another connection does not add one: that
		// connection is closed below.
		sess.mu.Lock()
		takesOver := sess.conn != nil && sess.conn != c
		sess.mu.Unlock()
		if !takesOver && !s.open.add("", c.principal.Subject, s.limits) {
			s.log.Info("chat session refused: too many connections for one person", "user", userRef(c.principal.Subject), "limit", s.limits.ConnsPerUser)
			c.reply(newError(apperr.TooManyConnections, ""))
			c.closeAfter(CloseTooManyConnections, apperr.CloseTooManyConnections.Reason())
			return
		}
		if takesOver {
			s.open.add("", c.principal.Subject, Limits{}) // counted beyond the limit until the old one closes
		}
		c.user = c.principal.Subject
	}
	if f.SessionID != "" && !resumed {
		// Queued, so that it goes out before the ready event queued below.
		body, _ := json.Marshal(newError(apperr.SessionNotFound, ""))
		c.queue(false, body)
	}
	after := f.LastSeq
	if !resumed {
		after = 0
	}
	stored, found := s.loadVoiceSettings(ctx, c.principal.Subject)
	elder := f.ElderMode != nil && *f.ElderMode
	if f.ElderMode == nil && !anonymous && s.opts.Elderly != nil {
		elder = s.opts.Elderly(ctx, c.principal.Subject) // 适老化: the default for 65+
	}
	var replay []storedEvent
	var gap bool
	sess.mu.Lock()
	if after < sess.lastSeq {
		replay, gap, err = s.store.eventsAfter(ctx, sess.id, after, s.limits.ReplayMax)
		if len(replay) > 0 {
			sess.lastSeq = max(sess.lastSeq, replay[len(replay)-1].seq) // stored by another server since the attach
		}
		if err != nil {
			sess.mu.Unlock()
			s.log.Error("replay", "session", shortID(sess.id), "err", err)
			c.reply(newError(apperr.Internal, ""))
			c.closeAfter(websocket.CloseInternalServerErr, "internal error")
			return
		}
	}
	old := sess.conn
	sess.conn = c
	sess.state.ElderMode = elder
	sess.state.Speech = f.Speech
	if found {
		sess.state.Voice = stored // the person's stored settings win over the session's
	}
	eff := sess.state.Voice.Effective(sess.state.ElderMode)
	if f.Locale != "" {
		sess.state.Locale = f.Locale
	}
	sess.used = s.now()
	l := s.limits
	ready := &ReadyEvent{eventHeader: eventHeader{Type: EventReady, Seq: min(after, sess.lastSeq)}, SessionID: sess.id,
		Resumed: resumed, Adopted: adopted, Replay: len(replay), Gap: gap, Anonymous: anonymous, Model: s.model != nil, ElderMode: elder,
		Limits: ReadyLimits{MaxFrameBytes: l.MaxFrameBytes, MaxMessageChars: MaxMessageRunes, MessagesPerSec: l.User.PerSecond,
			MessageBurst: l.User.Burst, PingIntervalSec: int(l.PingInterval / time.Second), IdleTimeoutSec: int(l.IdleTimeout / time.Second),
			MaxAudioBytes: l.MaxAudioBytes, MaxAudioChunk: MaxAudioChunkBytes},
		VoiceInput: s.opts.Voice != nil && s.opts.Voice.CanTranscribe(), VoiceOutput: s.opts.Voice != nil && s.opts.Voice.CanSpeak(), Voice: &eff}
	if gap && len(replay) > 0 {
		ready.Seq = replay[0].seq - 1
	}
	body, _ := json.Marshal(ready)
	c.queue(false, body)
	for _, ev := range replay {
		c.queue(false, ev.body)
	}
	sess.mu.Unlock()
	c.flush(s.limits.WriteTimeout)
	c.sess.Store(sess)
	c.greeted = true
	c.timer.Reset(s.limits.PingInterval)
	c.lastMsg.Store(time.Now().UnixNano())
	if old != nil && old != c {
		old.closeWith(CloseReplaced, apperr.CloseReplaced.Reason())
	}
	s.log.Info("chat session", "session", shortID(sess.id), "user", userRef(c.principal.Subject), "resumed", resumed, "adopted", adopted, "replayed", len(replay))
}

// message rate-limits a message and starts its turn. audio, when not nil, is a recording to
// transcribe first: the turn then answers what was heard.
func (c *conn) message(f ClientFrame, audio []byte) {
	s := c.svc
	sess := c.sess.Load()
	userKey := "user:" + c.principal.Subject
	if c.principal.Subject == "" {
		userKey = "session:" + sess.id
	}
	for _, lim := range []struct {
		key string
		r   ratelimit.Rate
	}{{userKey, s.limits.User}, {"ip:" + c.ip, s.limits.IP}} {
		ok, wait, err := s.limiter.Allow(s.ctx, lim.key, lim.r)
		if err != nil {
			s.log.Error("rate limiter", "err", err) // fail open: the limiter is a guard, not the product
			continue
		}
		if !ok {
			e := newError(apperr.RateLimited, f.ID)
			e.RetryAfterMS = max(wait.Milliseconds(), 1)
			c.reply(e)
			return
		}
	}
	if f.ID == "" {
		f.ID = "m-" + newSessionID()[2:14]
	}
	sess.mu.Lock()
	if t := sess.turn; t != nil {
		same := t.msgID == f.ID
		sess.mu.Unlock()
		if !same { // a resent message that is being answered needs nothing
			c.reply(newError(apperr.Busy, f.ID))
		}
		return
	}
	if sess.seen[f.ID] { // already answered: ignored without starting a turn, so the next message is not "busy"
		sess.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.limits.TurnTimeout)
	at := &activeTurn{msgID: f.ID, cancel: cancel}
	sess.turn = at
	sess.mu.Unlock()

	s.turns.Add(1)
	go func() {
		defer s.turns.Done()
		defer cancel()
		stream := func(text string) {
			if ctx.Err() == nil {
				s.sendTransient(sess, &DeltaEvent{eventHeader: eventHeader{Type: EventDelta}, ReplyTo: f.ID, Text: text})
			}
		}
		answered, ok, err := s.claimTurn(ctx, sess, f.ID)
		if err != nil || !ok {
			sess.endTurn(at)
			switch {
			case err != nil:
				s.log.Error("claim turn", "session", shortID(sess.id), "err", err)
				s.sendTransient(sess, newError(apperr.Internal, f.ID))
			case !answered: // answered: a resent message, ignored
				s.sendTransient(sess, newError(apperr.Busy, f.ID)) // a turn runs on another server
			}
			return
		}
		text := f.Text
		if audio != nil {
			heard, notHeard := s.hear(ctx, sess, f.ID, audio)
			if notHeard != nil {
				sess.endTurn(at)
				s.releaseTurn(sess, f.ID)
				s.sendTransient(sess, notHeard)
				return
			}
			text = heard
		}
		_, err = s.runTurn(ctx, sess, at, text, stream)
		sess.endTurn(at)
		if err != nil {
			s.releaseTurn(sess, f.ID) // the events that end it were not stored
		}
		switch {
		case err == nil, errors.Is(err, errDuplicate):
		case errors.Is(err, errEmpty):
			s.sendTransient(sess, newError(apperr.MessageEmpty, f.ID))
		case errors.Is(err, context.Canceled) && s.ctx.Err() == nil:
			s.sendTransient(sess, newError(apperr.Cancelled, f.ID))
		default:
			s.log.Error("turn failed", "session", shortID(sess.id), "msg", f.ID, "err", err)
			s.sendTransient(sess, newError(apperr.Internal, f.ID))
		}
	}()
}

// closeReq is a close frame to send.
type closeReq struct {
	code   int
	reason string
}

// closeAfter closes the connection once the frames queued before it are written, so that an
// error event explaining the close reaches the client first.
func (c *conn) closeAfter(code int, reason string) {
	c.wmu.Lock()
	if c.closing == nil {
		c.closing = &closeReq{code, reason}
	}
	c.wmu.Unlock()
	c.flush(c.svc.limits.WriteTimeout)
}

// reply sends a transient event answering a client frame. The reader writes it itself: a client
// flooding frames is slowed to the pace at which it reads the replies (back-pressure) and
// affects nobody else.
func (c *conn) reply(ev event) {
	if sess := c.sess.Load(); sess != nil {
		sess.mu.Lock()
		ev.header().Seq = sess.lastSeq
		sess.mu.Unlock()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	c.queue(false, body)
	c.flush(c.svc.limits.WriteTimeout)
}

// queue adds frames for the writer without writing them (callers may hold a session's lock;
// flush after releasing it). With bounded, a connection with more than SendBuffer frames
// waiting is too slow: it is closed, so that it never holds up a sender.
func (c *conn) queue(bounded bool, frames ...[]byte) {
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return
	}
	if bounded && len(c.pending)+len(frames) > c.svc.limits.SendBuffer {
		c.wmu.Unlock()
		go c.closeWith(CloseSlowConsumer, apperr.CloseSlowConsumer.Reason())
		return
	}
	c.pending = append(c.pending, frames...)
	c.wmu.Unlock()
}

// flush writes the queued frames unless another goroutine is writing them already, each within
// timeout (a write that fails or times out closes the connection), then sends a requested close.
func (c *conn) flush(timeout time.Duration) {
	c.wmu.Lock()
	if c.writing || c.closed {
		c.wmu.Unlock()
		return
	}
	c.writing = true
	for len(c.pending) > 0 {
		batch := c.pending
		c.pending = nil
		c.wmu.Unlock()
		for _, b := range batch {
			_ = c.ws.SetWriteDeadline(time.Now().Add(timeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.closeWith(websocket.CloseAbnormalClosure, "")
				return // closed: writing stays set, nothing is written again
			}
		}
		c.wmu.Lock()
	}
	c.writing = false
	req := c.closing
	c.wmu.Unlock()
	if req != nil {
		c.closeWith(req.code, req.reason)
	}
}

func (c *conn) currentSession() *session { return c.sess.Load() }

// tick runs on the connection's timer: before hello it is the hello timeout; after it, it applies
// the idle timeout and sends a ping every PingInterval. No goroutine waits between ticks.
func (c *conn) tick() {
	s := c.svc
	switch {
	case c.sess.Load() == nil:
		c.closeWith(CloseHelloTimeout, apperr.CloseHelloTimeout.Reason())
	case time.Since(time.Unix(0, c.lastMsg.Load())) > s.limits.IdleTimeout:
		c.closeWith(CloseIdle, apperr.CloseIdle.Reason())
	case c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.limits.WriteTimeout)) != nil:
		c.closeWith(websocket.CloseAbnormalClosure, "")
	default:
		c.timer.Reset(s.limits.PingInterval)
	}
}

// closeWith sends a close frame with code and reason (best effort, bounded by a short deadline)
// and closes the connection. Only the first call has an effect.
func (c *conn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		c.wmu.Lock()
		c.closed, c.pending = true, nil
		c.wmu.Unlock()
		c.timer.Stop()
		if code != websocket.CloseAbnormalClosure {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(200*time.Millisecond))
		}
		_ = c.ws.Close()
	})
}

// detach unhooks the connection from its session; the session and its running turn go on.
func (c *conn) detach() {
	sess := c.sess.Load()
	if sess == nil {
		return
	}
	sess.mu.Lock()
	if sess.conn == c {
		sess.conn = nil
	}
	sess.mu.Unlock()
}

// openConns counts open chat connections per client address and per person, so that one
// client cannot hold an unbounded share of the sockets (each idle one costs a goroutine and about
// 10 KB). The lock is a leaf: nothing else is locked while it is held.
type openConns struct {
	mu     sync.Mutex
	byIP   map[string]int
	byUser map[string]int
}

// add counts a connection for ip (when not empty) or user (when not empty) and reports whether
// it is within l; a zero limit does not limit (a takeover, which closes another connection).
func (o *openConns) add(ip, user string, l Limits) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byIP == nil {
		o.byIP, o.byUser = map[string]int{}, map[string]int{}
	}
	m, key, limit := o.byIP, ip, l.ConnsPerIP
	if user != "" {
		m, key, limit = o.byUser, user, l.ConnsPerUser
	}
	if limit > 0 && m[key] >= limit {
		return false
	}
	m[key]++
	return true
}

// release uncounts a connection of ip and, when it was counted, of user.
func (o *openConns) release(ip, user string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	decrement(o.byIP, ip)
	decrement(o.byUser, user)
}

// decrement lowers m[key], forgetting keys that reach zero so the maps stay small.
func decrement(m map[string]int, key string) {
	if key == "" {
		return
	}
	if m[key] <= 1 {
		delete(m, key)
	} else {
		m[key]--
	}
}
