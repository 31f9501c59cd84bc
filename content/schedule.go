package content

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/queue"
)

// JobScheduledPublish is the queue job kind that publishes a scheduled version when it is due.
const JobScheduledPublish = "content.scheduled_publish"

// scheduledJob is the payload of a JobScheduledPublish job.
type scheduledJob struct {
	Kind    Kind   `json:"kind"`
	Code    string `json:"code"`
	Version int    `json:"version"`
}

// scheduledJobKey names one schedule: a version scheduled again for another time is another job,
// while the same schedule enqueued twice (at New, after a restart) is one.
func scheduledJobKey(k *docKind, code string, version int, at time.Time) string {
	return fmt.Sprintf("%s:%s:%s:%d:%s", JobScheduledPublish, k.kind, code, version, fmtTime(at))
}

// enqueueScheduled queues the publication of version at its time, inside the scheduling tx.
func (s *Service) enqueueScheduled(ctx context.Context, tx *db.Tx, k *docKind, code string, version int, at time.Time) error {
	payload, err := json.Marshal(scheduledJob{Kind: k.kind, Code: code, Version: version})
	if err != nil {
		return err
	}
	_, err = s.jobs.Enqueue(ctx, tx, queue.Job{Kind: JobScheduledPublish, Key: scheduledJobKey(k, code, version, at),
		Payload: payload, RunAt: at})
	return err
}

// ensureScheduledJobs queues every scheduled version that has no job yet: versions scheduled
// before schedules became queue jobs. Idempotent by the job key.
func (s *Service) ensureScheduledJobs(ctx context.Context) error {
	for _, k := range docKinds {
		list, err := scheduledVersions(ctx, s.db, k)
		if err != nil {
			return err
		}
		for _, x := range list {
			if err := s.db.InTx(ctx, func(tx *db.Tx) error {
				return s.enqueueScheduled(ctx, tx, k, x.code, x.version, x.at)
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// JobHandlers returns the queue handlers of the content service, for the process's worker.
func (s *Service) JobHandlers() map[string]queue.Handler {
	return map[string]queue.Handler{JobScheduledPublish: s.runScheduledPublish}
}

// RunDue runs the scheduled publications that are due now, in this goroutine, and returns when
// none is left; the server's queue worker does the same continuously. Safe on every replica at
// once: each job is claimed by one caller.
func (s *Service) RunDue(ctx context.Context) error {
	return s.runner.RunDue(ctx)
}

// runScheduledPublish is the JobScheduledPublish handler. A version that was unscheduled,
// rescheduled or force-published meanwhile is left alone (the job completes); one that no longer
// validates is returned to approved and the job is dead with the reason, since retrying cannot
// help; a store error is retried.
func (s *Service) runScheduledPublish(ctx context.Context, j queue.Job) error {
	var p scheduledJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return queue.Permanent(fmt.Errorf("scheduled publish payload: %w", err))
	}
	k, err := kindOf(p.Kind)
	if err != nil {
		return queue.Permanent(err)
	}
	won, err := s.publishDue(ctx, k, p.Code, p.Version)
	if won {
		s.deliverAfterCommit(ctx)
	}
	if err != nil {
		err = fmt.Errorf("scheduled publish of %s %s v%d: %w", k.kind, p.Code, p.Version, err)
		if _, ok := apperr.As(err); ok {
			return queue.Permanent(err)
		}
	}
	return err
}

// publishDue claims and publishes one due version; it reports false when another caller won.
// A version that no longer validates goes back to approved with an audit record, rather than
// failing again every second.
func (s *Service) publishDue(ctx context.Context, k *docKind, code string, version int) (bool, error) {
	now := s.now()
	won := false
	var invalid error
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		v, err := loadVersion(ctx, tx, k, code, version)
		if err != nil {
			return err
		}
		if won, err = claimDue(ctx, tx, k, code, version, now); err != nil || !won {
			return err // another replica got there first, or it was unscheduled
		}
		d, err := loadDoc(ctx, tx, k, code)
		if err != nil {
			return err
		}
		by := Actor{ID: v.ScheduledBy, IP: "scheduler"}
		if by.ID == "" {
			by = System
		}
		if err := publishVersion(ctx, tx, k, d, v, by, now); err != nil {
			if _, ok := apperr.As(err); !ok {
				return err
			}
			invalid = err
			if err := unschedule(ctx, tx, k, code, version); err != nil {
				return err
			}
			won = false
			return audit(ctx, tx, now, System, "schedule_failed", string(k.kind), code, version, err.Error())
		}
		late := now.Sub(v.ScheduledAt).Round(time.Millisecond)
		return audit(ctx, tx, now, System, "publish_scheduled", string(k.kind), code, version,
			fmt.Sprintf("由 %s 安排于 %s 发布（实际延迟 %s）", v.ScheduledBy, humanTime(v.ScheduledAt), late))
	})
	if err == nil && invalid != nil {
		err = invalid
	}
	return won, err
}
