package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// RunDue publishes every scheduled version whose time has come. It is safe to call from every
// replica at once: each version is claimed with a conditional UPDATE … WHERE status =
// 'scheduled', so exactly one caller publishes it. State lives only in the database, so a
// schedule survives restarts. Call it about once a second.
func (s *Service) RunDue(ctx context.Context) error {
	var errs []error
	published := false
	for _, k := range docKinds {
		versions, codes, err := dueVersions(ctx, s.db, k, s.now())
		if err != nil {
			return err
		}
		for i, code := range codes {
			ok, err := s.publishDue(ctx, k, code, versions[i])
			if err != nil {
				errs = append(errs, fmt.Errorf("scheduled publish of %s %s v%d: %w", k.kind, code, versions[i], err))
			}
			published = published || ok
		}
	}
	if published {
		s.relayAfterCommit(ctx)
	}
	return errors.Join(errs...)
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
