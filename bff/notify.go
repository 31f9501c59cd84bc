package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/notify"
)

// notifyRoutes are the person's inbox (消息中心), notification settings and push subscriptions.
func (s *Server) notifyRoutes(v1 fiber.Router) {
	v1.Get("/me/notices", s.listNotices)
	v1.Post("/me/notices/:id/read", s.readNotice)
	v1.Get("/me/notification-settings", s.getNotifySettings)
	v1.Put("/me/notification-settings", s.putNotifySettings)
	v1.Get("/push/vapid-public-key", s.vapidPublicKey)
	v1.Post("/push/subscriptions", s.addPushSubscription)
	v1.Delete("/push/subscriptions", s.deletePushSubscription)
	v1.Post("/push/unsubscribe", s.unsubscribeByToken)
}

// noticePerson is the signed-in person's subject; any authenticated subject may use /me routes.
func noticePerson(c *fiber.Ctx) (string, error) {
	p := principal(c)
	if p.Subject == "" {
		return "", apperr.New(apperr.Unauthenticated, "")
	}
	return p.Subject, nil
}

func (s *Server) notifier() (*notify.Service, error) {
	if s.Notify == nil {
		return nil, apperr.New(apperr.PushUnavailable, "")
	}
	return s.Notify, nil
}

// personNotifier is the signed-in person's subject and the notification service, checked in
// that order (401 before 503), as every /me notification route needs both.
func (s *Server) personNotifier(c *fiber.Ctx) (string, *notify.Service, error) {
	who, err := noticePerson(c)
	if err != nil {
		return "", nil, err
	}
	n, err := s.notifier()
	return who, n, err
}

// listNotices answers GET /me/notices?page=&limit=: the inbox, unread first.
func (s *Server) listNotices(c *fiber.Ctx) error {
	who, n, err := s.personNotifier(c)
	if err != nil {
		return err
	}
	page, err := intParam(c, "page", 1, 1, 10000)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	out, err := n.Notices(c.UserContext(), who, page, limit)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// readNotice answers POST /me/notices/{id}/read.
func (s *Server) readNotice(c *fiber.Ctx) error {
	who, n, err := s.personNotifier(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New(apperr.NoticeNotFound, "")
	}
	if err := n.MarkRead(c.UserContext(), who, id); err != nil {
		return err
	}
	s.personChanged(c.UserContext(), who) // the home screen's unread count
	unread, err := n.UnreadCount(c.UserContext(), who)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id, "read": true, "unread": unread})
}

// getNotifySettings answers GET /me/notification-settings.
func (s *Server) getNotifySettings(c *fiber.Ctx) error {
	who, n, err := s.personNotifier(c)
	if err != nil {
		return err
	}
	p, err := n.Preferences(c.UserContext(), who)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// putNotifySettings answers PUT /me/notification-settings: kinds on/off and quiet hours.
func (s *Server) putNotifySettings(c *fiber.Ctx) error {
	who, n, err := s.personNotifier(c)
	if err != nil {
		return err
	}
	var in notify.Preferences
	if err := c.BodyParser(&in); err != nil {
		return apperr.New(apperr.InvalidBody, "")
	}
	p, err := n.SetPreferences(c.UserContext(), who, in)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// vapidPublicKey answers GET /push/vapid-public-key: the applicationServerKey for
// pushManager.subscribe.
func (s *Server) vapidPublicKey(c *fiber.Ctx) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	if !n.PushEnabled() {
		return apperr.New(apperr.PushUnavailable, "")
	}
	return c.JSON(fiber.Map{"public_key": n.VAPIDPublicKey()})
}

// addPushSubscription answers POST /push/subscriptions with the browser's PushSubscription JSON.
func (s *Server) addPushSubscription(c *fiber.Ctx) error {
	who, n, err := s.personNotifier(c)
	if err != nil {
		return err
	}
	var in notify.SubscriptionInput
	if err := c.BodyParser(&in); err != nil {
		return apperr.New(apperr.InvalidSubscription, "")
	}
	id, err := n.Subscribe(c.UserContext(), who, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id})
}

// deletePushSubscription answers DELETE /push/subscriptions with {"endpoint": …}.
func (s *Server) deletePushSubscription(c *fiber.Ctx) error {
	who, n, err := s.personNotifier(c)
	if err != nil {
		return err
	}
	var in struct {
		Endpoint string `json:"endpoint"`
	}
	if err := c.BodyParser(&in); err != nil || in.Endpoint == "" {
		return apperr.New(apperr.InvalidBody, "请提供要删除的推送订阅 endpoint。")
	}
	if err := n.Unsubscribe(c.UserContext(), who, in.Endpoint); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// unsubscribeByToken answers POST /push/unsubscribe?token=: the one-tap link in every
// notification; no sign-in needed, the token is signed.
func (s *Server) unsubscribeByToken(c *fiber.Ctx) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	k, err := n.UnsubscribeByToken(c.UserContext(), c.Query("token"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kind": k, "enabled": false, "message": "已关闭“" + k.Name() + "”通知，可在消息设置中重新开启。"})
}
