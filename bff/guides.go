package bff

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"shebao/content"
	"shebao/internal/apperr"
)

// listGuides answers GET /api/v1/guides: published guides with every element, filtered by
// category, audience and region, in display order, page by page.
func (s *Server) listGuides(c *fiber.Ctx) error {
	page, limit, err := pageParams(c, 100000)
	if err != nil {
		return err
	}
	f := content.Filter{Category: content.Category(c.Query("category")), Audience: content.Audience(c.Query("audience")), Region: c.Query("region")}
	if f.Category != "" && !f.Category.Valid() {
		return badParam("category", "应为 pension、medical、injury、unemployment、maternity、card、general 之一")
	}
	if f.Audience != "" && f.Audience.Name() == "" {
		return badParam("audience", "应为 person 或 employer")
	}
	all := s.Content.List(f)
	start := (page - 1) * limit
	if start > len(all) {
		start = len(all)
	}
	end := min(start+limit, len(all))
	// The guides are already serialised; the page is assembled from their bytes.
	var b bytes.Buffer
	b.WriteString(`{"total":`)
	b.WriteString(strconv.Itoa(len(all)))
	b.WriteString(`,"page":`)
	b.WriteString(strconv.Itoa(page))
	b.WriteString(`,"limit":`)
	b.WriteString(strconv.Itoa(limit))
	if end < len(all) {
		b.WriteString(`,"next_page":`)
		b.WriteString(strconv.Itoa(page + 1))
	}
	b.WriteString(`,"items":[`)
	for i, p := range all[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(p.JSON)
	}
	b.WriteString("]}")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b.Bytes())
}

// getGuide answers GET /api/v1/guides/{code} with the published version, ETag and
// Last-Modified, and 304 when the client's copy is current. With ?city= the city's variant
// overrides the province-level elements; a city without one gets the province's guide with
// city_specific=false and a notice. Each representation has its own ETag (the city is in the
// URL, so caches key on it without a Vary header), and no-cache makes every screen revalidate,
// so a publish shows at once while an unchanged guide costs a 304.
func (s *Server) getGuide(c *fiber.Ctx) error {
	code := c.Params("code")
	if !content.ValidCode(code) {
		return apperr.New(apperr.InvalidGuideCode, "事项编码格式不正确：只能包含字母、数字、“-”和“_”，且不超过64个字符。")
	}
	city := c.Query("city")
	if city != "" && !content.ValidCityName(city) {
		return badParam("city", "应为地市或区县的中文名称，如 西安市")
	}
	p, err := s.Content.Guide(code)
	if err != nil {
		return err
	}
	s.usedGuide(c, code)
	if qid := c.Query("qid"); qid != "" && s.Search != nil {
		// The app passes the search's query id along when a result is opened (办事堵点 report).
		_ = s.Search.Click(c.UserContext(), qid, code)
	}
	body, etag := p.JSON, p.ETag
	if city != "" {
		r := p.ForCity(city)
		body, etag = r.JSON, r.ETag
	}
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderLastModified, p.LastModified.Format(http.TimeFormat))
	c.Set(fiber.HeaderCacheControl, "public, no-cache")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		if etagMatch(inm, etag) {
			return c.SendStatus(fiber.StatusNotModified)
		}
	} else if ims := c.Get(fiber.HeaderIfModifiedSince); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !p.LastModified.After(t) {
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	// The published JSON is immutable, so the response can point at it instead of copying it.
	c.Response().SetBodyRaw(body)
	return nil
}

// etagMatch implements If-None-Match: a list of tags or *, weak comparison.
func etagMatch(header, etag string) bool {
	for _, part := range bytes.Split([]byte(header), []byte{','}) {
		t := string(bytes.TrimSpace(part))
		if t == "*" || t == etag || t == "W/"+etag {
			return true
		}
	}
	return false
}

// categories answers GET /api/v1/categories with the number of published guides in each.
func (s *Server) categories(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"categories": s.Content.CategoryCounts()})
}
