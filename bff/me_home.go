package bff

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/application"
	"shebao/internal/beijing"
	"shebao/internal/identity"
	"shebao/internal/person"
)

// homeService is one entry of 常用服务.
type homeService struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Reason string `json:"reason"` // mine (used, followed or applied for by the person) or popular (most used or applied for by everyone)
}

// followedChange is a followed guide that changed since the person last looked at it.
type followedChange struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updated_at"`
}

// homeBody is GET /api/v1/me/home: everything the app's first screen shows.
type homeBody struct {
	Name            string                    `json:"name,omitempty"`
	City            string                    `json:"city,omitempty"`
	Services        []homeService             `json:"services"`
	InProgress      []application.Application `json:"in_progress"`
	Reminders       []person.Reminder         `json:"reminders"`
	UnreadNotices   int                       `json:"unread_notices"`
	FollowedChanges []followedChange          `json:"followed_changes"`
}

// homeServices is how many entries 常用服务 shows.
const homeServices = 8

// home answers GET /api/v1/me/home, with an ETag over the body and 304 when it is unchanged.
// The body comes from the HomeCache when the person's home has not changed since it was built.
func (s *Server) home(c *fiber.Ctx) error {
	p, now := principal(c), beijing.In(s.now())
	day := now.Format("2006-01-02")
	body, etag, gz, ok := s.Home.get(p.Subject, p.Name, day)
	if !ok {
		from := s.Home.start()
		var err error
		if body, err = s.homeBody(c.UserContext(), p, now); err != nil {
			return err
		}
		etag = etagOf(body)
		s.Home.put(p.Subject, p.Name, day, from, body, etag)
	}
	// A phone's client takes gzip (the body shrinks to about a third): the gzipped form is made
	// once per cached body and has its own validator; either validator matches for a 304.
	zipped := strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip")
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if zipped {
		c.Set(fiber.HeaderETag, gzipETag(etag))
	} else {
		c.Set(fiber.HeaderETag, etag)
	}
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && (etagMatch(inm, etag) || etagMatch(inm, gzipETag(etag))) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	if !zipped {
		return c.Send(body)
	}
	if gz == nil {
		gz = gzipped(body)
		s.Home.putGzip(p.Subject, etag, gz)
	}
	c.Set(fiber.HeaderContentEncoding, "gzip")
	return c.Send(gz)
}

// gzipETag is the validator of a body's gzipped form: the body's, marked.
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

var gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestCompression); return w }}

// gzipped returns b gzipped.
func gzipped(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b)/2 + 64)
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&out)
	_, _ = w.Write(b) // a bytes.Buffer does not fail
	_ = w.Close()
	gzipWriters.Put(w)
	return out.Bytes()
}

// homeBody reads and encodes p's home screen as of now (Beijing time): one query for the
// person's own data (application.Service.Home) with the unread notices when the UnreadCounter
// is an UnreadQuery, else a second one for them.
func (s *Server) homeBody(ctx context.Context, p identity.Principal, now time.Time) ([]byte, error) {
	uq, inQuery := s.Unread.(UnreadQuery)
	unreadSQL := ""
	if inQuery {
		unreadSQL = uq.UnreadSQL()
	}
	h, err := s.Applications.Home(ctx, p.Subject, 5, homeServices, unreadSQL)
	if err != nil {
		return nil, err
	}
	prof := h.Profile
	if prof.Name == "" {
		prof.Name = p.Name // as person.Store.Profile: the token's name until one is declared
	}
	b := homeBody{Name: prof.Name, City: prof.City, Services: []homeService{}, InProgress: h.InProgress, FollowedChanges: []followedChange{}}
	seen := map[string]bool{}
	add := func(code, reason string) {
		if seen[code] || len(b.Services) >= homeServices {
			return
		}
		if g, err := s.Content.Guide(code); err == nil {
			seen[code] = true
			b.Services = append(b.Services, homeService{Code: code, Name: g.Guide.Name, Reason: reason})
		}
	}
	// 常用服务: the person's own most used guides, then those they follow or applied for, then
	// everyone's most used, then the most applied for (a new install has no use counts yet).
	for _, code := range h.Used {
		add(code, "mine")
	}
	for _, f := range h.Follows {
		if g, err := s.Content.Guide(f.GuideCode); err == nil && g.LastModified.After(f.SeenAt) {
			b.FollowedChanges = append(b.FollowedChanges, followedChange{Code: f.GuideCode, Name: g.Guide.Name, UpdatedAt: g.LastModified.UTC()})
		}
		add(f.GuideCode, "mine")
	}
	for _, a := range b.InProgress {
		add(a.GuideCode, "mine")
	}
	if s.GuideUse != nil && len(b.Services) < homeServices {
		popular, err := s.GuideUse.Popular(ctx, homeServices)
		if err != nil {
			return nil, err
		}
		for _, code := range popular {
			add(code, "popular")
		}
	}
	if len(b.Services) < homeServices {
		popular, err := s.Applications.PopularGuides(ctx, homeServices)
		if err != nil {
			return nil, err
		}
		for _, code := range popular {
			add(code, "popular")
		}
	}
	b.Reminders = person.Reminders(prof, now)
	b.UnreadNotices = h.Unread
	if !inQuery {
		if b.UnreadNotices, err = s.Unread.UnreadCount(ctx, p.Subject); err != nil {
			return nil, err
		}
	}
	return json.Marshal(b)
}

// usedGuide counts a use of published guide code (a page view, a search result clicked) by
// the caller, signed in or not, for 常用服务.
func (s *Server) usedGuide(c *fiber.Ctx, code string) {
	if s.GuideUse != nil {
		s.GuideUse.Record(principal(c).Subject, code)
	}
}

// reminders answers GET /api/v1/me/reminders.
func (s *Server) reminders(c *fiber.Ctx) error {
	p := principal(c)
	prof, err := s.People.Profile(c.UserContext(), p.Subject, p.Name)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reminders": person.Reminders(prof, beijing.In(s.now()))})
}

// follow answers POST /api/v1/me/follows/{code}: follow a published guide; following it again
// marks its changes until now as seen.
func (s *Server) follow(c *fiber.Ctx) error {
	code := c.Params("code")
	if _, err := s.Content.Guide(code); err != nil {
		return err
	}
	if err := s.People.Follow(c.UserContext(), principal(c).Subject, code); err != nil {
		return err
	}
	s.personChanged(c.UserContext(), principal(c).Subject)
	return c.JSON(fiber.Map{"guide_code": code, "following": true})
}

// unfollow answers DELETE /api/v1/me/follows/{code}: 204, or 404 not_following.
func (s *Server) unfollow(c *fiber.Ctx) error {
	ok, err := s.People.Unfollow(c.UserContext(), principal(c).Subject, c.Params("code"))
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.NotFollowing, "")
	}
	s.personChanged(c.UserContext(), principal(c).Subject)
	return c.SendStatus(fiber.StatusNoContent)
}
