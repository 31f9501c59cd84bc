package notify

// HTTP/2 for the push channel. The push services of the major browsers (FCM, Mozilla autopush,
// Apple, WNS) all speak HTTP/2, and RFC 8030 recommends it. On one connection per service, the
// pushes that several senders have ready go out together: each sender adds its HEADERS and DATA
// frames to the connection's buffer, and one of them writes the buffer with one system call
// after letting the others add theirs (runtime.Gosched). One goroutine per connection reads the
// answers, and one reading of the socket brings several. Over HTTP/1.1 every push costs a write
// and a read of its own; on one core that was a fifth of a send.
//
// The connection keeps the protocol's rules: the service's SETTINGS (concurrent streams, initial
// window, frame size, header table) acknowledged and obeyed, connection flow control both ways,
// PING answered, GOAWAY honoured (the streams it did not process go again on a new connection),
// REFUSED_STREAM retried, a stream past its deadline cancelled with RST_STREAM.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Preface is what a client writes first on an HTTP/2 connection (RFC 9113 §3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2IdleTimeout closes a connection that carried nothing for this long.
const h2IdleTimeout = 90 * time.Second

// h2RecvWindow is the flow-control window this side gives the service, per stream and for the
// connection (the protocol's initial 65,535); answers are short.
const h2RecvWindow = 65535

// h2Conn is one HTTP/2 connection to a push service.
type h2Conn struct {
	p       *pushConns
	key     string
	nc      net.Conn
	scheme  string
	timeout time.Duration

	mu         sync.Mutex
	cond       *sync.Cond // a stream slot or send window freed, the connection ended, or a tick
	wbuf       []byte     // frames not yet written
	spare      []byte
	flushing   bool   // a sender or the reader is writing wbuf out
	hbuf       []byte // the header block being built
	next       uint32 // the next stream id
	streams    map[uint32]*h2Stream
	window     int64  // what the service lets this side send on the connection
	peerInit   int64  // the service's SETTINGS_INITIAL_WINDOW_SIZE: a new stream's send window
	maxStreams uint32 // the service's SETTINGS_MAX_CONCURRENT_STREAMS
	maxFrame   int    // the service's SETTINGS_MAX_FRAME_SIZE
	unacked    int    // connection-level DATA received and not yet given back with WINDOW_UPDATE
	err        error  // set when the connection takes no new stream (GOAWAY, a failure, Close)
	lastUse    time.Time
	settled    chan struct{} // closed when the service's first SETTINGS are applied, or on failure
	settledOK  bool
}

// h2Stream is one push on an h2Conn, from its HEADERS to the end of the answer.
type h2Stream struct {
	id         uint32
	deadline   time.Time
	status     int
	retryAfter string
	body       int // bytes of the answer's body received (dropped)
	err        error
	ended      bool
	done       chan struct{} // one value when it ends
}

// h2Streams keeps ended streams for the next pushes.
var h2Streams = sync.Pool{New: func() any { return &h2Stream{done: make(chan struct{}, 1)} }}

func newH2Stream(deadline time.Time) *h2Stream {
	st := h2Streams.Get().(*h2Stream)
	*st = h2Stream{deadline: deadline, done: st.done}
	return st
}

var (
	errH2Closed  = errors.New("push: HTTP/2 connection closed")
	errH2Timeout = errors.New("push: no answer from the push service in time")
)

// newH2Conn starts HTTP/2 on nc (TLS with ALPN h2 agreed): the preface and this side's
// SETTINGS go out, the reader and the sweeper start, and the service's own SETTINGS (its
// preface, its first frame) are awaited until ctx ends, so that no stream is opened past a
// limit the service has not told yet.
func newH2Conn(ctx context.Context, p *pushConns, key, scheme string, nc net.Conn) (*h2Conn, error) {
	h := &h2Conn{p: p, key: key, nc: nc, scheme: scheme, timeout: p.timeout, next: 1, streams: map[uint32]*h2Stream{},
		window: 65535, peerInit: 65535, maxStreams: 100, maxFrame: 16384, lastUse: time.Now(), settled: make(chan struct{})}
	// Without SETTINGS_MAX_CONCURRENT_STREAMS in the service's SETTINGS, at most 100 streams
	// (RFC 9113 §6.5.2: no fewer than 100 should be allowed).
	h.cond = sync.NewCond(&h.mu)
	b := append([]byte(nil), h2Preface...)
	b = appendSettings(b, http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2RecvWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 64 << 10})
	_ = nc.SetWriteDeadline(time.Now().Add(p.timeout))
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, err
	}
	go h.readLoop()
	select {
	case <-h.settled:
	case <-ctx.Done():
	}
	h.mu.Lock()
	ok, err := h.settledOK, h.err
	if !ok {
		if err == nil {
			err = fmt.Errorf("push: no HTTP/2 SETTINGS from the service: %w", ctx.Err())
		}
		h.fail(err)
		h.nc.Close()
	}
	h.mu.Unlock()
	if !ok {
		return nil, err
	}
	go h.sweep()
	return h, nil
}

// appendFrame appends one frame: its 9-byte header and payload.
func appendFrame(b []byte, typ http2.FrameType, flags http2.Flags, stream uint32, payload []byte) []byte {
	n := len(payload)
	b = append(b, byte(n>>16), byte(n>>8), byte(n), byte(typ), byte(flags))
	b = binary.BigEndian.AppendUint32(b, stream&(1<<31-1))
	return append(b, payload...)
}

func appendSettings(b []byte, ss ...http2.Setting) []byte {
	var p []byte
	for _, s := range ss {
		p = binary.BigEndian.AppendUint16(p, uint16(s.ID))
		p = binary.BigEndian.AppendUint32(p, s.Val)
	}
	return appendFrame(b, http2.FrameSettings, 0, 0, p)
}

// goAway is a GOAWAY frame's payload: no stream of the service's processed (it opens none), and
// code.
func goAway(code http2.ErrCode) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0), uint32(code))
}

func appendU32Frame(b []byte, typ http2.FrameType, stream, v uint32) []byte {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], v)
	return appendFrame(b, typ, 0, stream, p[:])
}

// usable reports whether the connection takes new streams.
func (h *h2Conn) usable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err == nil
}

// roundTrip sends r on a new stream and waits for the answer. An error wrapping errStale means
// the service did not process the push (GOAWAY past it, REFUSED_STREAM, or the connection ended
// before any answer): it may go again on another connection.
func (h *h2Conn) roundTrip(ctx context.Context, r *pushRequest, deadline time.Time, who string) (Outcome, error) {
	st := newH2Stream(deadline)
	defer h2Streams.Put(st) // once roundTrip returns, nothing refers to it: end took it out of streams
	body := int64(len(r.body))
	h.mu.Lock()
	for h.err == nil && (uint32(len(h.streams)) >= h.maxStreams || h.window < body || h.peerInit < body) {
		if h.peerInit < body && len(h.streams) == 0 {
			h.mu.Unlock()
			return Outcome{}, fmt.Errorf("push: the service's stream window (%d bytes) is smaller than the message (%d)", h.peerInit, body)
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			h.mu.Unlock()
			return Outcome{}, errH2Timeout
		}
		h.cond.Wait() // the reader or the sweeper (each tick) wakes it
	}
	if h.err != nil {
		err := h.err
		h.mu.Unlock()
		return Outcome{}, fmt.Errorf("%w: %v", errStale, err)
	}
	st.id = h.next
	h.next += 2
	h.streams[st.id] = st
	h.window -= body
	h.lastUse = time.Now()
	h.appendRequest(st.id, r)
	h.mu.Unlock()
	h.flush()
	select {
	case <-st.done:
	case <-ctx.Done():
		h.mu.Lock()
		h.end(st, ctx.Err(), true)
		h.mu.Unlock()
		h.flush()
		<-st.done
	}
	if st.err != nil {
		return Outcome{}, st.err
	}
	return answered(who, st.status, statusLine(st.status), st.retryAfter), nil
}

// appendRequest appends the HEADERS (and CONTINUATION) and DATA frames of r on stream id to
// wbuf. The caller holds mu.
func (h *h2Conn) appendRequest(id uint32, r *pushRequest) {
	block := h.hbuf[:0]
	if id == 1 {
		block = append(block, 0x20) // a dynamic table size update to 0: this side indexes nothing
	}
	if h.scheme == "https" {
		block = append(block, 0x80|3, 0x80|7) // :method POST, :scheme https (static table)
	} else {
		block = append(block, 0x80|3, 0x80|6)
	}
	block = appendHpackField(block, ":authority", r.url.Host)
	block = appendHpackField(block, ":path", r.url.RequestURI())
	block = appendHpackField(block, "content-length", strconv.Itoa(len(r.body)))
	for _, kv := range r.header {
		block = appendHpackField(block, lowerASCII(kv[0]), kv[1])
	}
	h.hbuf = block
	first := true
	for first || len(block) > 0 {
		n := min(len(block), h.maxFrame)
		var flags http2.Flags
		if n == len(block) {
			flags |= http2.FlagHeadersEndHeaders
		}
		typ := http2.FrameContinuation
		if first {
			typ = http2.FrameHeaders
			if len(r.body) == 0 {
				flags |= http2.FlagHeadersEndStream
			}
		}
		h.wbuf = appendFrame(h.wbuf, typ, flags, id, block[:n])
		block, first = block[n:], false
	}
	for b := r.body; len(b) > 0; {
		n := min(len(b), h.maxFrame)
		var flags http2.Flags
		if n == len(b) {
			flags = http2.FlagDataEndStream
		}
		h.wbuf = appendFrame(h.wbuf, http2.FrameData, flags, id, b[:n])
		b = b[n:]
	}
}

// lowerASCII is s in lower case (HTTP/2 field names are), without a copy when it already is.
func lowerASCII(s string) string {
	for i := range len(s) {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// hpackStaticName is the index in HPACK's static table (RFC 7541 appendix A) of the names a
// push request has.
var hpackStaticName = map[string]uint64{
	":authority": 1, ":path": 4, "authorization": 23, "content-encoding": 26, "content-length": 28, "content-type": 31,
}

// appendHpackField appends name: value as a literal field without indexing (RFC 7541 §6.2.2),
// its name by static index when it has one, strings not Huffman-coded. A push's fields are
// few and short, and most change from push to push: searching and keeping a dynamic table cost
// more than the bytes it saves on a local link, and a connection's state then stays in frames.
func appendHpackField(b []byte, name, value string) []byte {
	if i, ok := hpackStaticName[name]; ok {
		b = appendHpackInt(b, 4, i)
	} else {
		b = append(b, 0)
		b = appendHpackString(b, name)
	}
	return appendHpackString(b, value)
}

func appendHpackString(b []byte, s string) []byte {
	return append(appendHpackInt(b, 7, uint64(len(s))), s...)
}

// appendHpackInt appends v as an HPACK integer with an n-bit prefix, the bits above it zero (the
// representations written here: literal without indexing, a string not Huffman-coded; RFC 7541
// §5.1).
func appendHpackInt(b []byte, n uint, v uint64) []byte {
	limit := uint64(1)<<n - 1
	if v < limit {
		return append(b, byte(v))
	}
	b = append(b, byte(limit))
	for v -= limit; v >= 128; v >>= 7 {
		b = append(b, byte(v&0x7f|0x80))
	}
	return append(b, byte(v))
}

// flush writes wbuf out unless another goroutine is already doing it (that one writes what was
// added meanwhile too). It first yields, so that the senders that are ready add their frames
// and one write carries them all.
func (h *h2Conn) flush() {
	h.mu.Lock()
	if h.flushing || len(h.wbuf) == 0 {
		h.mu.Unlock()
		return
	}
	h.flushing = true
	h.mu.Unlock()
	runtime.Gosched()
	for {
		h.mu.Lock()
		if len(h.wbuf) == 0 {
			h.flushing = false
			h.closeIfDone()
			h.mu.Unlock()
			return
		}
		b := h.wbuf
		h.wbuf = h.spare[:0]
		h.mu.Unlock()
		_ = h.nc.SetWriteDeadline(time.Now().Add(h.timeout))
		_, err := h.nc.Write(b)
		h.mu.Lock()
		h.spare = b[:0]
		if err != nil {
			h.flushing = false
			h.fail(err)
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
}

// end finishes st with err (nil: its answer is complete). rst also cancels the stream at the
// service. The caller holds mu.
func (h *h2Conn) end(st *h2Stream, err error, rst bool) {
	if st.ended {
		return
	}
	st.ended, st.err = true, err
	delete(h.streams, st.id)
	if rst && h.err == nil {
		h.wbuf = appendU32Frame(h.wbuf, http2.FrameRSTStream, st.id, uint32(http2.ErrCodeCancel))
	}
	st.done <- struct{}{}
	h.cond.Broadcast()
	h.closeIfDone()
}

// fail ends the connection with err: every open stream ends, as not processed (errStale) when
// no answer had begun. The caller holds mu.
func (h *h2Conn) fail(err error) {
	if h.err == nil {
		h.err = err
	}
	for _, st := range h.streams {
		if st.status == 0 {
			h.end(st, fmt.Errorf("%w: %v", errStale, err), false)
		} else {
			h.end(st, err, false)
		}
	}
	h.forget()
	h.closeIfDone()
	h.cond.Broadcast()
}

// forget takes the connection out of the pool: new pushes dial a new one.
func (h *h2Conn) forget() {
	h.p.mu.Lock()
	if h.p.h2[h.key] == h {
		delete(h.p.h2, h.key)
	}
	h.p.mu.Unlock()
}

// closeIfDone closes the socket of a connection that takes no new stream once its last stream
// has ended. The caller holds mu.
func (h *h2Conn) closeIfDone() {
	if h.err != nil && len(h.streams) == 0 && !h.flushing {
		h.nc.Close()
	}
}

// maxAnswerHeaders bounds the header block of an answer, CONTINUATION frames included.
const maxAnswerHeaders = 64 << 10

// answerHead is the header block being read: whose, and the two fields a push needs of it.
type answerHead struct {
	stream     uint32
	endStream  bool
	size       int
	status     string
	retryAfter string
}

// readLoop reads the service's frames until the connection ends. Header blocks are decoded here,
// every one (HPACK's table is the connection's), keeping only :status and retry-after.
func (h *h2Conn) readLoop() {
	fr := http2.NewFramer(nil, bufio.NewReaderSize(h.nc, 16<<10))
	var head answerHead
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		switch f.Name {
		case ":status":
			head.status = f.Value
		case "retry-after":
			head.retryAfter = f.Value
		}
	})
	dec.SetMaxStringLength(maxAnswerHeaders)
	for {
		f, err := fr.ReadFrame()
		if err == nil {
			err = h.decodeHead(f, dec, &head)
		}
		if err != nil {
			h.mu.Lock()
			h.fail(err)
			h.nc.Close()
			if !h.settledOK {
				close(h.settled)
			}
			h.mu.Unlock()
			return
		}
		h.mu.Lock()
		out := len(h.wbuf)
		if err := h.frame(f, &head); err != nil {
			h.wbuf = appendFrame(h.wbuf, http2.FrameGoAway, 0, 0, goAway(http2.ErrCodeProtocol))
			h.fail(err)
		}
		wrote := len(h.wbuf) > out
		h.mu.Unlock()
		if wrote {
			h.flush()
		}
	}
}

// decodeHead feeds the HPACK decoder the header block fragments in f (HEADERS, CONTINUATION;
// the framer has checked their order). An error is a connection error.
func (h *h2Conn) decodeHead(f http2.Frame, dec *hpack.Decoder, head *answerHead) error {
	var frag []byte
	switch f := f.(type) {
	case *http2.HeadersFrame:
		*head = answerHead{stream: f.StreamID, endStream: f.StreamEnded()}
		frag = f.HeaderBlockFragment()
	case *http2.ContinuationFrame:
		frag = f.HeaderBlockFragment()
	default:
		return nil
	}
	if head.size += len(frag); head.size > maxAnswerHeaders {
		return errors.New("push: an answer's header block over 64 KiB")
	}
	if _, err := dec.Write(frag); err != nil {
		return err
	}
	if !f.Header().Flags.Has(http2.FlagHeadersEndHeaders) { // the same bit on CONTINUATION
		return nil
	}
	return dec.Close()
}

// frame handles one frame from the service. The caller holds mu. An error is a connection
// error: the connection ends.
func (h *h2Conn) frame(f http2.Frame, head *answerHead) error {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		err := f.ForeachSetting(func(s http2.Setting) error {
			switch s.ID {
			case http2.SettingMaxConcurrentStreams:
				h.maxStreams = s.Val
			case http2.SettingInitialWindowSize:
				if s.Val > 1<<31-1 {
					return errors.New("push: SETTINGS_INITIAL_WINDOW_SIZE too large")
				}
				h.peerInit = int64(s.Val)
			case http2.SettingMaxFrameSize:
				h.maxFrame = int(s.Val)
			}
			return nil
		})
		if err != nil {
			return err
		}
		h.wbuf = appendFrame(h.wbuf, http2.FrameSettings, http2.FlagSettingsAck, 0, nil)
		h.cond.Broadcast()
		if !h.settledOK {
			h.settledOK = true
			close(h.settled)
		}
	case *http2.HeadersFrame, *http2.ContinuationFrame:
		if !f.Header().Flags.Has(http2.FlagHeadersEndHeaders) {
			return nil // the block goes on
		}
		st := h.streams[head.stream]
		if st == nil {
			return nil // a stream this side already cancelled
		}
		if st.status >= 200 { // trailers
			if head.endStream {
				h.end(st, nil, false)
			}
			return nil
		}
		status, err := strconv.Atoi(head.status)
		if err != nil || status < 100 || status > 999 {
			h.end(st, fmt.Errorf("push: malformed :status %q", head.status), true)
			return nil
		}
		if status < 200 { // interim
			return nil
		}
		st.status, st.retryAfter = status, head.retryAfter
		if head.endStream {
			h.end(st, nil, false)
		}
	case *http2.DataFrame:
		h.unacked += int(f.Length)
		if h.unacked >= h2RecvWindow/4 {
			h.wbuf = appendU32Frame(h.wbuf, http2.FrameWindowUpdate, 0, uint32(h.unacked))
			h.unacked = 0
		}
		st := h.streams[f.StreamID]
		if st == nil {
			return nil
		}
		st.body += int(f.Length)
		switch {
		case st.status == 0:
			h.end(st, errors.New("push: DATA before the answer's HEADERS"), true)
		case f.StreamEnded():
			h.end(st, nil, false)
		case st.body > h2RecvWindow/2:
			h.end(st, nil, true) // enough of a body that is dropped anyway
		}
	case *http2.RSTStreamFrame:
		if st := h.streams[f.StreamID]; st != nil {
			err := fmt.Errorf("push: stream reset by the service (%v)", f.ErrCode)
			if f.ErrCode == http2.ErrCodeRefusedStream {
				err = fmt.Errorf("%w: %v", errStale, err)
			}
			h.end(st, err, false)
		}
	case *http2.WindowUpdateFrame:
		if f.StreamID == 0 {
			h.window += int64(f.Increment)
			h.cond.Broadcast()
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			h.wbuf = appendFrame(h.wbuf, http2.FramePing, http2.FlagPingAck, 0, f.Data[:])
		}
	case *http2.GoAwayFrame:
		if h.err == nil {
			h.err = fmt.Errorf("%w (GOAWAY %v)", errH2Closed, f.ErrCode)
		}
		for id, st := range h.streams {
			if id > f.LastStreamID { // never processed: it may go again
				h.end(st, fmt.Errorf("%w: %v", errStale, h.err), false)
			}
		}
		h.forget()
		h.closeIfDone()
		h.cond.Broadcast()
	}
	return nil
}

// sweep, every tick, cancels the streams past their deadline, closes the connection after
// h2IdleTimeout with nothing on it, and wakes the senders waiting for a slot (to check their own
// deadlines).
func (h *h2Conn) sweep() {
	tick := min(max(h.timeout/4, 50*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for range t.C {
		now := time.Now()
		h.mu.Lock()
		if h.err != nil && len(h.streams) == 0 {
			h.closeIfDone()
			h.mu.Unlock()
			return
		}
		out := len(h.wbuf)
		for _, st := range h.streams {
			if !now.Before(st.deadline) {
				h.end(st, errH2Timeout, true)
			}
		}
		if h.err == nil && len(h.streams) == 0 && now.Sub(h.lastUse) > h2IdleTimeout {
			h.wbuf = appendFrame(h.wbuf, http2.FrameGoAway, 0, 0, goAway(http2.ErrCodeNo))
			h.err = errH2Closed
			h.forget()
		}
		h.cond.Broadcast()
		wrote := len(h.wbuf) > out
		h.mu.Unlock()
		if wrote {
			h.flush() // closes the connection after writing, if that was its last word
		}
	}
}

// close ends the connection now (pushConns.Close).
func (h *h2Conn) close() {
	h.mu.Lock()
	h.fail(errH2Closed)
	h.nc.Close()
	h.mu.Unlock()
}
