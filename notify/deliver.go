package notify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	// Retry: a batch job tried some subscriptions already; skip those with an outcome.
	Retry bool `json:"retry,omitempty"`
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
	b := s.payload(m.Person, m.Kind, m.Title, m.Body, m.Link, m.Key, m.Collapse, m.Urgent).appendJSON(nil)
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
	added, err := s.addNotices(ctx, tx, msgs)
	if err != nil {
		return 0, err
	}
	held, err := s.heldForQuiet(ctx, added)
	if err != nil {
		return 0, err
	}
	var lines []logLine
	for _, m := range added {
		runAt := m.NotBefore
		if open, ok := held[m.id]; ok {
			runAt = open
			lines = append(lines, logLine{notice: m.id, ev: EvHeld, detail: "quiet hours until " + open.Format(time.RFC3339)})
		}
		payload, _ := json.Marshal(deliverJob{Notice: m.id})
		if _, err := s.q.Enqueue(ctx, tx, queue.Job{Kind: JobDeliver, Key: "notify:" + m.Key, Payload: payload, RunAt: runAt, MaxAttempts: 12}); err != nil {
			return 0, err
		}
	}
	if len(lines) > 0 {
		if err := s.record(ctx, tx, lines); err != nil {
			return 0, err
		}
	}
	return len(added), nil
}

// heldForQuiet is, by notice, when the window opens for the non-urgent messages that would be
// sent inside their person's quiet hours: their delivery job is queued for then, and the hold
// logged, at once. Held when it ran, each such job cost three more writes (its claim, the log
// line, the postponement) — at night, every progress step (found by the webhook latency
// benchmark). The delivery still checks the hours when it runs (the person may change them).
func (s *Service) heldForQuiet(ctx context.Context, added []added) (map[int64]time.Time, error) {
	var people []string
	for _, m := range added {
		if !m.Urgent {
			people = append(people, m.Person)
		}
	}
	if len(people) == 0 {
		return nil, nil
	}
	st, err := s.settingsOf(ctx, people)
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	now := s.now()
	for _, m := range added {
		if m.Urgent {
			continue
		}
		at := now
		if m.NotBefore.After(at) {
			at = m.NotBefore
		}
		if wait := quietWait(at, st[m.Person].start, st[m.Person].end); wait > 0 {
			out[m.id] = at.Add(wait)
		}
	}
	return out, nil
}

// added is a message that addNotices put in an inbox, with its notice id.
type added struct {
	Message
	id int64
}

// maxRows bounds the rows of one multi-row statement (11 columns: well under the bind-parameter
// limits of SQLite and PostgreSQL). A batch of n rows goes out in statements of power-of-two
// sizes (n's binary digits, largest first; see rowGroups), so that only a few statement texts
// exist, each prepared once per connection and kept: SQLite parsed a step's 500-row statements
// afresh every time (~6% of a campaign's CPU), and PostgreSQL's driver caches statements by text.
// A campaign's steps (maxBatch) and chunks (batchChunk) are powers of two: one statement each.
const maxRows = 512

// rowGroups calls fn with consecutive ranges [from, to) of n rows whose sizes are powers of two
// up to maxRows.
func rowGroups(n int, fn func(from, to int) error) error {
	for from := 0; from < n; {
		size := maxRows
		for size > n-from {
			size /= 2
		}
		if err := fn(from, from+size); err != nil {
			return err
		}
		from += size
	}
	return nil
}

// addNotices puts msgs in their people's inboxes (a message whose key exists is skipped), logs
// each new one as queued, and appends one person.changed for the people whose unread count
// changed — a few multi-row statements however many messages, so that a campaign's batch costs
// the store little more than one message.
func (s *Service) addNotices(ctx context.Context, tx *db.Tx, msgs []Message) ([]added, error) {
	now := s.now().UnixMicro()
	var out []added
	err := rowGroups(len(msgs), func(from, to int) error {
		chunk := msgs[from:to]
		byKey := make(map[string]Message, len(chunk))
		args := make([]any, 0, len(chunk)*11)
		for _, m := range chunk {
			byKey[m.Key] = m
			args = append(args, m.Person, string(m.Kind), m.Key, m.Title, m.Body, m.Link, m.Collapse, b2i(m.Urgent), b2i(m.Critical), m.CampaignID, now)
		}
		rows, err := tx.QueryPrepared(ctx, `INSERT INTO notify_notices (person, kind, key, title, body, link, collapse, urgent, critical, campaign_id, created_at)
			VALUES `+tuples(len(chunk), 11)+` ON CONFLICT (key) DO NOTHING RETURNING id, key`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a added
			var key string
			if err := rows.Scan(&a.id, &key); err != nil {
				return err
			}
			a.Message = byKey[key]
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("notify: add notices: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	lines := make([]logLine, len(out))
	people := make([]string, 0, len(out))
	seen := map[string]bool{}
	for i, a := range out {
		lines[i] = logLine{notice: a.id, ev: EvQueued}
		if !seen[a.Person] {
			seen[a.Person] = true
			people = append(people, a.Person)
		}
	}
	if err := s.record(ctx, tx, lines); err != nil {
		return nil, err
	}
	// The unread count on these people's home screens changed: every replica's cache hears it,
	// in one event however many people.
	ev := event.Event{Topic: event.PersonChanged, At: time.UnixMicro(now)}
	if len(people) == 1 {
		ev.Key = people[0]
	} else {
		ev.Data, _ = json.Marshal(event.People{Subjects: people})
	}
	if err := eventlog.Append(ctx, tx, ev); err != nil {
		return nil, err
	}
	return out, nil
}

// tuples is the VALUES list of a multi-row statement: n groups of cols placeholders.
func tuples(n, cols int) string {
	one := "(?" + strings.Repeat(", ?", cols-1) + ")"
	return one + strings.Repeat(", "+one, n-1)
}

// inList is the condition that col is one of vals, with its arguments. The list is padded to a
// power of two with the last value (a repeat changes nothing in an IN), so that a query has a
// handful of texts, each prepared once and kept, whatever the number of values. And it also bounds
// col by the least and greatest value: PostgreSQL's planner, without statistics (autovacuum off,
// or a table grown since its last ANALYZE), takes an IN of a hundred values for 64% of the table
// and scans all of it — per chunk, O(n²) over a campaign — where the range makes it an index scan.
// No values: a condition nothing matches.
func inList[T cmp.Ordered](col string, vals []T) (string, []any) {
	if len(vals) == 0 {
		return "1 = 0", nil
	}
	n := 1
	for n < len(vals) {
		n *= 2
	}
	args := make([]any, 0, n+2)
	for i := range n {
		args = append(args, vals[min(i, len(vals)-1)])
	}
	args = append(args, slices.Min(vals), slices.Max(vals))
	return col + " IN (?" + strings.Repeat(", ?", n-1) + ") AND " + col + " BETWEEN ? AND ?", args
}

type noticeRow struct {
	ID                                   int64
	Person, Kind, Title, Body, Link, Key string
	Collapse                             string
	Urgent, Critical                     bool
	CampaignID                           int64
}

func (s *Service) logEvent(ctx context.Context, notice, sub int64, channel, ev string, status int, detail string, resend bool) {
	if err := s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.record(ctx, tx, []logLine{{notice: notice, sub: Subscription{ID: sub}, channel: channel, ev: ev, status: status, detail: detail, resend: resend}})
	}); err != nil {
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
	ns, err := s.noticesByID(ctx, []int64{dj.Notice})
	if err != nil {
		return err
	}
	if len(ns) == 0 {
		return nil // the notice was deleted
	}
	n := ns[0]
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
	if j.Attempts > 1 || dj.Retry {
		if last, err = s.lastEvents(ctx, n.ID); err != nil {
			return err
		}
	}
	var lines []logLine
	for _, sub := range subs {
		switch last[sub.ID] {
		case EvSent, EvFailed, EvDropped:
			continue
		}
		resend := j.Attempts > 1 && last[sub.ID] == ""
		lines = append(lines, s.attempt(ctx, n, sub, p, resend, j.Attempts >= j.MaxAttempts))
	}
	if err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.record(ctx, tx, lines) }); err != nil {
		return err // sent but not recorded: the next attempt resends (counted), the tag keeps the screen right
	}
	var retry bool
	var wait time.Duration
	for _, l := range lines {
		if l.retry {
			retry = true
			wait = max(wait, l.wait)
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

// logLine is one line of the delivery log with what it implies for its subscription.
type logLine struct {
	notice  int64
	sub     Subscription // ID 0: the line is about the notice, not one device
	channel string
	ev      string
	status  int
	detail  string
	resend  bool

	retry   bool          // try this subscription again
	wait    time.Duration // not before (the push service's Retry-After)
	drop    string        // drop the subscription, for this reason
	fail4xx bool          // a 4xx answer: counts towards dropping a never-delivered subscription
}

// attempt sends to one subscription and returns what to record; it writes nothing.
func (s *Service) attempt(ctx context.Context, n noticeRow, sub Subscription, p Payload, resend, lastAttempt bool) logLine {
	l := logLine{notice: n.ID, sub: sub, channel: s.push.Name(), resend: resend}
	if err := s.policy.checkStatic(sub.Endpoint); err != nil {
		l.ev, l.detail, l.drop = EvDropped, "endpoint not allowed: "+reason(err), "endpoint not allowed at send time: "+reason(err)
		return l
	}
	k, err := s.key(sub.VAPIDKeyID)
	if err != nil {
		l.ev, l.detail = EvFailed, err.Error()
		return l
	}
	o := s.push.Send(ctx, Address{Subscription: sub, VAPIDPublic: k.Public, VAPIDPrivate: k.Private}, p)
	l.status = o.Status
	if o.Err != nil {
		l.detail = o.Err.Error()
	}
	switch {
	case o.Status >= 200 && o.Status < 300:
		l.ev = EvSent
	case o.Status == 404 || o.Status == 410:
		l.ev, l.detail, l.drop = EvDropped, "subscription gone", "push service answered "+strconv.Itoa(o.Status)
	case o.Status == 413:
		b := p.appendJSON(nil)
		s.log.Error("notify: push service refused the payload as too large", "notice", n.ID, "bytes", len(b))
		l.ev, l.detail = EvFailed, fmt.Sprintf("payload too large: %d bytes", len(b))
	case errors.Is(o.Err, errDialRefused):
		l.ev, l.detail, l.drop = EvDropped, "endpoint resolves to a non-public address", "endpoint resolves to a non-public address"
	case o.Status == 429 || o.Status >= 500 || o.Status == 0:
		if lastAttempt {
			l.ev, l.detail = EvFailed, "attempts used up: "+l.detail
		} else {
			l.ev, l.retry, l.wait = EvRetried, true, o.RetryAfter
		}
	default: // other 4xx: our request is wrong for this subscription (a VAPID key mismatch …)
		l.ev, l.fail4xx = EvFailed, true
	}
	return l
}

// record writes delivery-log lines and their consequences for the subscriptions in tx: a first
// delivery marks the subscription delivered, a gone or refused one is dropped, and one that
// answered only 4xx Fail4xxLimit times in a row and never delivered is dropped too.
func (s *Service) record(ctx context.Context, tx *db.Tx, lines []logLine) error {
	const cols = 8
	now := s.now().UnixMicro()
	var delivered []int64
	err := rowGroups(len(lines), func(from, to int) error {
		args := make([]any, 0, (to-from)*cols)
		for _, l := range lines[from:to] {
			args = append(args, l.notice, l.sub.ID, l.channel, l.ev, l.status, l.detail, b2i(l.resend), now)
			if l.ev == EvSent && l.sub.ID != 0 && (!l.sub.Delivered || l.sub.Fails4xx > 0) {
				delivered = append(delivered, l.sub.ID)
			}
		}
		_, err := tx.ExecPrepared(ctx, `INSERT INTO notify_log (notice_id, subscription_id, channel, event, status, detail, resend, at)
			VALUES `+tuples(to-from, cols), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("notify: delivery log: %w", err)
	}
	for i := 0; i < len(delivered); i += maxRows {
		in, ids := inList("id", delivered[i:min(i+maxRows, len(delivered))])
		if _, err := tx.ExecPrepared(ctx, `UPDATE notify_subscriptions SET delivered_at = ?, fails_4xx = 0 WHERE `+in,
			append([]any{now}, ids...)...); err != nil {
			return err
		}
	}
	for _, l := range lines {
		why := l.drop
		if l.fail4xx {
			var fails int
			if err := tx.QueryRow(ctx, `UPDATE notify_subscriptions SET fails_4xx = fails_4xx + 1 WHERE id = ? RETURNING fails_4xx`, l.sub.ID).Scan(&fails); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if fails >= s.opts.Fail4xxLimit && !l.sub.Delivered {
				why = fmt.Sprintf("%d consecutive 4xx answers and never delivered", fails)
			}
		}
		if why == "" {
			continue
		}
		if _, err := tx.Exec(ctx, `DELETE FROM notify_subscriptions WHERE id = ?`, l.sub.ID); err != nil {
			return fmt.Errorf("notify: drop subscription: %w", err)
		}
		s.log.Info("notify: dropped push subscription", "subscription", l.sub.ID, "reason", why)
	}
	return nil
}

func reason(err error) string {
	if ae, ok := apperr.As(err); ok {
		if d, ok := ae.Details.(map[string]string); ok {
			return d["reason"]
		}
	}
	return err.Error()
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
