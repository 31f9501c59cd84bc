package main

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A damaged search index segment does not stop the server from starting: the index is moved
// aside, rebuilt from the store, and search finds guides again (#18.2: it used to panic at every
// start).
func TestServeRebuildsDamagedIndex(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	vars := map[string]string{"SHEBAO_DATA_DIR": dataDir, "SHEBAO_ADDR": addr, "SHEBAO_SHUTDOWN_TIMEOUT": "5s"}

	out := serveUntilReady(t, vars, addr, func() {})
	if strings.Contains(out, "search index damaged") {
		t.Fatalf("a fresh data dir reported damage:\n%s", out)
	}

	for _, damage := range []struct {
		name string
		do   func(b []byte)
	}{
		{"bytes overwritten in the middle", func(b []byte) {
			for i := len(b) / 2; i < min(len(b)-4, len(b)/2+4096); i++ {
				b[i] ^= 0xa5
			}
		}},
		{"an offset past the end, checksum recomputed (bleve panics on open)", func(b []byte) {
			n := len(b)
			binary.BigEndian.PutUint64(b[n-20:], uint64(n)*3) // the footer's last offset
			binary.BigEndian.PutUint32(b[n-4:], crc32.ChecksumIEEE(b[:n-4]))
		}},
	} {
		zs, _ := filepath.Glob(filepath.Join(dataDir, "index", "index-*", "store", "*.zap"))
		if len(zs) == 0 {
			t.Fatal("no index segment in the data dir")
		}
		for _, z := range zs {
			b, err := os.ReadFile(z)
			if err != nil {
				t.Fatal(err)
			}
			damage.do(b)
			if err := os.WriteFile(z, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out = serveUntilReady(t, vars, addr, func() {
			res, err := http.Get("http://" + addr + "/api/v1/search?q=" + url.QueryEscape("社保卡丢了"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), "社会保障卡挂失与解挂") {
				t.Errorf("%s: search after the start: %d %s", damage.name, res.StatusCode, body)
			}
		})
		if n := strings.Count(out, `"msg":"search index damaged`); n != 1 {
			t.Errorf("%s: damage logged %d times, want once:\n%s", damage.name, n, out)
		}
	}
}
