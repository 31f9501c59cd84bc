package bff

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/beijing"
	"shebao/internal/retirement"
)

// retirementAge answers GET /api/v1/tools/retirement?category=&birth= with the statutory retirement
// age computed from the 2024 decision, and the rule it comes from.
func (s *Server) retirementAge(c *fiber.Ctx) error {
	r, err := retirement.Lookup(c.Query("category"), c.Query("birth"), beijing.Now())
	var pe *retirement.ParamError
	if errors.As(err, &pe) {
		return apperr.Newf(apperr.InvalidParameter, "参数 %s 不正确：%s。", pe.Param, pe.Message).
			WithDetails(map[string]string{"parameter": pe.Param})
	}
	if err != nil {
		return err
	}
	return c.JSON(r.View())
}
