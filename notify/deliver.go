package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/queue"
)

// Delivery-log events.
const (
	EvQueued    = "queued"     // in the inbox, a delivery job enqueued
	EvHeld      = "held"       // waiting for the end of quiet hours
	EvSent      = "sent"       // the push service (or SMS gateway) accepted it
	EvRetried   = "retried"    // a 5xx, 429 or network error: another attempt follows
	EvFailed    = "failed"     // given up: a permanent answer, or attempts used up
	EvDropped   = "dropped"    // not sent: subscription gone or refused, kind turned off, campaign cancelled
	EvInboxOnly = "inbox_only" // no channel for this person: the inbox is where they find it
)

type deliverJob struct {
	Notice int64 `json:"notice"`
}

// topicOf is the RFC 8030 Topic for a collapse key: at most 32 characters of the URL-safe
// base64 alphabet, so a hash.
func topicOf(key string) string {
	h := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(h[:])[:32]
}

// payload builds what the device receives for notice n.
func (s *Service) payload(person string, k Kind, title, body, link, key, collapse string, urgent bool) Payload {
	u := "normal"
	if sp, ok := kinds[k]; ok {
		u = string(sp.Urgency)
	}
	if urgent {
		u = "high"
	}
	if collapse == "" {
		collapse = key
	}
	return Payload{
		Title: title, Body: body, URL: s.opts.BaseURL + link, Tag: key, Urgency: u,
		Unsubscribe: s.opts.BaseURL + "/api/v1/push/unsubscribe?token=" + url.QueryEscape(s.UnsubscribeToken(person, k)),
		TTL:         kinds[k].TTL, Topic: topicOf(collapse),
	}
}

// checkMessage validates m and that its payload fits: a payload over MaxPayload is refused here,
// before anything is queued.
func (s *Service) checkMessage(m Message) error {
	if m.Key == "" || m.Person == "" || !m.Kind.Valid() || m.Title == "" {
		return apperr.New(apperr.InvalidParameter, "通知缺少必要内容。")
	}
	b, err := json.Marshal(s.payload(m.Person, m.Kind, m.Title, m.Body, m.Link, m.Key, m.Collapse, m.Urgent))
	if err != nil {
		return err
	}
	if len(b) > MaxPayload {
		return apperr.Newf(apperr.PayloadTooLarge, "通知内容过长（%d 字节，上限 %d 字节），请精简后再发送。", len(b), MaxPayload)
	}
	return nil
}

// Notify puts messages in their people's inboxes and enqueues their delivery, all in tx (nil =
// a transaction of its own). A message whose key exists is skipped: sources may repeat
// themselves. It returns how many were new.
func (s *Service) Notify(ctx context.Context, tx *db.Tx, msgs ...Message) (int, error) {
	for _, m := range msgs {
		if err := s.checkMessage(m); err != nil {
			return 0, err
		}
	}
	if tx == nil {
		var n int
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			n, err = s.notify(ctx, tx, msgs)
			return err
		})
		return n, err
	}
	return s.notify(ctx, tx, msgs)
}

func (s *Service) notify(ctx context.Context, tx *db.Tx, msgs []Message) (int, error) {
	now := s.now().UnixMicro()
	created := 0
	for _, m := range msgs {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO notify_notices (person, kind, key, title, body, link, collapse, urgent, critical, campaign_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id`,
			m.Person, string(m.Kind), m.Key, m.Title, m.Body, m.Link, m.Collapse, b2i(m.Urgent), b2i(m.Critical), m.CampaignID, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // already there
		}
		if err != nil {
			return created, fmt.Errorf("notify: add notice %s: %w", m.Key, err)
		}
		payload, _ := json.Marshal(deliverJob{Notice: id})
		if _, err := s.q.Enqueue(ctx, tx, queue.Job{Kind: JobDeliver, Key: "notify:" + m.Key, Payload: payload, RunAt: m.NotBefore, MaxAttempts: 12}); err != nil {
			return created, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notify_log (notice_id, event, at) VALUES (?, 'queued', ?)`, id, now); err != nil {
			return created, err
		}
		// The unread count on the person's home screen changed: every replica's cache hears it.
		if err := eventlog.Append(ctx, tx, event.Event{Topic: event.PersonChanged, Key: m.Person, At: time.UnixMicro(now)}); err != nil {
			return created, err
		}
		created++
	}
	return created, nil
}

type noticeRow struct {
	ID                                   int64
	Person, Kind, Title, Body, Link, Key string
	Collapse                             string
	Urgent, Critical                     bool
	CampaignID                           int64
}

func (s *Service) logEvent(ctx context.Context, notice, sub int64, channel, ev string, status int, detail string, resend bool) {
	if _, err := s.db.Exec(ctx, `INSERT INTO notify_log (notice_id, subscription_id, channel, event, status, detail, resend, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, notice, sub, channel, ev, status, detail, b2i(resend), s.now().UnixMicro()); err != nil {
		s.log.Error("notify: delivery log", "notice", notice, "event", ev, "err", err)
	}
}

// errRetry is a delivery that must be tried again for some subscriptions.
var errRetry = errors.New("notify: some subscriptions must be retried")

// deliver is the JobDeliver handler: one notice to every subscription of its person that has not
// had it yet.
func (s *Service) deliver(ctx context.Context, j queue.Job) error {
	var dj deliverJob
	if err := json.Unmarshal(j.Payload, &dj); err != nil {
		return queue.Permanent(err)
	}
	var n noticeRow
	err := s.db.QueryRow(ctx, `SELECT id, person, kind, title, body, link, key, collapse, urgent, critical, campaign_id
		FROM notify_notices WHERE id = ?`, dj.Notice).Scan(&n.ID, &n.Person, &n.Kind, &n.Title, &n.Body, &n.Link, &n.Key, &n.Collapse, (*flag)(&n.Urgent), (*flag)(&n.Critical), &n.CampaignID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the notice was deleted
	}
	if err != nil {
		return err
	}
	if n.CampaignID != 0 {
		state, err := s.campaignState(ctx, n.CampaignID)
		if err != nil {
			return err
		}
		switch state {
		case CampaignCancelled:
			s.logEvent(ctx, n.ID, 0, "", EvDropped, 0, "campaign cancelled", false)
			return nil
		case CampaignPaused:
			return queue.Postpone("campaign paused", s.opts.Minute)
		}
	}
	st, err := s.settings(ctx, n.Person)
	if err != nil {
		return err
	}
	if st.disabled[Kind(n.Kind)] {
		s.logEvent(ctx, n.ID, 0, "", EvDropped, 0, "kind turned off by the person", false)
		return nil
	}
	if !n.Urgent {
		if wait := quietWait(s.now(), st.start, st.end); wait > 0 {
			s.logEvent(ctx, n.ID, 0, "", EvHeld, 0, "quiet hours until "+s.now().Add(wait).Format(time.RFC3339), false)
			return queue.Postpone("quiet hours", wait)
		}
	}
	subs, err := s.subscriptions(ctx, n.Person)
	if err != nil {
		return err
	}
	p := s.payload(n.Person, Kind(n.Kind), n.Title, n.Body, n.Link, n.Key, n.Collapse, n.Urgent)
	if len(subs) == 0 || s.push == nil {
		return s.deliverSMS(ctx, n, p, j.Attempts)
	}
	// On a later attempt, skip the subscriptions that have an outcome, and count as a resend a
	// send to one whose earlier attempt left no record (the worker died between send and record).
	last := map[int64]string{}
	if j.Attempts > 1 {
		if last, err = s.lastEvents(ctx, n.ID); err != nil {
			return err
		}
	}
	var retry bool
	var wait time.Duration
	for _, sub := range subs {
		switch last[sub.ID] {
		case EvSent, EvFailed, EvDropped:
			continue
		}
		resend := j.Attempts > 1 && last[sub.ID] == ""
		if again, ra := s.sendOne(ctx, n, sub, p, resend, j.Attempts >= j.MaxAttempts); again {
			retry = true
			wait = max(wait, ra)
		}
	}
	if !retry {
		return nil
	}
	if wait > 0 {
		return queue.RetryAfter(errRetry, wait)
	}
	return errRetry
}

func (s *Service) lastEvents(ctx context.Context, notice int64) (map[int64]string, error) {
	rows, err := s.db.Query(ctx, `SELECT subscription_id, event FROM notify_log WHERE notice_id = ? AND subscription_id <> 0 ORDER BY id`, notice)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var ev string
		if err := rows.Scan(&id, &ev); err != nil {
			return nil, err
		}
		out[id] = ev
	}
	return out, rows.Err()
}

// sendOne sends to one subscription and records the outcome; it reports whether to retry and
// any wait the push service asked for.
func (s *Service) sendOne(ctx context.Context, n noticeRow, sub Subscription, p Payload, resend, lastAttempt bool) (bool, time.Duration) {
	ch := s.push.Name()
	if err := s.policy.checkStatic(sub.Endpoint); err != nil {
		s.dropSubscription(ctx, sub, "endpoint not allowed at send time: "+reason(err))
		s.logEvent(ctx, n.ID, sub.ID, ch, EvDropped, 0, "endpoint not allowed: "+reason(err), resend)
		return false, 0
	}
	k, err := s.key(sub.VAPIDKeyID)
	if err != nil {
		s.logEvent(ctx, n.ID, sub.ID, ch, EvFailed, 0, err.Error(), resend)
		return false, 0
	}
	o := s.push.Send(ctx, Address{Subscription: sub, VAPIDPublic: k.Public, VAPIDPrivate: k.Private}, p)
	switch {
	case o.Status >= 200 && o.Status < 300:
		if !sub.Delivered || sub.Fails4xx > 0 {
			// One write transaction for both: the single writer is the bottleneck on SQLite.
			now := s.now().UnixMicro()
			err := s.db.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO notify_log (notice_id, subscription_id, channel, event, status, resend, at)
					VALUES (?, ?, ?, 'sent', ?, ?, ?)`, n.ID, sub.ID, ch, o.Status, b2i(resend), now); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `UPDATE notify_subscriptions SET delivered_at = ?, fails_4xx = 0 WHERE id = ?`, now, sub.ID)
				return err
			})
			if err != nil {
				s.log.Error("notify: delivery log", "notice", n.ID, "event", EvSent, "err", err)
			}
			return false, 0
		}
		s.logEvent(ctx, n.ID, sub.ID, ch, EvSent, o.Status, "", resend)
		return false, 0
	case o.Status == 404 || o.Status == 410:
		s.dropSubscription(ctx, sub, "push service answered "+strconv.Itoa(o.Status))
		s.logEvent(ctx, n.ID, sub.ID, ch, EvDropped, o.Status, "subscription gone", resend)
		return false, 0
	case o.Status == 413:
		b, _ := json.Marshal(p)
		s.log.Error("notify: push service refused the payload as too large", "notice", n.ID, "bytes", len(b))
		s.logEvent(ctx, n.ID, sub.ID, ch, EvFailed, o.Status, fmt.Sprintf("payload too large: %d bytes", len(b)), resend)
		return false, 0
	case o.Status == 429 || o.Status >= 500 || o.Status == 0:
		detail := ""
		if o.Err != nil {
			detail = o.Err.Error()
		}
		if errors.Is(o.Err, errDialRefused) {
			s.dropSubscription(ctx, sub, "endpoint resolves to a non-public address")
			s.logEvent(ctx, n.ID, sub.ID, ch, EvDropped, 0, "endpoint resolves to a non-public address", resend)
			return false, 0
		}
		if lastAttempt {
			s.logEvent(ctx, n.ID, sub.ID, ch, EvFailed, o.Status, "attempts used up: "+detail, resend)
			return false, 0
		}
		s.logEvent(ctx, n.ID, sub.ID, ch, EvRetried, o.Status, detail, resend)
		return true, o.RetryAfter
	default: // other 4xx: our request is wrong for this subscription (a VAPID key mismatch …)
		detail := ""
		if o.Err != nil {
			detail = o.Err.Error()
		}
		s.logEvent(ctx, n.ID, sub.ID, ch, EvFailed, o.Status, detail, resend)
		var fails int
		if err := s.db.QueryRow(ctx, `UPDATE notify_subscriptions SET fails_4xx = fails_4xx + 1 WHERE id = ? RETURNING fails_4xx`, sub.ID).Scan(&fails); err == nil &&
			fails >= s.opts.Fail4xxLimit && !sub.Delivered {
			s.dropSubscription(ctx, sub, fmt.Sprintf("%d consecutive 4xx answers and never delivered", fails))
		}
		return false, 0
	}
}

func reason(err error) string {
	if ae, ok := apperr.As(err); ok {
		if d, ok := ae.Details.(map[string]string); ok {
			return d["reason"]
		}
	}
	return err.Error()
}

func (s *Service) dropSubscription(ctx context.Context, sub Subscription, why string) {
	if _, err := s.db.Exec(ctx, `DELETE FROM notify_subscriptions WHERE id = ?`, sub.ID); err != nil {
		s.log.Error("notify: drop subscription", "subscription", sub.ID, "err", err)
		return
	}
	s.log.Info("notify: dropped push subscription", "subscription", sub.ID, "reason", why)
}

// deliverSMS sends a critical notice by SMS to a person without push; anything else stays in the
// inbox only.
func (s *Service) deliverSMS(ctx context.Context, n noticeRow, p Payload, attempt int) error {
	if !n.Critical || s.opts.SMS == nil || s.opts.Phones == nil {
		s.logEvent(ctx, n.ID, 0, "", EvInboxOnly, 0, "", false)
		return nil
	}
	phone, err := s.opts.Phones.Phone(ctx, n.Person)
	if err != nil {
		return err
	}
	if phone == "" {
		s.logEvent(ctx, n.ID, 0, "sms", EvInboxOnly, 0, "no phone number", false)
		return nil
	}
	o := s.opts.SMS.Send(ctx, Address{Phone: phone}, p)
	if o.Status >= 200 && o.Status < 300 {
		s.logEvent(ctx, n.ID, 0, "sms", EvSent, o.Status, "", attempt > 1)
		return nil
	}
	if o.Status == 0 || o.Status == 429 || o.Status >= 500 {
		s.logEvent(ctx, n.ID, 0, "sms", EvRetried, o.Status, fmt.Sprint(o.Err), false)
		return fmt.Errorf("notify: sms: %w", o.Err)
	}
	s.logEvent(ctx, n.ID, 0, "sms", EvFailed, o.Status, fmt.Sprint(o.Err), false)
	return nil
}
