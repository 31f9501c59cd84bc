// Package lease lets one replica of many do a piece of periodic work (the daily pruning, a
// campaign's sender) for a while: a row per lease names its holder and until when it holds it.
// Taking is one atomic upsert, so it works alike on PostgreSQL (replicas) and SQLite (one
// process), and a holder that dies simply lets its lease run out, after which another takes it.
//
// Jobs with their own row (scheduled publishes) belong in internal/queue instead; a lease is
// for work that has no row of its own to lock.
package lease

import (
	"context"
	"fmt"
	"time"

	"shebao/internal/db"
)

// Migrations create the lease table. Component "lease".
var Migrations = []db.Migration{
	{
		Name: "leases",
		SQL: `CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	until_at TEXT NOT NULL
)`,
	},
}

// timeFormat is fixed-width UTC, so text order is time order on both dialects.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// Leases takes and releases leases in one store.
type Leases struct {
	db  *db.DB
	now func() time.Time
}

// Open migrates the lease table in d. now may be nil (time.Now).
func Open(ctx context.Context, d *db.DB, now func() time.Time) (*Leases, error) {
	if err := d.Migrate(ctx, "lease", Migrations); err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Leases{db: d, now: now}, nil
}

// Take gives holder the lease name for ttl if nobody holds it (it is new or has run out) or
// holder already does (a renewal). It reports whether holder now holds it. For work to be done
// once per period whoever does it, pass a holder unique to the attempt and the period as ttl.
func (l *Leases) Take(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := l.now().UTC()
	res, err := l.db.Exec(ctx, `INSERT INTO leases (name, holder, until_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at
		WHERE leases.until_at <= ? OR leases.holder = excluded.holder`,
		name, holder, now.Add(ttl).Format(timeFormat), now.Format(timeFormat))
	if err != nil {
		return false, fmt.Errorf("lease: take %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease: take %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives up name if holder holds it, so another replica need not wait for it to run out.
func (l *Leases) Release(ctx context.Context, name, holder string) error {
	_, err := l.db.Exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	if err != nil {
		return fmt.Errorf("lease: release %s: %w", name, err)
	}
	return nil
}
