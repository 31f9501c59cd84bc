package bff

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAccessLineIsValidJSON(t *testing.T) {
	for _, path := range []string{"/api/v1/guides/X", "/a\"b\\c\n\x01", "/社保/卡", string([]byte{0xff, 'a'})} {
		line := accessLine(nil, time.Now(), "id-1", "GET", "/api/v1/guides/:code", path, 200, 1500*time.Microsecond, "127.0.0.1", 42)
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%q: %v: %s", path, err, line)
		}
		if m["msg"] != "request" || m["status"] != 200.0 || m["duration_ms"] != 1.5 || m["request_id"] != "id-1" {
			t.Errorf("fields: %s", line)
		}
		if path != string([]byte{0xff, 'a'}) && m["path"] != path {
			t.Errorf("path %q became %q", path, m["path"])
		}
	}
}
