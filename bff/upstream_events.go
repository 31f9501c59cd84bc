package bff

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/application"
)

// maxWebhookBody bounds one webhook from the 经办 system.
const maxWebhookBody = 64 << 10

// upstreamEvents answers POST /api/v1/upstream/events, the 经办 system's signed status webhook:
// HMAC-SHA256 over "timestamp.body" with the shared secret, the timestamp within five minutes,
// idempotent by event id, applied in the application's sequence order. 200 with the outcome
// (applied, duplicate, waiting); 401 for a bad signature or a stale timestamp; 404 for an
// unknown application. Senders retry anything else with backoff.
func (s *Server) upstreamEvents(c *fiber.Ctx) error {
	if s.Applications == nil || len(s.UpstreamSecret) == 0 {
		return apperr.New(apperr.Unavailable, "")
	}
	body := c.Body()
	if len(body) > maxWebhookBody {
		return apperr.New(apperr.BodyTooLarge, "")
	}
	if err := application.Verify(s.UpstreamSecret, c.Get(application.HeaderTimestamp), c.Get(application.HeaderSignature), body, time.Now()); err != nil {
		return err
	}
	var e application.UpstreamEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return apperr.New(apperr.WebhookInvalid, "")
	}
	outcome, err := s.Applications.Ingest(c.UserContext(), e)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"event_id": e.EventID, "outcome": outcome})
}
