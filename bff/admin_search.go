package bff

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/beijing"
	"shebao/search"
)

// adminSearchRoutes registers the editors' search tools: synonyms, best bets and the 办事堵点
// report. Any editorial role may use them; changes take effect without a restart.
func (s *Server) adminSearchRoutes(r fiber.Router) {
	mount(r, s.searcher, []route[*search.Service]{
		{"GET", "/search/synonyms", listed((*search.Service).Synonyms)},
		{"PUT", "/search/synonyms", s.putSynonym},
		{"DELETE", "/search/synonyms/:term", s.deleteSynonym},
		{"GET", "/search/bestbets", listed((*search.Service).BestBets)},
		{"PUT", "/search/bestbets", s.putBestBet},
		{"DELETE", "/search/bestbets", s.deleteBestBet},
		{"GET", "/reports/search", s.searchReport},
	})
	r.Get("/reports/chat", s.chatReport)
}

// listed answers with every item list returns (synonyms, best bets), never cached.
func listed[T any](list func(*search.Service, context.Context) ([]T, error)) func(*fiber.Ctx, *search.Service) error {
	return func(c *fiber.Ctx, svc *search.Service) error {
		items, err := list(svc, c.UserContext())
		if err != nil {
			return err
		}
		noStore(c)
		return c.JSON(fiber.Map{"items": items})
	}
}

func (s *Server) putSynonym(c *fiber.Ctx, svc *search.Service) error {
	var syn search.Synonym
	if err := strictDecode(c.Body(), &syn); err != nil {
		return err
	}
	if err := svc.PutSynonym(c.UserContext(), syn); err != nil {
		return err
	}
	s.auditSearch(c, "synonym_put", syn.Term)
	return c.JSON(syn)
}

func (s *Server) deleteSynonym(c *fiber.Ctx, svc *search.Service) error {
	term, err := url.PathUnescape(c.Params("term"))
	if err != nil {
		return badParam("term", "不是有效的词语")
	}
	if err := svc.DeleteSynonym(c.UserContext(), term); err != nil {
		return err
	}
	s.auditSearch(c, "synonym_delete", term)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) putBestBet(c *fiber.Ctx, svc *search.Service) error {
	var b search.BestBet
	if err := strictDecode(c.Body(), &b); err != nil {
		return err
	}
	if _, err := s.Content.Guide(b.Code); err != nil {
		return err
	}
	if err := svc.PutBestBet(c.UserContext(), b); err != nil {
		return err
	}
	s.auditSearch(c, "bestbet_put", b.Query+" → "+b.Code)
	return c.JSON(b)
}

func (s *Server) deleteBestBet(c *fiber.Ctx, svc *search.Service) error {
	q, code := c.Query("query"), c.Query("code")
	if q == "" {
		return badParam("query", "不能为空")
	}
	if code == "" {
		return badParam("code", "不能为空")
	}
	if err := svc.DeleteBestBet(c.UserContext(), q, code); err != nil {
		return err
	}
	s.auditSearch(c, "bestbet_delete", q+" → "+code)
	return c.SendStatus(fiber.StatusNoContent)
}

// searchReport answers GET /api/v1/admin/reports/search?from=&to= (dates YYYY-MM-DD or RFC 3339;
// default the last 30 days): top queries, zero-result queries and queries with no click.
func (s *Server) searchReport(c *fiber.Ctx, svc *search.Service) error {
	from, to, err := reportPeriod(c)
	if err != nil {
		return err
	}
	rep, err := svc.Report(c.UserContext(), from, to)
	if err != nil {
		return err
	}
	// The chat's part of the report: the questions the guides could not answer, by guide.
	chat, err := s.unansweredChat(c, from, to)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(struct {
		*search.Report
		UnansweredChat []UnansweredGuide `json:"unanswered_chat"`
	}{rep, chat})
}

// reportPeriod reads a report's from and to (dates YYYY-MM-DD, a day meaning through its end, or
// RFC 3339); the default is the last 30 days.
func reportPeriod(c *fiber.Ctx) (time.Time, time.Time, error) {
	to := time.Now()
	from := to.AddDate(0, 0, -30)
	var err error
	if v := c.Query("from"); v != "" {
		if from, err = parseDay(v); err != nil {
			return from, to, badParam("from", "应为日期，例如 2026-11-01")
		}
	}
	if v := c.Query("to"); v != "" {
		if to, err = parseDay(v); err != nil {
			return from, to, badParam("to", "应为日期，例如 2026-11-30")
		}
		if len(v) == len("2006-01-02") {
			to = to.AddDate(0, 0, 1) // a day means through its end
		}
	}
	if !to.After(from) {
		return from, to, badParam("to", "应晚于 from")
	}
	return from, to, nil
}

func parseDay(v string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", v, beijing.Location()); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

// auditSearch records an editor's change to search behaviour in the audit log.
func (s *Server) auditSearch(c *fiber.Ctx, action, what string) {
	if err := s.Content.RecordAudit(c.UserContext(), actor(c), action, "search", what); err != nil {
		s.log.Error("audit search change", "request_id", requestID(c), "err", err)
	}
}
