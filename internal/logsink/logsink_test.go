package logsink

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

func TestBatchesAndFlushesEverything(t *testing.T) {
	out := &lockedBuffer{}
	w := New(out, 4096, time.Hour)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				fmt.Fprintf(w, "line %d-%d\n", g, i)
			}
		}(g)
	}
	wg.Wait()
	w.Close()
	s, writes := out.snapshot()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "line ") {
			t.Fatalf("torn line %q", l)
		}
	}
	if writes > 1600/10 {
		t.Errorf("%d writes for 1600 lines: not batched", writes)
	}
}

func TestFlushesOnInterval(t *testing.T) {
	out := &lockedBuffer{}
	w := New(out, 1<<16, 10*time.Millisecond)
	defer w.Close()
	w.Write([]byte("hello\n"))
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := out.snapshot(); s == "hello\n" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Error("buffered line never flushed")
}
