package testutil

import (
	"strings"
	"sync"
	"testing"
)

func TestLogBufferKeepsConcurrentWrites(t *testing.T) {
	var l LogBuffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Logger().Info("hello", "k", "v")
		}()
	}
	wg.Wait()
	if got := strings.Count(l.String(), `"msg":"hello"`); got != 8 {
		t.Fatalf("want 8 records, got %d in %q", got, l.String())
	}
}
