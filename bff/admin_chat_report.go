package bff

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
)

// UnansweredGuide is one line of the chat part of the 办事堵点 report: the chat questions the
// guides could not answer whose closest guide was Code ("" when no guide was found), how often,
// and the most recent of them (masked, as stored).
type UnansweredGuide struct {
	Code      string   `json:"code"`
	Title     string   `json:"title,omitempty"`
	Count     int      `json:"count"`
	Questions []string `json:"questions"`
}

// UnansweredSource lists the chat questions asked in [from, to) that the guides could not
// answer, by closest guide, most frequent first (the assistant's Service.Unanswered). The edge
// does not import the assistant: the assistant's tests build an edge.
type UnansweredSource func(ctx context.Context, from, to time.Time) ([]UnansweredGuide, error)

// chatReport answers GET /api/v1/admin/reports/chat?from=&to=: the chat part of the 办事堵点
// report alone, which needs no search index.
func (s *Server) chatReport(c *fiber.Ctx) error {
	from, to, err := reportPeriod(c)
	if err != nil {
		return err
	}
	if s.Unanswered == nil {
		return apperr.New(apperr.Unavailable, "智能问答服务未启用。")
	}
	lines, err := s.unansweredChat(c, from, to)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(fiber.Map{"from": from, "to": to, "unanswered_chat": lines})
}

// unansweredChat returns the chat questions the guides could not answer in [from, to), each line
// with its guide's title; an empty list when no assistant is wired.
func (s *Server) unansweredChat(c *fiber.Ctx, from, to time.Time) ([]UnansweredGuide, error) {
	if s.Unanswered == nil {
		return []UnansweredGuide{}, nil
	}
	lines, err := s.Unanswered(c.UserContext(), from, to)
	if err != nil {
		return nil, err
	}
	if lines == nil {
		lines = []UnansweredGuide{}
	}
	for i := range lines {
		if lines[i].Code == "" || s.Content == nil {
			continue
		}
		if p, err := s.Content.Guide(lines[i].Code); err == nil {
			lines[i].Title = p.Guide.Name
		}
	}
	return lines, nil
}
