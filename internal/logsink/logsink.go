// Package logsink batches log lines before they reach the output: one write(2) per line costs
// more than the rest of a cached request, so lines are buffered and flushed every interval, when
// the buffer fills, and on Close.
package logsink

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer is a concurrency-safe buffered writer that flushes itself periodically.
type Writer struct {
	mu    sync.Mutex
	buf   *bufio.Writer
	stop  chan struct{}
	done  chan struct{}
	close sync.Once
}

// New wraps w with a buffer of size bytes flushed at least every interval.
func New(w io.Writer, size int, interval time.Duration) *Writer {
	s := &Writer{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop(interval)
	return s
}

func (s *Writer) loop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.Flush()
		case <-s.stop:
			return
		}
	}
}

// Write buffers p; a line is never split across two flushes unless it is larger than the buffer.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf.Available() < len(p) && s.buf.Buffered() > 0 {
		if err := s.buf.Flush(); err != nil {
			return 0, err
		}
	}
	return s.buf.Write(p)
}

// Flush writes out everything buffered.
func (s *Writer) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Flush()
}

// Close stops the flusher and writes out what is left.
func (s *Writer) Close() error {
	s.close.Do(func() {
		close(s.stop)
		<-s.done
	})
	return s.Flush()
}
