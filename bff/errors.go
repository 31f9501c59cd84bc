package bff

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
)

// ErrorBody is the JSON error model of every API response that is not a success.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries a stable machine code, a Chinese message for the user and the request id.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Details   any    `json:"details,omitempty"`
}

// errorHandler turns any error a handler returns into the JSON error model. Application errors
// keep their code and message; Fiber's own errors map to catalogue kinds; anything else is logged
// with detail and shown only as internal_error.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	ae, ok := apperr.As(err)
	if !ok {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			ae = fiberError(fe)
		} else {
			ae = apperr.Wrap(apperr.Internal, "", err)
		}
	}
	if ae.Status >= 500 {
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Method(),
			"route", routeOf(c), "code", ae.Code, "err", err)
	}
	return writeError(c, ae)
}

func writeError(c *fiber.Ctx, ae *apperr.Error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(ae.Status).JSON(ErrorBody{Error: ErrorDetail{Code: ae.Code, Message: ae.Message,
		RequestID: requestID(c), Details: ae.Details}})
}

func fiberError(fe *fiber.Error) *apperr.Error {
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
		return &apperr.Error{Code: apperr.InvalidParameter.Code, Status: fe.Code, Message: apperr.InvalidParameter.Message}
	}
	return apperr.Wrap(apperr.Internal, "", fe)
}
