package bff

import (
	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/search"
)

func (s *Server) searchRoutes(v1 fiber.Router) {
	mount(v1, s.searcher, []route[*search.Service]{
		{"GET", "/search", s.search},
		{"GET", "/search/suggest", s.suggest},
		{"POST", "/search/click", s.searchClick},
	})
}

// searcher returns the search service or service_unavailable while there is none.
func (s *Server) searcher(*fiber.Ctx) (*search.Service, error) {
	if s.Search == nil || !s.Search.Ready() {
		return nil, apperr.New(apperr.Unavailable, "搜索服务正在准备中，请稍后再试。")
	}
	return s.Search, nil
}

// queryParams gives the search package the request's query parameters, each copied out of
// fasthttp's buffer (the search keeps them in its cache and log) only when asked for.
type queryParams struct{ c *fiber.Ctx }

func (q queryParams) Get(key string) string { return string(q.c.Context().QueryArgs().Peek(key)) }

// search answers GET /api/v1/search?q=&limit=&cursor=&category=&audience=&region=.
func (s *Server) search(c *fiber.Ctx, svc *search.Service) error {
	req, err := search.ParseRequest(queryParams{c})
	if err != nil {
		return err
	}
	res, err := svc.Search(c.UserContext(), req)
	if err != nil {
		return err
	}
	// The page part of the body is encoded once per cached page; json.Marshal would re-validate
	// those bytes on every request.
	body, err := res.MarshalJSON()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}

// suggest answers GET /api/v1/search/suggest?q=&limit= for as-you-type completion.
func (s *Server) suggest(c *fiber.Ctx, svc *search.Service) error {
	limit, err := intParam(c, "limit", 8, 1, 20)
	if err != nil {
		return err
	}
	items, err := svc.Suggest(c.UserContext(), c.Query("q"), limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []search.Suggestion{}
	}
	return c.JSON(fiber.Map{"query": c.Query("q"), "suggestions": items})
}

// searchClick answers POST /api/v1/search/click {"query_id","code"}: which result was opened.
func (s *Server) searchClick(c *fiber.Ctx, svc *search.Service) error {
	var body struct {
		QueryID string `json:"query_id"`
		Code    string `json:"code"`
	}
	if err := strictDecode(c.Body(), &body); err != nil {
		return err
	}
	if err := svc.Click(c.UserContext(), body.QueryID, body.Code); err != nil {
		return err
	}
	if _, err := s.Content.Guide(body.Code); err == nil {
		s.usedGuide(c, body.Code)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
