package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"shebao/internal/db"
	"shebao/internal/queue"
)

// JobDeliverBatch delivers a campaign step's notices: one job for the batch, and per-notice
// JobDeliver jobs only for what must wait (a retry, quiet hours, SMS).
const JobDeliverBatch = "notify.deliver_batch"

type batchJob struct {
	Campaign int64   `json:"campaign"`
	Notices  []int64 `json:"notices"`
}

// batchChunk is how many notices a batch job sends before it records their outcomes in one
// transaction: a crash resends at most this many (counted; the tag keeps the screen right). A
// power of two: its log lines are one statement (rowGroups).
const batchChunk = 128

// batchSenders is how many sends one batch job has in flight.
const batchSenders = 4

// enqueueBatch enqueues the delivery of a campaign step's new notices as one job.
func (s *Service) enqueueBatch(ctx context.Context, tx *db.Tx, campaign int64, step int, notices []added) error {
	if len(notices) == 0 {
		return nil
	}
	bj := batchJob{Campaign: campaign, Notices: make([]int64, len(notices))}
	for i, a := range notices {
		bj.Notices[i] = a.id
	}
	p, _ := json.Marshal(bj)
	_, err := s.q.Enqueue(ctx, tx, queue.Job{Kind: JobDeliverBatch, Key: "campaign:" + strconv.FormatInt(campaign, 10) + ":deliver:" + strconv.Itoa(step),
		Payload: p, MaxAttempts: 12})
	return err
}

// deliverBatch is the JobDeliverBatch handler. Every chunk first reads what the log already
// holds for its notices, so a batch run again (after a crash or a pause) sends only what has no
// outcome yet, and counts as resends the sends a crash left unrecorded.
func (s *Service) deliverBatch(ctx context.Context, j queue.Job) error {
	var bj batchJob
	if err := json.Unmarshal(j.Payload, &bj); err != nil {
		return queue.Permanent(err)
	}
	for i := 0; i < len(bj.Notices); i += batchChunk {
		state, err := s.campaignState(ctx, bj.Campaign)
		if err != nil {
			return err
		}
		if state == CampaignPaused {
			return queue.Postpone("campaign paused", s.opts.Minute)
		}
		if err := s.deliverChunk(ctx, bj.Notices[i:min(i+batchChunk, len(bj.Notices))], state == CampaignCancelled, j.Attempts > 1); err != nil {
			return err
		}
	}
	return nil
}

// deliverChunk sends notices (of one campaign) to their people's subscriptions and records the
// outcomes in one transaction, with a per-notice job for each that must be tried again later.
func (s *Service) deliverChunk(ctx context.Context, ids []int64, cancelled, rerun bool) error {
	ns, err := s.noticesByID(ctx, ids)
	if err != nil {
		return err
	}
	people := make([]string, 0, len(ns))
	for _, n := range ns {
		people = append(people, n.Person)
	}
	// What the log holds already, the people's devices and their settings.
	var last map[int64]map[int64]string
	var subs map[string][]Subscription
	var sts map[string]settings
	if last, err = s.lastEventsOf(ctx, ids); err == nil {
		if subs, err = s.subscriptionsOf(ctx, people); err == nil {
			sts, err = s.settingsOf(ctx, people)
		}
	}
	if err != nil {
		return err
	}
	type send struct {
		n      noticeRow
		sub    Subscription
		p      Payload
		resend bool
	}
	var lines []logLine
	var sends []send
	later := map[int64]pending{} // notices that continue in a per-notice job
	for _, n := range ns {
		done := last[n.ID]
		if _, ok := done[0]; ok {
			continue // an outcome for the notice as a whole (held, dropped, inbox only) is final here
		}
		note := func(ev, detail string) { lines = append(lines, logLine{notice: n.ID, ev: ev, detail: detail}) }
		st := sts[n.Person]
		switch {
		case cancelled:
			note(EvDropped, "campaign cancelled")
			continue
		case st.disabled[Kind(n.Kind)]:
			note(EvDropped, "kind turned off by the person")
			continue
		}
		if !n.Urgent {
			if wait := quietWait(s.now(), st.start, st.end); wait > 0 {
				note(EvHeld, "quiet hours until "+s.now().Add(wait).Format(time.RFC3339))
				later[n.ID] = pending{n.Key, wait}
				continue
			}
		}
		if len(subs[n.Person]) == 0 || s.push == nil {
			if n.Critical && s.opts.SMS != nil && s.opts.Phones != nil {
				later[n.ID] = pending{n.Key, 0} // the per-notice job sends the SMS
			} else {
				note(EvInboxOnly, "")
			}
			continue
		}
		p := s.payload(n.Person, Kind(n.Kind), n.Title, n.Body, n.Link, n.Key, n.Collapse, n.Urgent)
		for _, sub := range subs[n.Person] {
			switch done[sub.ID] {
			case EvSent, EvFailed, EvDropped:
				continue
			}
			sends = append(sends, send{n, sub, p, rerun && done[sub.ID] == ""})
		}
	}
	out := make([]logLine, len(sends))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(batchSenders, len(sends)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = s.attempt(ctx, sends[i].n, sends[i].sub, sends[i].p, sends[i].resend, false)
			}
		}()
	}
	for i := range sends {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, l := range out {
		if l.retry {
			n := sends[i].n
			later[n.ID] = pending{n.Key, max(later[n.ID].wait, l.wait, s.q.Backoff(1))}
		}
	}
	lines = append(lines, out...)
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.record(ctx, tx, lines); err != nil {
			return err
		}
		for id, n := range later {
			p, _ := json.Marshal(deliverJob{Notice: id, Retry: true})
			if _, err := s.q.Enqueue(ctx, tx, queue.Job{Kind: JobDeliver, Key: "notify:" + n.key, Payload: p,
				RunAt: s.now().Add(n.wait), MaxAttempts: 12}); err != nil {
				return err
			}
		}
		return nil
	})
}

// pending is a notice that a per-notice job carries on with, not before wait.
type pending struct {
	key  string
	wait time.Duration
}

// noticesByID reads notices.
func (s *Service) noticesByID(ctx context.Context, ids []int64) ([]noticeRow, error) {
	in, args := inList("id", ids)
	rows, err := s.db.QueryPrepared(ctx, `SELECT id, person, kind, title, body, link, key, collapse, urgent, critical, campaign_id
		FROM notify_notices WHERE `+in+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("notify: notices: %w", err)
	}
	return db.AppendRows(nil, rows, func(r db.Scanner, n *noticeRow) error {
		return r.Scan(&n.ID, &n.Person, &n.Kind, &n.Title, &n.Body, &n.Link, &n.Key, &n.Collapse, (*flag)(&n.Urgent), (*flag)(&n.Critical), &n.CampaignID)
	})
}

// lastEventsOf is the last event per notice and subscription (0: the notice as a whole) of the
// notices, leaving out queued.
func (s *Service) lastEventsOf(ctx context.Context, ids []int64) (map[int64]map[int64]string, error) {
	in, args := inList("notice_id", ids)
	rows, err := s.db.QueryPrepared(ctx, lastEventsSQL(in), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]map[int64]string{}
	for rows.Next() {
		var n, sub int64
		var ev string
		if err := rows.Scan(&n, &sub, &ev); err != nil {
			return nil, err
		}
		if out[n] == nil {
			out[n] = map[int64]string{}
		}
		out[n][sub] = ev
	}
	return out, rows.Err()
}

// lastEventsSQL is lastEventsOf's query for the notices condition in (inList).
func lastEventsSQL(in string) string {
	return `SELECT notice_id, subscription_id, event FROM notify_log WHERE ` + in + ` AND event <> 'queued' ORDER BY id`
}
