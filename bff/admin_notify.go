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
	g.Get("/campaigns", s.listCampaigns)
	g.Post("/campaigns", s.createCampaign)
	g.Get("/campaigns/:id", s.getCampaign)
	g.Get("/campaigns/:id/preview", s.previewCampaign)
	g.Post("/campaigns/:id/:action", s.campaignAction)
	g.Get("/deliveries", s.deliveryLog)
	g.Post("/test-send", s.testSend)
}

// campaignNotifier is the notification service and the campaign id of the path, checked in that
// order (503 before 400), as every campaign route needs both.
func (s *Server) campaignNotifier(c *fiber.Ctx) (*notify.Service, int64, error) {
	n, err := s.notifier()
	if err != nil {
		return nil, 0, err
	}
	id, err := campaignID(c)
	return n, id, err
}

func campaignID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.CampaignNotFound, "")
	}
	return id, nil
}

// listCampaigns answers GET /admin/notify/campaigns.
func (s *Server) listCampaigns(c *fiber.Ctx) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	cs, err := n.Campaigns(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"campaigns": cs, "segments": notify.SegmentNames})
}

// createCampaign answers POST /admin/notify/campaigns with a draft.
func (s *Server) createCampaign(c *fiber.Ctx) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	var in notify.CampaignInput
	if err := c.BodyParser(&in); err != nil {
		return apperr.New(apperr.InvalidBody, "")
	}
	cp, err := n.CreateCampaign(c.UserContext(), principal(c).Subject, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cp)
}

// getCampaign answers GET /admin/notify/campaigns/{id}: the campaign and its progress.
func (s *Server) getCampaign(c *fiber.Ctx) error {
	n, id, err := s.campaignNotifier(c)
	if err != nil {
		return err
	}
	cp, err := n.Campaign(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(cp)
}

// previewCampaign answers GET /admin/notify/campaigns/{id}/preview: how many people it reaches.
func (s *Server) previewCampaign(c *fiber.Ctx) error {
	n, id, err := s.campaignNotifier(c)
	if err != nil {
		return err
	}
	count, err := n.Preview(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id, "people": count})
}

// campaignAction answers POST /admin/notify/campaigns/{id}/{start|pause|resume|cancel}.
func (s *Server) campaignAction(c *fiber.Ctx) error {
	n, id, err := s.campaignNotifier(c)
	if err != nil {
		return err
	}
	var cp notify.Campaign
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
func (s *Server) deliveryLog(c *fiber.Ctx) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
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
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": log})
}

// testSend answers POST /admin/notify/test-send {"person","title","body"}: one message to one
// person's inbox and devices, now.
func (s *Server) testSend(c *fiber.Ctx) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
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
