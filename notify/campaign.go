package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/queue"
)

// Campaign states.
const (
	CampaignDraft     = "draft"
	CampaignRunning   = "running"
	CampaignPaused    = "paused"
	CampaignDone      = "done" // every person enqueued (deliveries may still be going out)
	CampaignCancelled = "cancelled"
)

// maxBatch bounds the people one campaign step puts in their inboxes in one transaction, and
// one delivery job then sends to. A power of two: its notices are one statement (rowGroups).
const maxBatch = 512

// CampaignInput is what an operator defines.
type CampaignInput struct {
	Name          string `json:"name"`
	Segment       string `json:"segment"`
	Kind          Kind   `json:"kind"`
	Title         string `json:"title"`
	Body          string `json:"body"`
	Link          string `json:"link"`
	WindowStart   string `json:"window_start"` // "09:00" Beijing time; equal to end = any time
	WindowEnd     string `json:"window_end"`   // "20:00"
	RatePerMinute int    `json:"rate_per_minute"`
}

// Campaign is a reminder campaign with its progress.
type Campaign struct {
	ID int64 `json:"id"`
	CampaignInput
	State     string    `json:"state"`
	Total     int       `json:"total"`    // people in the segment when it started
	Enqueued  int       `json:"enqueued"` // people reached so far (in their inbox, delivery queued)
	Sent      int       `json:"sent"`     // pushes accepted by a push service (or SMS)
	Failed    int       `json:"failed"`
	Dropped   int       `json:"dropped"`
	InboxOnly int       `json:"inbox_only"`
	Resends   int       `json:"resends"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

type campaignJob struct {
	Campaign int64 `json:"campaign"`
	Batch    int   `json:"batch"`
}

func (s *Service) checkCampaign(in CampaignInput) error {
	bad := func(msg string) error { return apperr.New(apperr.CampaignInvalid, msg) }
	if in.Name == "" || in.Title == "" || in.Body == "" {
		return bad("请填写活动名称、通知标题和内容。")
	}
	if _, ok := SegmentNames[in.Segment]; !ok {
		return bad("未知的人群：" + in.Segment + "。")
	}
	if !in.Kind.Valid() {
		return bad("未知的通知类型：" + string(in.Kind) + "。")
	}
	if _, ok := parseHHMM(in.WindowStart); !ok {
		return bad("发送时段格式应为 HH:MM。")
	}
	if _, ok := parseHHMM(in.WindowEnd); !ok {
		return bad("发送时段格式应为 HH:MM。")
	}
	if in.RatePerMinute <= 0 || in.RatePerMinute > 1_000_000 {
		return bad("发送速率应在每分钟 1 至 1000000 条之间。")
	}
	return s.checkMessage(Message{Key: "campaign:9999999999:" + strings.Repeat("x", 64), Person: strings.Repeat("x", 64),
		Kind: in.Kind, Title: in.Title, Body: in.Body, Link: in.Link})
}

// CreateCampaign stores a draft campaign.
func (s *Service) CreateCampaign(ctx context.Context, by string, in CampaignInput) (Campaign, error) {
	if err := s.checkCampaign(in); err != nil {
		return Campaign{}, err
	}
	ws, _ := parseHHMM(in.WindowStart)
	we, _ := parseHHMM(in.WindowEnd)
	now := s.now().UnixMicro()
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO notify_campaigns (name, segment, kind, title, body, link, window_start, window_end,
			rate_per_minute, state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)`,
			in.Name, in.Segment, string(in.Kind), in.Title, in.Body, in.Link, ws, we, in.RatePerMinute, by, now, now)
		return err
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("notify: create campaign: %w", err)
	}
	return s.Campaign(ctx, id)
}

// Preview is how many people the campaign's segment holds now.
func (s *Service) Preview(ctx context.Context, id int64) (int, error) {
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return 0, err
	}
	return s.opts.Segments.Count(ctx, c.Segment, s.now())
}

func (s *Service) campaignState(ctx context.Context, id int64) (string, error) {
	var st string
	err := s.db.QueryRow(ctx, `SELECT state FROM notify_campaigns WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return CampaignCancelled, nil
	}
	return st, err
}

// Campaign returns one campaign with its progress.
func (s *Service) Campaign(ctx context.Context, id int64) (Campaign, error) {
	var c Campaign
	var ws, we int
	var created int64
	err := s.db.QueryRow(ctx, `SELECT id, name, segment, kind, title, body, link, window_start, window_end, rate_per_minute,
		state, total, enqueued, created_by, created_at FROM notify_campaigns WHERE id = ?`, id).Scan(&c.ID, &c.Name, &c.Segment,
		&c.Kind, &c.Title, &c.Body, &c.Link, &ws, &we, &c.RatePerMinute, &c.State, &c.Total, &c.Enqueued, &c.CreatedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.New(apperr.CampaignNotFound, "")
	}
	if err != nil {
		return c, fmt.Errorf("notify: campaign %d: %w", id, err)
	}
	c.WindowStart, c.WindowEnd, c.CreatedAt = hhmm(ws), hhmm(we), time.UnixMicro(created).UTC()
	rows, err := s.db.Query(ctx, `SELECT l.event, l.resend, count(*) FROM notify_log l JOIN notify_notices n ON n.id = l.notice_id
		WHERE n.campaign_id = ? AND l.event IN ('sent', 'failed', 'dropped', 'inbox_only') GROUP BY l.event, l.resend`, id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var ev string
		var resend flag
		var n int
		if err := rows.Scan(&ev, &resend, &n); err != nil {
			return c, err
		}
		switch ev {
		case EvSent:
			c.Sent += n
			if resend {
				c.Resends += n
			}
		case EvFailed:
			c.Failed += n
		case EvDropped:
			c.Dropped += n
		case EvInboxOnly:
			c.InboxOnly += n
		}
	}
	return c, rows.Err()
}

// Campaigns lists campaigns, newest first.
func (s *Service) Campaigns(ctx context.Context) ([]Campaign, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM notify_campaigns ORDER BY id DESC LIMIT 200`)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := []Campaign{}
	for _, id := range ids {
		c, err := s.Campaign(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// transition moves campaign id from one of from to to, and (in the same transaction) enqueues
// its next step when it runs. The step counter is bumped on pause so that a step already queued
// finds itself stale and does nothing.
func (s *Service) transition(ctx context.Context, id int64, to string, from ...string) (Campaign, error) {
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return c, err
	}
	ok := false
	for _, f := range from {
		ok = ok || c.State == f
	}
	if !ok {
		return c, apperr.Newf(apperr.CampaignState, "提醒活动当前为“%s”，不能进行此操作。", stateName[c.State])
	}
	total := c.Total
	if c.State == CampaignDraft && to == CampaignRunning {
		if total, err = s.opts.Segments.Count(ctx, c.Segment, s.now()); err != nil {
			return c, err
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		bump := 0
		if to == CampaignPaused || to == CampaignCancelled {
			bump = 1
		}
		var batch int
		err := tx.QueryRow(ctx, `UPDATE notify_campaigns SET state = ?, total = ?, batch = batch + ?, updated_at = ?
			WHERE id = ? AND state = ? RETURNING batch`, to, total, bump, s.now().UnixMicro(), id, c.State).Scan(&batch)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.CampaignState, "提醒活动状态已变化，请刷新后重试。")
		}
		if err != nil {
			return err
		}
		if to == CampaignRunning {
			return s.enqueueStep(ctx, tx, id, batch, time.Time{})
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	return s.Campaign(ctx, id)
}

var stateName = map[string]string{CampaignDraft: "草稿", CampaignRunning: "发送中", CampaignPaused: "已暂停", CampaignDone: "已完成", CampaignCancelled: "已取消"}

// StartCampaign counts the segment and starts sending.
func (s *Service) StartCampaign(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, id, CampaignRunning, CampaignDraft)
}

// PauseCampaign stops enqueueing more people and holds deliveries not yet sent.
func (s *Service) PauseCampaign(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, id, CampaignPaused, CampaignRunning)
}

// ResumeCampaign continues a paused campaign where it stopped.
func (s *Service) ResumeCampaign(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, id, CampaignRunning, CampaignPaused)
}

// CancelCampaign stops a campaign for good; deliveries not yet sent are dropped.
func (s *Service) CancelCampaign(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, id, CampaignCancelled, CampaignDraft, CampaignRunning, CampaignPaused)
}

func (s *Service) enqueueStep(ctx context.Context, tx *db.Tx, id int64, batch int, at time.Time) error {
	p, _ := json.Marshal(campaignJob{Campaign: id, Batch: batch})
	_, err := s.q.Enqueue(ctx, tx, queue.Job{Kind: JobCampaign, Key: "campaign:" + strconv.FormatInt(id, 10) + ":step:" + strconv.Itoa(batch),
		Payload: p, RunAt: at})
	return err
}

// windowWait is how long until the send window [start, end) opens, 0 inside it.
func windowWait(t time.Time, start, end int) time.Duration {
	if start == end {
		return 0
	}
	// Outside the window is a quiet window from end to start.
	return quietWait(t, end, start)
}

// campaignStep is the JobCampaign handler: one batch of the segment into inboxes and one
// delivery job for the batch (JobDeliverBatch), the cursor advanced and the next step enqueued, all in one transaction — so a
// crash repeats a whole step or none of it, and the message keys (campaign id + person) make a
// repeat harmless. A step whose number is not the campaign's current one is stale (paused,
// cancelled, or already done by a worker that died before completing its job) and does nothing.
func (s *Service) campaignStep(ctx context.Context, j queue.Job) error {
	var cj campaignJob
	if err := json.Unmarshal(j.Payload, &cj); err != nil {
		return queue.Permanent(err)
	}
	var seg, kind, title, body, link, cursor, state string
	var ws, we, rate, batch int
	err := s.db.QueryRow(ctx, `SELECT segment, kind, title, body, link, window_start, window_end, rate_per_minute, state, cursor, batch
		FROM notify_campaigns WHERE id = ?`, cj.Campaign).Scan(&seg, &kind, &title, &body, &link, &ws, &we, &rate, &state, &cursor, &batch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if state != CampaignRunning || batch != cj.Batch {
		return nil
	}
	if wait := windowWait(s.now(), ws, we); wait > 0 {
		return queue.Postpone("outside the send window", wait)
	}
	size := min(rate, maxBatch)
	members, err := s.opts.Segments.Page(ctx, seg, s.now(), cursor, size)
	if err != nil {
		return err
	}
	msgs := make([]Message, len(members))
	for i, m := range members {
		msgs[i] = Message{
			Key: "campaign:" + strconv.FormatInt(cj.Campaign, 10) + ":" + m.Person, Person: m.Person, Kind: Kind(kind),
			Title: title, Body: body, Link: link, Critical: m.Critical, CampaignID: cj.Campaign,
		}
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		added, err := s.addNotices(ctx, tx, msgs)
		if err != nil {
			return err
		}
		if err := s.enqueueBatch(ctx, tx, cj.Campaign, cj.Batch, added); err != nil {
			return err
		}
		n := len(added)
		next, nextState := cursor, CampaignRunning
		if len(members) > 0 {
			next = members[len(members)-1].Person
		}
		if len(members) < size {
			nextState = CampaignDone
		}
		res, err := tx.Exec(ctx, `UPDATE notify_campaigns SET cursor = ?, enqueued = enqueued + ?, batch = batch + 1, state = ?, updated_at = ?
			WHERE id = ? AND batch = ? AND state = 'running'`, next, n, nextState, s.now().UnixMicro(), cj.Campaign, cj.Batch)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return errors.New("notify: campaign changed during its step") // rolled back; the stale step then does nothing
		}
		if nextState == CampaignDone {
			return nil
		}
		// The rate: this step's people spread over size/rate of a minute, from when this step fell
		// due (start to start, so a step's own time does not slow the campaign below its rate);
		// a step that ran late makes the next one due at once, never a burst to catch up.
		at := j.RunAt.Add(time.Duration(float64(s.opts.Minute) * float64(size) / float64(rate)))
		if now := s.now(); at.Before(now) {
			at = now
		}
		return s.enqueueStep(ctx, tx, cj.Campaign, cj.Batch+1, at)
	})
}

// TestSend puts a test message in person's inbox and sends it at once (not held by quiet
// hours), for an operator checking a device.
func (s *Service) TestSend(ctx context.Context, person, title, body string) (int64, error) {
	key := fmt.Sprintf("test:%s:%d", person, s.now().UnixNano())
	if _, err := s.Notify(ctx, nil, Message{Key: key, Person: person, Kind: KindProgress, Title: title, Body: body, Urgent: true}); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.QueryRow(ctx, `SELECT id FROM notify_notices WHERE key = ?`, key).Scan(&id)
	return id, err
}

// LogEntry is one line of the delivery log.
type LogEntry struct {
	NoticeID       int64     `json:"notice_id"`
	Key            string    `json:"tag"`
	Person         string    `json:"person"`
	SubscriptionID int64     `json:"subscription_id,omitempty"`
	Channel        string    `json:"channel,omitempty"`
	Event          string    `json:"event"`
	Status         int       `json:"status,omitempty"`
	Detail         string    `json:"detail,omitempty"`
	Resend         bool      `json:"resend,omitempty"`
	At             time.Time `json:"at"`
}

// LogFilter selects delivery-log lines; zero fields do not filter.
type LogFilter struct {
	Person     string
	CampaignID int64
	NoticeID   int64
	Limit      int
}

// DeliveryLog returns the newest matching delivery-log lines.
func (s *Service) DeliveryLog(ctx context.Context, f LogFilter) ([]LogEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT l.notice_id, n.key, n.person, l.subscription_id, l.channel, l.event, l.status, l.detail, l.resend, l.at
		FROM notify_log l JOIN notify_notices n ON n.id = l.notice_id WHERE 1 = 1`
	var args []any
	if f.Person != "" {
		q += ` AND n.person = ?`
		args = append(args, f.Person)
	}
	if f.CampaignID != 0 {
		q += ` AND n.campaign_id = ?`
		args = append(args, f.CampaignID)
	}
	if f.NoticeID != 0 {
		q += ` AND l.notice_id = ?`
		args = append(args, f.NoticeID)
	}
	q += ` ORDER BY l.id DESC LIMIT ?`
	rows, err := s.db.Query(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("notify: delivery log: %w", err)
	}
	return db.AppendRows([]LogEntry{}, rows, func(r db.Scanner, e *LogEntry) error {
		var at int64
		err := r.Scan(&e.NoticeID, &e.Key, &e.Person, &e.SubscriptionID, &e.Channel, &e.Event, &e.Status, &e.Detail, (*flag)(&e.Resend), &at)
		e.At = time.UnixMicro(at).UTC()
		return err
	})
}
