package splitlisten

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRoutesByFirstRequestLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(ln, "GET", "/api/v1/chat")
	go s.Serve()
	defer s.Close()
	serve := func(l net.Listener, name string) {
		http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", name, r.URL.Path)
		}))
	}
	go serve(s.Primary, "primary")
	go serve(s.Secondary, "secondary")
	base := "http://" + ln.Addr().String()
	cases := map[string]string{
		"/api/v1/chat":           "secondary /api/v1/chat",
		"/api/v1/chat?x=1":       "secondary /api/v1/chat",
		"/api/v1/guides":         "primary /api/v1/guides",
		"/api/v1/cha":            "primary /api/v1/cha",
		"/":                      "primary /",
		"/api/v1/guides/SX-YL-1": "primary /api/v1/guides/SX-YL-1",
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for path, want := range cases {
		res, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != want {
			t.Errorf("%s: got %q want %q", path, b, want)
		}
	}
	// A POST to the chat path is not a WebSocket upgrade: it stays on the primary server.
	res, err := client.Post(base+"/api/v1/chat", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "primary /api/v1/chat" {
		t.Errorf("POST chat: %q", b)
	}
	// Bytes that trickle in one at a time are still routed correctly.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, ch := range "GET /api/v1/chat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" {
		c.Write([]byte(string(ch)))
		time.Sleep(time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	if string(b) != "secondary /api/v1/chat" {
		t.Errorf("trickled: %q", b)
	}
}

func TestCloseStopsBothChildren(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s := New(ln, "GET", "/x")
	errc := make(chan error, 1)
	go func() { errc <- s.Serve() }()
	s.Primary.Close()
	if _, err := s.Secondary.Accept(); err == nil {
		t.Error("secondary accepted after close")
	}
	select {
	case <-errc:
	case <-time.After(2 * time.Second):
		t.Error("Serve did not return after close")
	}
}
