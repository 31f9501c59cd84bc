package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"shebao/content"
	"shebao/internal/apperr"
)

// docAPI serves the editorial workflow of one kind of document (guides or forms) under
// /api/v1/admin/guides or /api/v1/admin/forms. The content service enforces every rule and role;
// these handlers only translate HTTP.
type docAPI struct {
	s      *Server
	kind   content.Kind
	label  string
	create func(ctx context.Context, a content.Actor, raw []byte) (*content.Version, error)
	save   func(ctx context.Context, a content.Actor, code string, e content.Edit, raw []byte) (*content.Version, error)
}

// guideAPI is the workflow API for guides: bodies are Guide documents.
func (s *Server) guideAPI() *docAPI {
	return newDocAPI(s, content.KindGuide, "办事指南", s.Content.CreateGuide, s.Content.SaveGuide)
}

// newDocAPI is the workflow API of a kind whose bodies are T documents, decoded strictly and
// passed to create (a new document) or save (a draft's new text).
func newDocAPI[T any](s *Server, kind content.Kind, label string,
	create func(context.Context, content.Actor, T) (*content.Version, error),
	save func(context.Context, content.Actor, string, content.Edit, T) (*content.Version, error)) *docAPI {
	return &docAPI{s: s, kind: kind, label: label,
		create: func(ctx context.Context, a content.Actor, raw []byte) (*content.Version, error) {
			return decodeThen(raw, func(doc T) (*content.Version, error) { return create(ctx, a, doc) })
		},
		save: func(ctx context.Context, a content.Actor, code string, e content.Edit, raw []byte) (*content.Version, error) {
			return decodeThen(raw, func(doc T) (*content.Version, error) { return save(ctx, a, code, e, doc) })
		},
	}
}

// routes registers the workflow routes of the kind on r (a group such as /api/v1/admin/guides).
func (d *docAPI) routes(r fiber.Router) {
	r.Get("", d.list)
	r.Post("", d.createDoc)
	r.Get("/:code", d.get)
	r.Get("/:code/working", d.docVersion(fiber.StatusOK, func(c *fiber.Ctx, code string) (*content.Version, error) {
		return d.s.Content.WorkingVersion(c.UserContext(), d.kind, code)
	}))
	r.Post("/:code/drafts", d.docVersion(fiber.StatusCreated, func(c *fiber.Ctx, code string) (*content.Version, error) {
		return d.s.Content.NewDraft(c.UserContext(), d.kind, actor(c), code)
	}))
	r.Get("/:code/versions", d.history)
	r.Get("/:code/versions/:n", d.version)
	r.Put("/:code/versions/:n", d.saveVersion)
	r.Post("/:code/versions/:n/submit", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.Submit(ctx, d.kind, a, code, n)
	}))
	r.Post("/:code/versions/:n/approve", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.Approve(ctx, d.kind, a, code, n, b.Revision, b.Comment)
	}))
	r.Post("/:code/versions/:n/send-back", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.SendBack(ctx, d.kind, a, code, n, b.Comment)
	}))
	r.Post("/:code/versions/:n/publish", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.Publish(ctx, d.kind, a, code, n)
	}))
	r.Post("/:code/versions/:n/schedule", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		at, err := parseScheduleTime(b.At)
		if err != nil {
			return nil, err
		}
		return d.s.Content.Schedule(ctx, d.kind, a, code, n, at)
	}))
	r.Post("/:code/versions/:n/unschedule", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.Unschedule(ctx, d.kind, a, code, n)
	}))
	r.Post("/:code/versions/:n/force-publish", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.ForcePublish(ctx, d.kind, a, code, n, b.Reason)
	}))
	r.Post("/:code/versions/:n/retro-review", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.RetroReview(ctx, d.kind, a, code, n, b.Comment)
	}))
	r.Post("/:code/versions/:n/rollback", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.Rollback(ctx, d.kind, a, code, n)
	}))
	r.Post("/:code/versions/:n/discard", d.action(func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error) {
		return d.s.Content.Discard(ctx, d.kind, a, code, n)
	}))
	r.Post("/:code/unpublish", d.docStep(func(c *fiber.Ctx, code string) error {
		b, err := readAction(c)
		if err != nil {
			return err
		}
		return d.s.Content.Unpublish(c.UserContext(), d.kind, actor(c), code, b.Reason, b.Replacement)
	}))
	r.Post("/:code/archive", d.docStep(func(c *fiber.Ctx, code string) error {
		return d.s.Content.Archive(c.UserContext(), d.kind, actor(c), code)
	}))
	r.Get("/:code/diff", d.diff)
	r.Get("/:code/audit", d.audit)
}

// actionBody is the optional JSON body of a workflow action.
type actionBody struct {
	Comment     string `json:"comment"`     // approve, send back, retrospective review
	Reason      string `json:"reason"`      // force-publish, unpublish
	Replacement string `json:"replacement"` // unpublish
	At          string `json:"at"`          // schedule: RFC 3339 time
	Revision    int    `json:"revision"`    // approve: the revision the reviewer read
}

func strictDecode(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return apperr.New(apperr.InvalidBody, "请求内容为空。")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.Wrap(apperr.InvalidBody, "请求内容格式不正确："+err.Error(), err)
	}
	return nil
}

// decodeThen decodes raw strictly into a document body (a Guide, a Form) and passes it to fn.
func decodeThen[T any](raw []byte, fn func(T) (*content.Version, error)) (*content.Version, error) {
	var doc T
	if err := strictDecode(raw, &doc); err != nil {
		return nil, err
	}
	return fn(doc)
}

func readAction(c *fiber.Ctx) (actionBody, error) {
	var b actionBody
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return b, nil
	}
	return b, strictDecode(c.Body(), &b)
}

func parseScheduleTime(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, apperr.New(apperr.InvalidSchedule, "请填写发布时间。")
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, apperr.New(apperr.InvalidSchedule, "发布时间格式不正确，应为 RFC 3339，例如 2025-07-01T09:00:00+08:00。")
	}
	return t, nil
}

// code reads and checks the :code path parameter.
func (d *docAPI) code(c *fiber.Ctx) (string, error) {
	code := c.Params("code")
	if !content.ValidCode(code) {
		if d.kind == content.KindGuide {
			return "", apperr.New(apperr.InvalidGuideCode, "事项编码格式不正确：只能包含字母、数字、“-”和“_”，且不超过64个字符。")
		}
		return "", badParam("code", "只能包含字母、数字、“-”和“_”，且不超过64个字符")
	}
	return code, nil
}

// codeAndVersion reads the route's document code and version number.
func (d *docAPI) codeAndVersion(c *fiber.Ctx) (string, int, error) {
	code, err := d.code(c)
	if err != nil {
		return "", 0, err
	}
	n, err := versionParam(c, "n")
	return code, n, err
}

func versionParam(c *fiber.Ctx, name string) (int, error) {
	n, err := strconv.Atoi(c.Params(name))
	if err != nil || n < 1 {
		return 0, badParam(name, "应为正整数版本号")
	}
	return n, nil
}

func noStore(c *fiber.Ctx) { c.Set(fiber.HeaderCacheControl, "no-store") }

// versionView is a version as the console gets it: with what the caller may do on it now, so
// that the console offers only what the server will accept.
type versionView struct {
	*content.Version
	content.Actions
}

// withActions adds the caller's allowed and blocked actions to v.
func (d *docAPI) withActions(c *fiber.Ctx, v *content.Version) (*versionView, error) {
	acts, err := d.s.Content.VersionActions(c.UserContext(), d.kind, actor(c), v.Code, v.Version)
	if err != nil {
		return nil, err
	}
	return &versionView{Version: v, Actions: acts}, nil
}

// sendVersion answers with a version, the caller's actions on it and its ETag (the validator for
// the next save).
func (d *docAPI) sendVersion(c *fiber.Ctx, status int, v *content.Version) error {
	vv, err := d.withActions(c, v)
	if err != nil {
		return err
	}
	noStore(c)
	c.Set(fiber.HeaderETag, v.ETag)
	return c.Status(status).JSON(vv)
}

// list answers GET …?status=&q= with document summaries, or with ?queue= the versions in a work
// list (review, publish, scheduled, retro).
func (d *docAPI) list(c *fiber.Ctx) error {
	noStore(c)
	if q := c.Query("queue"); q != "" {
		items, err := d.s.Content.Queue(c.UserContext(), d.kind, content.Queue(q))
		if err != nil {
			return err
		}
		out := any(items)
		if content.Queue(q) == content.QueueRetro {
			// The retrospective review is done from the list itself.
			if out, err = d.viewsOf(c, items); err != nil {
				return err
			}
		}
		return c.JSON(fiber.Map{"queue": q, "total": len(items), "items": out})
	}
	st := c.Query("status")
	if !content.ValidStatusFilter(st) {
		return badParam("status", "应为 all、working、draft、submitted、approved、scheduled、published、unpublished、archived 之一")
	}
	items, err := d.s.Content.Documents(c.UserContext(), d.kind, content.DocFilter{Status: st, Q: c.Query("q")})
	if err != nil {
		return err
	}
	if items == nil {
		items = []content.Summary{}
	}
	return c.JSON(fiber.Map{"total": len(items), "items": items})
}

func (d *docAPI) createDoc(c *fiber.Ctx) error {
	v, err := d.create(c.UserContext(), actor(c), c.Body())
	if err != nil {
		return err
	}
	return d.sendVersion(c, fiber.StatusCreated, v)
}

// get answers with the document's summary, its working version and its published version.
func (d *docAPI) get(c *fiber.Ctx) error {
	code, err := d.code(c)
	if err != nil {
		return err
	}
	sm, pub, err := d.s.Content.Document(c.UserContext(), d.kind, code)
	if err != nil {
		return err
	}
	acts, err := d.s.Content.DocumentActions(c.UserContext(), d.kind, actor(c), code)
	if err != nil {
		return err
	}
	var working *versionView
	if sm.Working != nil {
		if working, err = d.withActions(c, sm.Working); err != nil {
			return err
		}
	}
	noStore(c)
	return c.JSON(fiber.Map{"document": sm, "working": working, "published": pub,
		"allowed_actions": acts.Allowed, "blocked_actions": acts.Blocked})
}

// docVersion wraps a route on a document that answers with one version (its working version, a
// new draft) and the caller's actions on it.
func (d *docAPI) docVersion(status int, fn func(c *fiber.Ctx, code string) (*content.Version, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		code, err := d.code(c)
		if err != nil {
			return err
		}
		v, err := fn(c, code)
		if err != nil {
			return err
		}
		return d.sendVersion(c, status, v)
	}
}

// docStep wraps a step on a document as a whole (unpublish, archive): it answers as GET does.
func (d *docAPI) docStep(fn func(c *fiber.Ctx, code string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		code, err := d.code(c)
		if err != nil {
			return err
		}
		if err := fn(c, code); err != nil {
			return err
		}
		return d.get(c)
	}
}

func (d *docAPI) history(c *fiber.Ctx) error {
	code, err := d.code(c)
	if err != nil {
		return err
	}
	items, err := d.s.Content.History(c.UserContext(), d.kind, code)
	if err != nil {
		return err
	}
	views, err := d.viewsOf(c, items)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(fiber.Map{"code": code, "items": views})
}

func (d *docAPI) version(c *fiber.Ctx) error {
	code, n, err := d.codeAndVersion(c)
	if err != nil {
		return err
	}
	v, err := d.s.Content.GetVersion(c.UserContext(), d.kind, code, n)
	if err != nil {
		return err
	}
	return d.sendVersion(c, fiber.StatusOK, v)
}

// viewsOf adds the caller's actions to each version of a list.
func (d *docAPI) viewsOf(c *fiber.Ctx, vs []content.Version) ([]*versionView, error) {
	out := make([]*versionView, len(vs))
	for i := range vs {
		vv, err := d.withActions(c, &vs[i])
		if err != nil {
			return nil, err
		}
		out[i] = vv
	}
	return out, nil
}

// saveBody is the body of PUT …/versions/{n}.
type saveBody struct {
	Body       json.RawMessage `json:"body"`
	Revision   int             `json:"revision"`
	Major      *bool           `json:"major"`
	ChangeNote string          `json:"change_note"`
}

// saveVersion stores a new revision. The revision the editor started from comes from If-Match
// (the ETag of the version) or the body's revision; a stale one is 409 edit_conflict. A change is
// major unless the body says major: false.
func (d *docAPI) saveVersion(c *fiber.Ctx) error {
	code, n, err := d.codeAndVersion(c)
	if err != nil {
		return err
	}
	var b saveBody
	if err := strictDecode(c.Body(), &b); err != nil {
		return err
	}
	if len(b.Body) == 0 {
		return apperr.New(apperr.InvalidBody, "请求内容缺少 body（要保存的内容）。")
	}
	rev := b.Revision
	if im := c.Get(fiber.HeaderIfMatch); im != "" {
		v, r, ok := content.ParseETag(im)
		if !ok || v != n {
			return apperr.Newf(apperr.EditConflict, "If-Match %s 与第%d版不符，请刷新后再编辑。", im, n)
		}
		if rev != 0 && rev != r {
			return apperr.New(apperr.InvalidBody, "If-Match 与 revision 不一致。")
		}
		rev = r
	}
	e := content.Edit{Version: n, Revision: rev, Major: b.Major == nil || *b.Major, ChangeNote: b.ChangeNote}
	v, err := d.save(c.UserContext(), actor(c), code, e, b.Body)
	if err != nil {
		return err
	}
	return d.sendVersion(c, fiber.StatusOK, v)
}

// action wraps a workflow step on one version.
func (d *docAPI) action(fn func(ctx context.Context, a content.Actor, code string, n int, b actionBody) (*content.Version, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		code, n, err := d.codeAndVersion(c)
		if err != nil {
			return err
		}
		b, err := readAction(c)
		if err != nil {
			return err
		}
		v, err := fn(c.UserContext(), actor(c), code, n, b)
		if err != nil {
			return err
		}
		status := fiber.StatusOK
		if v.Version != n { // rollback made a new version
			status = fiber.StatusCreated
		}
		return d.sendVersion(c, status, v)
	}
}

// diff answers GET …/diff?from=&to= with the changes element by element. Without from, the
// published version; without to, the working version.
func (d *docAPI) diff(c *fiber.Ctx) error {
	code, err := d.code(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	from, err := intParam(c, "from", 0, 1, 1<<30)
	if err != nil {
		return err
	}
	to, err := intParam(c, "to", 0, 1, 1<<30)
	if err != nil {
		return err
	}
	if from == 0 || to == 0 {
		sm, _, err := d.s.Content.Document(ctx, d.kind, code)
		if err != nil {
			return err
		}
		if from == 0 {
			from = sm.PublishedVersion
		}
		if to == 0 && sm.Working != nil {
			to = sm.Working.Version
		}
		if from == 0 || to == 0 {
			return badParam("from", "请同时指定 from 和 to（该内容没有已发布版本或正在编辑的版本）")
		}
	}
	res, err := d.s.Content.Diff(ctx, d.kind, code, from, to)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(res)
}

func (d *docAPI) audit(c *fiber.Ctx) error {
	code, err := d.code(c)
	if err != nil {
		return err
	}
	return d.s.sendAudit(c, content.AuditFilter{Kind: d.kind, Code: code})
}
