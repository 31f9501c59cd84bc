package application

import (
	"context"
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
)

func apperrSignature(why string) error {
	return apperr.Wrap(apperr.WebhookSignature, "", fmt.Errorf("webhook: %s", why))
}

func apperrStale() error { return apperr.New(apperr.WebhookStale, "") }

// UpstreamEvent is the body of a webhook from the 经办 system: one step of one application.
// Seq is the 经办 system's own sequence for the application (1, 2, …): steps are applied in that
// order, and one that arrives before its predecessor waits for it.
type UpstreamEvent struct {
	EventID       string    `json:"event_id"`
	ApplicationID string    `json:"application_id"`
	Seq           int       `json:"seq"`
	Status        string    `json:"status"`
	Detail        string    `json:"detail,omitempty"`
	Office        string    `json:"office,omitempty"`
	At            time.Time `json:"at"`
}

// The outcomes of Ingest.
const (
	Applied   = "applied"   // the event (and any that waited for it) is on the timeline
	Duplicate = "duplicate" // seen before (same event id or same sequence number): nothing changed
	Waiting   = "waiting"   // an earlier sequence number is missing; the event waits for it
)

var upstreamStatuses = map[string]bool{
	event.StatusAccepted: true, event.StatusNeedsSupplement: true, event.StatusReviewing: true,
	event.StatusCompleted: true, event.StatusRejected: true, event.StatusBenefitPaid: true,
}

func (e UpstreamEvent) check() error {
	bad := func(m string) error { return apperr.New(apperr.WebhookInvalid, m) }
	switch {
	case e.EventID == "" || len(e.EventID) > 128:
		return bad("event_id 必填，且不超过128个字符。")
	case e.ApplicationID == "":
		return bad("application_id 必填。")
	case e.Seq < 1 || e.Seq > 100000:
		return bad("seq 应为1到100000之间的整数。")
	case !upstreamStatuses[e.Status]:
		return bad("status 不是可识别的办件状态。")
	case e.At.IsZero():
		return bad("at 必填（RFC 3339 时间）。")
	case len(e.Detail) > 2000 || len(e.Office) > 200:
		return bad("detail 或 office 过长。")
	}
	return nil
}

// Ingest records one verified webhook event: idempotent by event id (and by sequence number),
// applied in sequence order, each applied step appending its ApplicationChanged in the same
// transaction. An unknown application is application_not_found. Its statements are prepared
// once (db.Tx.ExecPrepared): parsing them was a quarter of a webhook's CPU on SQLite.
func (s *Service) Ingest(ctx context.Context, e UpstreamEvent) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	outcome := Waiting
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		a, err := s.lockApp(ctx, tx, "", e.ApplicationID)
		if err != nil {
			return err
		}
		var upSeq int
		if err := tx.QueryRowPrepared(ctx, `SELECT upstream_seq FROM applications WHERE id = ?`, a.ID).Scan(&upSeq); err != nil {
			return err
		}
		res, err := tx.ExecPrepared(ctx, `INSERT INTO application_inbox (event_id, application_id, useq, status, detail, office, at, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, e.EventID, a.ID, e.Seq, e.Status, e.Detail, e.Office, e.At.UnixMicro(), s.now().UnixMicro())
		if err != nil {
			return fmt.Errorf("application: inbox: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 || e.Seq <= upSeq {
			outcome = Duplicate
			return nil
		}
		// The 经办 system has it, whatever our delivery job recorded (it may have crashed between
		// sending and recording).
		if _, err := tx.ExecPrepared(ctx, `UPDATE applications SET sent_at = ? WHERE id = ? AND sent_at = 0`, s.now().UnixMicro(), a.ID); err != nil {
			return err
		}
		for {
			var st Step
			var at int64
			err := tx.QueryRowPrepared(ctx, `SELECT status, detail, office, at FROM application_inbox WHERE application_id = ? AND useq = ?`, a.ID, upSeq+1).
				Scan(&st.Status, &st.Detail, &st.Office, &at)
			if isNoRows(err) {
				return nil
			}
			if err != nil {
				return err
			}
			upSeq++
			st.Seq, st.At = a.lastSeq+1, time.UnixMicro(at).UTC()
			if err := s.advance(ctx, tx, &a, st, upSeq); err != nil {
				return err
			}
			if _, err := tx.ExecPrepared(ctx, `UPDATE application_inbox SET applied = 1 WHERE application_id = ? AND useq = ?`, a.ID, upSeq); err != nil {
				return err
			}
			outcome = Applied
		}
	})
	if err != nil {
		return "", err
	}
	if outcome == Applied {
		s.afterCommit(ctx)
	}
	return outcome, nil
}
