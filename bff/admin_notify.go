package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/internal/identity"
	"shebao/notify"
)

// adminNotifyRoutes are reminder campaigns, the delivery log and test sends, for publishers.
func (s *Server) adminNotifyRoutes(admin fiber.Router) {
	g := admin.Group("/notify", requireRole(identity.RolePublisher))
	mount(g, s.notifier, []route[*notify.Service]{
		{"GET", "/campaigns", s.listCampaigns},
		{"POST", "/campaigns", s.createCampaign},
		{"GET", "/deliveries", s.deliveryLog},
		{"POST", "/test-send", s.testSend},
	})
	mount(g, s.campaignOf, []route[campaignRef]{
		{"GET", "/campaigns/:id", s.getCampaign},
		{"GET", "/campaigns/:id/preview", s.previewCampaign},
		{"POST", "/campaigns/:id/:action", s.campaignAction},
	})
}

// campaignRef is what every campaign route needs: the notification service and the campaign id
// of the path.
type campaignRef struct {
	n  *notify.Service
	id int64
}

// campaignOf finds the notification service and the campaign id of the path, checked in that
// order (503 before 404).
func (s *Server) campaignOf(c *fiber.Ctx) (campaignRef, error) {
	n, err := s.notifier(c)
	if err != nil {
		return campaignRef{}, err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return campaignRef{}, apperr.New(apperr.CampaignNotFound, "")
	}
	return campaignRef{n, id}, nil
}

// listCampaigns answers GET /admin/notify/campaigns.
func (s *Server) listCampaigns(c *fiber.Ctx, n *notify.Service) error {
	cs, err := n.Campaigns(c.UserContext())
	return reply(c, fiber.StatusOK, fiber.Map{"campaigns": cs, "segments": notify.SegmentNames}, err)
}

// createCampaign answers POST /admin/notify/campaigns with a draft.
func (s *Server) createCampaign(c *fiber.Ctx, n *notify.Service) error {
	in, err := parseBody[notify.CampaignInput](c, apperr.InvalidBody)
	if err != nil {
		return err
	}
	cp, err := n.CreateCampaign(c.UserContext(), principal(c).Subject, in)
	return reply(c, fiber.StatusCreated, cp, err)
}

// getCampaign answers GET /admin/notify/campaigns/{id}: the campaign and its progress.
func (s *Server) getCampaign(c *fiber.Ctx, r campaignRef) error {
	cp, err := r.n.Campaign(c.UserContext(), r.id)
	return reply(c, fiber.StatusOK, cp, err)
}

// previewCampaign answers GET /admin/notify/campaigns/{id}/preview: how many people it reaches.
func (s *Server) previewCampaign(c *fiber.Ctx, r campaignRef) error {
	count, err := r.n.Preview(c.UserContext(), r.id)
	return reply(c, fiber.StatusOK, fiber.Map{"id": r.id, "people": count}, err)
}

// campaignAction answers POST /admin/notify/campaigns/{id}/{start|pause|resume|cancel}.
func (s *Server) campaignAction(c *fiber.Ctx, r campaignRef) error {
	n, id := r.n, r.id
	var cp notify.Campaign
	var err error
	ctx := c.UserContext()
	switch c.Params("action") {
	case "start":
		cp, err = n.StartCampaign(ctx, id)
	case "pause":
		cp, err = n.PauseCampaign(ctx, id)
	case "resume":
		cp, err = n.ResumeCampaign(ctx, id)
	case "cancel":
		cp, err = n.CancelCampaign(ctx, id)
	default:
		return apperr.New(apperr.NotFound, "")
	}
	if err != nil {
		return err
	}
	s.log.Info("notify: campaign action", "campaign", id, "action", c.Params("action"), "by", principal(c).Subject)
	return c.JSON(cp)
}

// deliveryLog answers GET /admin/notify/deliveries?person=&campaign=&notice=&limit=.
func (s *Server) deliveryLog(c *fiber.Ctx, n *notify.Service) error {
	limit, err := intParam(c, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	campaign, err := intParam(c, "campaign", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	notice, err := intParam(c, "notice", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	log, err := n.DeliveryLog(c.UserContext(), notify.LogFilter{Person: c.Query("person"), CampaignID: int64(campaign), NoticeID: int64(notice), Limit: limit})
	return reply(c, fiber.StatusOK, fiber.Map{"entries": log}, err)
}

// testSend answers POST /admin/notify/test-send {"person","title","body"}: one message to one
// person's inbox and devices, now.
func (s *Server) testSend(c *fiber.Ctx, n *notify.Service) error {
	var in struct {
		Person string `json:"person"`
		Title  string `json:"title"`
		Body   string `json:"body"`
	}
	if err := c.BodyParser(&in); err != nil || in.Person == "" {
		return apperr.New(apperr.InvalidBody, "请填写接收人。")
	}
	if in.Title == "" {
		in.Title = "测试通知"
	}
	if in.Body == "" {
		in.Body = "这是一条测试通知，收到即表示消息推送正常。"
	}
	id, err := n.TestSend(c.UserContext(), in.Person, in.Title, in.Body)
	if err != nil {
		return err
	}
	s.log.Info("notify: test send", "notice", id, "by", principal(c).Subject)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"notice_id": id})
}
