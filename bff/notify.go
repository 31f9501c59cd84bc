package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"shebao/internal/apperr"
	"shebao/notify"
)

// notifyRoutes are the person's inbox (消息中心), notification settings and push subscriptions.
func (s *Server) notifyRoutes(v1 fiber.Router) {
	mount(v1, s.personInbox, []route[inbox]{
		{"GET", "/me/notices", s.listNotices},
		{"POST", "/me/notices/:id/read", s.readNotice},
		{"GET", "/me/notification-settings", s.getNotifySettings},
		{"PUT", "/me/notification-settings", s.putNotifySettings},
		{"POST", "/push/subscriptions", s.addPushSubscription},
		{"DELETE", "/push/subscriptions", s.deletePushSubscription},
	})
	mount(v1, s.notifier, []route[*notify.Service]{
		{"GET", "/push/vapid-public-key", s.vapidPublicKey},
		{"POST", "/push/unsubscribe", s.unsubscribeByToken},
	})
}

// noticePerson is the signed-in person's subject; any authenticated subject may use /me routes.
func noticePerson(c *fiber.Ctx) (string, error) {
	p := principal(c)
	if p.Subject == "" {
		return "", apperr.New(apperr.Unauthenticated, "")
	}
	return p.Subject, nil
}

// notifier is the notification service, or push_unavailable while there is none.
func (s *Server) notifier(*fiber.Ctx) (*notify.Service, error) {
	if s.Notify == nil {
		return nil, apperr.New(apperr.PushUnavailable, "")
	}
	return s.Notify, nil
}

// inbox is what every /me notification route needs: the signed-in person and the service.
type inbox struct {
	who string
	n   *notify.Service
}

// personInbox finds the signed-in person's subject and the notification service, checked in
// that order (401 before 503).
func (s *Server) personInbox(c *fiber.Ctx) (inbox, error) {
	who, err := noticePerson(c)
	if err != nil {
		return inbox{}, err
	}
	n, err := s.notifier(c)
	return inbox{who, n}, err
}

// listNotices answers GET /me/notices?page=&limit=: the inbox, unread first.
func (s *Server) listNotices(c *fiber.Ctx, in inbox) error {
	page, limit, err := pageParams(c, 10000)
	if err != nil {
		return err
	}
	out, err := in.n.Notices(c.UserContext(), in.who, page, limit)
	return reply(c, fiber.StatusOK, out, err)
}

// readNotice answers POST /me/notices/{id}/read.
func (s *Server) readNotice(c *fiber.Ctx, in inbox) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New(apperr.NoticeNotFound, "")
	}
	if err := in.n.MarkRead(c.UserContext(), in.who, id); err != nil {
		return err
	}
	s.personChanged(c.UserContext(), in.who) // the home screen's unread count
	unread, err := in.n.UnreadCount(c.UserContext(), in.who)
	return reply(c, fiber.StatusOK, fiber.Map{"id": id, "read": true, "unread": unread}, err)
}

// getNotifySettings answers GET /me/notification-settings.
func (s *Server) getNotifySettings(c *fiber.Ctx, in inbox) error {
	p, err := in.n.Preferences(c.UserContext(), in.who)
	return reply(c, fiber.StatusOK, p, err)
}

// putNotifySettings answers PUT /me/notification-settings: kinds on/off and quiet hours.
func (s *Server) putNotifySettings(c *fiber.Ctx, in inbox) error {
	want, err := parseBody[notify.Preferences](c, apperr.InvalidBody)
	if err != nil {
		return err
	}
	p, err := in.n.SetPreferences(c.UserContext(), in.who, want)
	return reply(c, fiber.StatusOK, p, err)
}

// vapidPublicKey answers GET /push/vapid-public-key: the applicationServerKey for
// pushManager.subscribe.
func (s *Server) vapidPublicKey(c *fiber.Ctx, n *notify.Service) error {
	if !n.PushEnabled() {
		return apperr.New(apperr.PushUnavailable, "")
	}
	return c.JSON(fiber.Map{"public_key": n.VAPIDPublicKey()})
}

// addPushSubscription answers POST /push/subscriptions with the browser's PushSubscription JSON.
func (s *Server) addPushSubscription(c *fiber.Ctx, in inbox) error {
	sub, err := parseBody[notify.SubscriptionInput](c, apperr.InvalidSubscription)
	if err != nil {
		return err
	}
	id, err := in.n.Subscribe(c.UserContext(), in.who, sub)
	return reply(c, fiber.StatusCreated, fiber.Map{"id": id}, err)
}

// deletePushSubscription answers DELETE /push/subscriptions with {"endpoint": …}.
func (s *Server) deletePushSubscription(c *fiber.Ctx, in inbox) error {
	var body struct {
		Endpoint string `json:"endpoint"`
	}
	if err := c.BodyParser(&body); err != nil || body.Endpoint == "" {
		return apperr.New(apperr.InvalidBody, "请提供要删除的推送订阅 endpoint。")
	}
	if err := in.n.Unsubscribe(c.UserContext(), in.who, body.Endpoint); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// unsubscribeByToken answers POST /push/unsubscribe?token=: the one-tap link in every
// notification; no sign-in needed, the token is signed.
func (s *Server) unsubscribeByToken(c *fiber.Ctx, n *notify.Service) error {
	k, err := n.UnsubscribeByToken(c.UserContext(), c.Query("token"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kind": k, "enabled": false, "message": "已关闭“" + k.Name() + "”通知，可在消息设置中重新开启。"})
}
