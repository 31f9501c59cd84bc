package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
)

// intParam reads an optional integer query parameter within [min, max]; a bad value is a 400
// invalid_parameter naming the parameter.
func intParam(c *fiber.Ctx, name string, def, min, max int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < min || n > max {
		return 0, apperr.Newf(apperr.InvalidParameter, "参数 %s 不正确，应为 %d 到 %d 之间的整数。", name, min, max).
			WithDetails(map[string]string{"parameter": name})
	}
	return n, nil
}

// pageParams reads the optional limit (1 to 100, default 20) and page (1 to maxPage, default 1)
// of a paged list, limit first.
func pageParams(c *fiber.Ctx, maxPage int) (page, limit int, err error) {
	if limit, err = intParam(c, "limit", 20, 1, 100); err != nil {
		return 0, 0, err
	}
	page, err = intParam(c, "page", 1, 1, maxPage)
	return page, limit, err
}

// badParam is a 400 invalid_parameter naming the parameter and what it should be.
func badParam(name, want string) error {
	return apperr.Newf(apperr.InvalidParameter, "参数 %s 不正确，%s。", name, want).
		WithDetails(map[string]string{"parameter": name})
}
