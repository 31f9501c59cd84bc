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
	r.Get("/search/synonyms", listed(s, (*search.Service).Synonyms))
	r.Put("/search/synonyms", s.putSynonym)
	r.Delete("/search/synonyms/:term", s.deleteSynonym)
	r.Get("/search/bestbets", listed(s, (*search.Service).BestBets))
	r.Put("/search/bestbets", s.putBestBet)
	r.Delete("/search/bestbets", s.deleteBestBet)
	r.Get("/reports/search", s.searchReport)
	r.Get("/reports/chat", s.chatReport)
}

// listed answers with every item list returns (synonyms, best bets), never cached.
func listed[T any](s *Server, list func(*search.Service, context.Context) ([]T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		svc, err := s.searcher()
		if err != nil {
			return err
		}
		items, err := list(svc, c.UserContext())
		if err != nil {
			return err
		}
		noStore(c)
		return c.JSON(fiber.Map{"items": items})
	}
}

func (s *Server) putSynonym(c *fiber.Ctx) error {
	svc, err := s.searcher()
	if err != nil {
		return err
	}
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

func (s *Server) deleteSynonym(c *fiber.Ctx) error {
	svc, err := s.searcher()
	if err != nil {
		return err
	}
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

func (s *Server) putBestBet(c *fiber.Ctx) error {
	svc, err := s.searcher()
	if err != nil {
		return err
	}
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

func (s *Server) deleteBestBet(c *fiber.Ctx) error {
	svc, err := s.searcher()
	if err != nil {
		return err
	}
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
func (s *Server) searchReport(c *fiber.Ctx) error {
	svc, err := s.searcher()
	if err != nil {
		return err
	}
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
