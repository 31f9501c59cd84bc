package bff

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/content/policy"
	"shebao/internal/apperr"
)

func (s *Server) toolRoutes(v1 fiber.Router) {
	v1.Get("/tools/retirement", s.retirement)
}

// shanghai is the time zone the birth-month check uses; "the current month" is China's.
var shanghai = time.FixedZone("CST", 8*3600)

// retirement answers GET /api/v1/tools/retirement?category=&birth= with the statutory retirement
// age computed from the 2024 decision, and the rule it comes from.
func (s *Server) retirement(c *fiber.Ctx) error {
	r, err := policy.Lookup(c.Query("category"), c.Query("birth"), time.Now().In(shanghai))
	var pe *policy.ParamError
	if errors.As(err, &pe) {
		return apperr.Newf(apperr.InvalidParameter, "参数 %s 不正确：%s。", pe.Param, pe.Message).
			WithDetails(map[string]string{"parameter": pe.Param})
	}
	if err != nil {
		return err
	}
	return c.JSON(r.View())
}
