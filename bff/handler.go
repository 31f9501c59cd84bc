package bff

import (
	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
)

// needs runs h with what get finds for the request, or answers get's error without running h:
// the one preamble of the routes that need a service that may not be wired (503), the signed-in
// person or an id from the path. get checks in its own order (401 before 503, 503 before 404).
func needs[D any](get func(*fiber.Ctx) (D, error), h func(*fiber.Ctx, D) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := get(c)
		if err != nil {
			return err
		}
		return h(c, d)
	}
}

// reply answers v as JSON with status, or err when the call that made v failed: the tail of the
// handlers that return what a service call gave.
func reply(c *fiber.Ctx, status int, v any, err error) error {
	if err != nil {
		return err
	}
	return c.Status(status).JSON(v)
}

// parseBody decodes the request body (JSON, or a form) into a T; one that does not decode is a
// 400 of kind bad with its catalogue message.
func parseBody[T any](c *fiber.Ctx, bad apperr.Kind) (T, error) {
	var v T
	if err := c.BodyParser(&v); err != nil {
		return v, apperr.New(bad, "")
	}
	return v, nil
}

// route is one row of a route table: the method, the path and the handler, which takes what the
// table's routes need.
type route[D any] struct {
	method, path string
	h            func(*fiber.Ctx, D) error
}

// mount registers a table of routes that all need what get finds (see needs), in order.
func mount[D any](r fiber.Router, get func(*fiber.Ctx) (D, error), routes []route[D]) {
	for _, rt := range routes {
		r.Add(rt.method, rt.path, needs(get, rt.h))
	}
}
