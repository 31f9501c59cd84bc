package bff

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// ErrorBody is the JSON error model of every API response that is not a success.
type ErrorBody = apperr.Body

// ErrorDetail carries a stable machine code, a Chinese message for the user and the request id.
type ErrorDetail = apperr.Detail

// errorHandler turns any error a handler returns into the JSON error model. Application errors
// keep their code and message; Fiber's own errors map to catalogue kinds; anything else is logged
// with detail and shown only as internal_error.
//
// fasthttp also calls it for requests it refuses before any route or middleware runs (request
// line and headers over the read buffer, a body over the limit, a read timeout, malformed HTTP):
// those get their request id, access-log record and metrics here.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	start := time.Now()
	refused := requestIDView(c) == ""
	if refused {
		assignRequestID(c)
	}
	ae, ok := apperr.As(err)
	if !ok {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			ae = fiberError(fe, refused)
		} else {
			ae = apperr.Wrap(apperr.Internal, "", err)
		}
	}
	if ae.Code == apperr.Internal.Code && db.Unreachable(err) {
		// The store is restarting or out of reach: a clean, retryable 503, not an internal error.
		ae = apperr.Wrap(apperr.Unavailable, "", err)
	}
	if ae.Status >= 500 {
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Method(),
			"route", routeOf(c), "code", ae.Code, "err", err)
	}
	werr := writeError(c, ae)
	if refused {
		// The request was never parsed: its path is unknown, and so is its route.
		s.record(start, requestID(c), c.Method(), routeRefused, "", ae.Status, c.IP(), len(c.Response().Body()))
	}
	return werr
}

// routeRefused is the route label of requests fasthttp refused before routing.
const routeRefused = "refused"

func writeError(c *fiber.Ctx, ae *apperr.Error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(ae.Status).JSON(apperr.BodyOf(ae, requestID(c)))
}

// fiberError maps an error Fiber or fasthttp produced to its catalogue kind. refused says
// fasthttp refused the request before routing (see refusal).
func fiberError(fe *fiber.Error, refused bool) *apperr.Error {
	if refused {
		if fe.Code == fiber.StatusBadGateway {
			// fasthttp's answer when the client's connection failed mid-request; nobody reads it.
			return apperr.New(apperr.BadRequest, "")
		}
		return refusal(fe.Code)
	}
	switch fe.Code {
	case fiber.StatusNotFound:
		return apperr.New(apperr.NotFound, "")
	case fiber.StatusMethodNotAllowed:
		return apperr.New(apperr.MethodNotAllowed, "")
	case fiber.StatusRequestEntityTooLarge:
		return apperr.New(apperr.BodyTooLarge, "")
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		return apperr.New(apperr.InvalidBody, "")
	case fiber.StatusTooManyRequests:
		return apperr.New(apperr.RateLimited, "")
	case fiber.StatusServiceUnavailable:
		return apperr.New(apperr.Unavailable, "")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return refusal(fe.Code)
	}
	return apperr.Wrap(apperr.Internal, "", fe)
}
