package apperr

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
)

// TestCatalogueIsConsistent: codes are unique snake_case with a status and a Chinese message;
// every chat kind and close code is in the one catalogue.
func TestCatalogueIsConsistent(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	han := regexp.MustCompile(`\p{Han}`)
	seen := map[string]bool{}
	for _, k := range Catalogue {
		if seen[k.Code] {
			t.Errorf("code %s listed twice", k.Code)
		}
		seen[k.Code] = true
		if !snake.MatchString(k.Code) || k.Status < 400 || k.Status > 599 || !han.MatchString(k.Message) {
			t.Errorf("bad entry %+v", k)
		}
	}
	for _, k := range ChatKinds {
		if !slices.Contains(Catalogue, k) {
			t.Errorf("chat kind %s is not in the catalogue", k.Code)
		}
	}
	for _, c := range CloseCodes {
		if c < 4000 || c > 4999 || c.Reason() == "" || len(c.Reason()) > 123 {
			t.Errorf("close code %d: reason %q", c, c.Reason())
		}
	}
}

// TestWriteHTTPUsesTheEdgesRequestID: the body names the request id the edge put on the
// response header.
func TestWriteHTTPUsesTheEdgesRequestID(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set(RequestIDHeader, "edge-1")
	WriteHTTP(w, New(TooManyConnections, ""))
	var b Body
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusTooManyRequests || b.Error.Code != "too_many_connections" || b.Error.RequestID != "edge-1" ||
		b.Error.Message != TooManyConnections.Message || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("%d %s %v", w.Code, w.Body, w.Header())
	}
}
