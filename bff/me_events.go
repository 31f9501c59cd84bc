package bff

import (
	"bufio"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"shebao/internal/apperr"
)

// sseKeepAlive is how often an idle progress stream sends a comment, so that proxies keep it.
const sseKeepAlive = 25 * time.Second

// meEvents answers GET /api/v1/me/events: a Server-Sent Events stream of the person's
// application steps (event "progress", data an event.ApplicationStep as JSON), as they happen.
// It carries nothing from before it opened: a client reads GET /me/applications when it
// (re)connects, then follows the stream. A stream that falls too far behind (a slow client, a
// burst of steps) ends with event "resync": the client reads its applications again and
// reconnects; no step is ever left out without it.
func (s *Server) meEvents(c *fiber.Ctx) error {
	if s.Progress == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	steps, stop := s.Progress.Watch(principal(c).Subject)
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	done := s.stopping
	c.Context().SetBodyStreamWriter(fasthttp.StreamWriter(func(w *bufio.Writer) {
		defer stop()
		tick := time.NewTicker(sseKeepAlive)
		defer tick.Stop()
		if _, err := w.WriteString(": progress stream open\n\n"); err != nil || w.Flush() != nil {
			return
		}
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := w.WriteString(": keep-alive\n\n"); err != nil || w.Flush() != nil {
					return
				}
			case st, ok := <-steps:
				if !ok {
					// The stream fell too far behind and steps were left out: the client reads
					// its applications again (GET /me/applications), then reconnects.
					w.WriteString("event: resync\ndata: {}\n\n")
					w.Flush()
					return
				}
				data, _ := json.Marshal(st)
				w.WriteString("event: progress\nid: " + st.ApplicationID + "-" + itoa(st.Seq) + "\ndata: ")
				w.Write(data)
				w.WriteString("\n\n")
				if w.Flush() != nil {
					return
				}
			}
		}
	}))
	return nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
