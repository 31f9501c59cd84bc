// Package logsink batches log lines before they reach the output: one write(2) per line costs
// more than the rest of a cached request, so lines are buffered and written every interval or
// when the buffer fills, and on Flush and Close. The write itself happens off the caller's path:
// a full buffer is handed to a writer goroutine and the caller goes on with a spare one, so a
// request waits for the output only when the writer is a whole buffer behind.
package logsink

import (
	"io"
	"sync"
	"time"
)

// Writer is a concurrency-safe buffered writer that flushes itself periodically.
type Writer struct {
	w    io.Writer
	size int

	mu     sync.Mutex
	cur    []byte
	closed bool

	full  chan handoff // buffers for the writer goroutine
	free  chan []byte  // written buffers, back for reuse
	errMu sync.Mutex
	err   error // the last write error, reported by Flush

	stop    chan struct{}
	done    chan struct{} // the ticker has stopped
	written chan struct{} // the writer goroutine has stopped
	close   sync.Once
}

type handoff struct {
	b    []byte
	done chan struct{} // closed once b is written (Flush waits on it); may be nil
}

// New wraps w with a buffer of size bytes flushed at least every interval.
func New(w io.Writer, size int, interval time.Duration) *Writer {
	s := &Writer{w: w, size: size, cur: make([]byte, 0, size), full: make(chan handoff, 1), free: make(chan []byte, 2),
		stop: make(chan struct{}), done: make(chan struct{}), written: make(chan struct{})}
	s.free <- make([]byte, 0, size)
	go s.write()
	go s.tick(interval)
	return s
}

func (s *Writer) write() {
	defer close(s.written)
	for h := range s.full {
		if len(h.b) > 0 {
			if _, err := s.w.Write(h.b); err != nil {
				s.errMu.Lock()
				s.err = err
				s.errMu.Unlock()
			}
		}
		s.free <- h.b[:0]
		if h.done != nil {
			close(h.done)
		}
	}
}

func (s *Writer) tick(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.mu.Lock()
			if len(s.cur) > 0 && !s.closed {
				s.handOff(nil)
			}
			s.mu.Unlock()
		case <-s.stop:
			return
		}
	}
}

// handOff gives the current buffer to the writer goroutine and takes a spare one, waiting for
// it only while the writer is still writing the previous buffer; the caller holds mu.
func (s *Writer) handOff(done chan struct{}) {
	s.full <- handoff{s.cur, done}
	s.cur = <-s.free
}

// Write buffers p; a line is never split across two writes. Write errors of the output are
// reported by Flush and Close.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.w.Write(p)
	}
	if len(s.cur)+len(p) > s.size && len(s.cur) > 0 {
		s.handOff(nil)
	}
	s.cur = append(s.cur, p...)
	return len(p), nil
}

// Flush writes out everything buffered and waits until it is written.
func (s *Writer) Flush() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.lastErr()
	}
	done := make(chan struct{})
	s.handOff(done)
	s.mu.Unlock()
	<-done
	return s.lastErr()
}

func (s *Writer) lastErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Close stops the flusher and writes out what is left; later writes go straight to the output.
func (s *Writer) Close() error {
	var err error
	s.close.Do(func() {
		close(s.stop)
		<-s.done
		err = s.Flush()
		s.mu.Lock()
		s.closed = true
		close(s.full)
		s.mu.Unlock()
		<-s.written
	})
	return err
}
