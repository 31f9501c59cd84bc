package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"shebao/internal/db"
)

// Migrations create the revocation list. Component "identity".
var Migrations = []db.Migration{
	{
		Name: "token and subject revocations",
		// kind 'token': value is a jti, expires_at the token's exp (the row can go after it).
		// kind 'subject': value is a sub; tokens issued at or before before_at are refused.
		SQL: `CREATE TABLE identity_revocations (
	kind TEXT NOT NULL,
	value TEXT NOT NULL,
	before_at BIGINT NOT NULL DEFAULT 0,
	expires_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, value)
)`,
	},
}

const (
	revokedToken   = "token"
	revokedSubject = "subject"
)

// DefaultRevocationRefresh is how often a Revocations re-reads the store: a revocation made by
// another process or replica takes effect within it.
const DefaultRevocationRefresh = 5 * time.Second

// Revocations is the list of revoked tokens (by jti) and people (every token of a subject issued
// up to a time), kept in the store so that every replica and the CLI share it. Verify-time
// checks read an in-memory copy, re-read from the store at most every refresh: the list is
// small, because a revoked token's row goes once the token would have expired anyway, and local
// tokens live at most the keyring's maximum lifetime.
type Revocations struct {
	db      *db.DB
	refresh time.Duration
	now     func() time.Time
	log     *slog.Logger

	cur     atomic.Pointer[revocationSet]
	loading sync.Mutex // one reload at a time; others keep using the current copy
}

// revocationSet is one read of the list.
type revocationSet struct {
	at       time.Time            // when it was read
	tokens   map[string]struct{}  // revoked jtis
	subjects map[string]time.Time // subject → tokens issued at or before this are refused
}

// RevocationOptions configures OpenRevocations; zero fields take defaults.
type RevocationOptions struct {
	Refresh time.Duration    // DefaultRevocationRefresh
	Now     func() time.Time // time.Now
	Log     *slog.Logger     // slog.Default()
}

// OpenRevocations runs the identity migrations on d and reads the list.
func OpenRevocations(ctx context.Context, d *db.DB, o RevocationOptions) (*Revocations, error) {
	if err := d.Migrate(ctx, "identity", Migrations); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	r := &Revocations{db: d, refresh: o.Refresh, now: o.Now, log: o.Log}
	if r.refresh <= 0 {
		r.refresh = DefaultRevocationRefresh
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// RevokeToken refuses the token with id jti from now on. expires is the token's exp, after
// which the entry is dropped (zero keeps it for the longest local token lifetime).
func (r *Revocations) RevokeToken(ctx context.Context, jti string, expires time.Time, by, reason string) error {
	if strings.TrimSpace(jti) == "" {
		return errors.New("identity: revoke: token id (jti) is empty")
	}
	now := r.now()
	if expires.IsZero() {
		expires = now.Add(DefaultMaxTokenTTL)
	}
	_, err := r.db.Exec(ctx, `INSERT INTO identity_revocations (kind, value, expires_at, created_at, created_by, reason)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, value) DO UPDATE SET expires_at = excluded.expires_at`,
		revokedToken, jti, expires.Unix(), now.Unix(), by, reason)
	if err != nil {
		return fmt.Errorf("identity: revoke token: %w", err)
	}
	return r.reload(ctx)
}

// RevokeSubject refuses every token of subject issued at or before before (usually now); tokens
// issued later, after the person logs in again, are accepted. A later revocation of the same
// subject only ever moves the time forward.
func (r *Revocations) RevokeSubject(ctx context.Context, subject string, before time.Time, by, reason string) error {
	if strings.TrimSpace(subject) == "" {
		return errors.New("identity: revoke: subject is empty")
	}
	_, err := r.db.Exec(ctx, `INSERT INTO identity_revocations (kind, value, before_at, created_at, created_by, reason)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, value) DO UPDATE SET before_at = CASE WHEN excluded.before_at > identity_revocations.before_at
			THEN excluded.before_at ELSE identity_revocations.before_at END`,
		revokedSubject, subject, before.Unix(), r.now().Unix(), by, reason)
	if err != nil {
		return fmt.Errorf("identity: revoke subject: %w", err)
	}
	return r.reload(ctx)
}

// Prune drops the entries of tokens that have expired anyway, and returns how many.
func (r *Revocations) Prune(ctx context.Context) (int64, error) {
	res, err := r.db.Exec(ctx, `DELETE FROM identity_revocations WHERE kind = ? AND expires_at < ?`, revokedToken, r.now().Unix())
	if err != nil {
		return 0, fmt.Errorf("identity: prune revocations: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// check returns an error saying why p's token is revoked, or nil.
func (r *Revocations) check(ctx context.Context, p Principal) error {
	set := r.current(ctx)
	if p.TokenID != "" {
		if _, ok := set.tokens[p.TokenID]; ok {
			return errors.New("token is revoked")
		}
	}
	if before, ok := set.subjects[p.Subject]; ok {
		// A token that does not say when it was issued cannot show it came after the revocation.
		if p.IssuedAt.IsZero() || !p.IssuedAt.After(before) {
			return errors.New("every token of the subject issued before " + before.UTC().Format(time.RFC3339) + " is revoked")
		}
	}
	return nil
}

// current returns the list, re-reading it when it is older than refresh; while one caller
// re-reads, the others use the copy they have. A failed read keeps the last good copy (and is
// logged): the server goes on, with revocations as of that copy.
func (r *Revocations) current(ctx context.Context) *revocationSet {
	set := r.cur.Load()
	if r.now().Sub(set.at) < r.refresh || !r.loading.TryLock() {
		return set
	}
	defer r.loading.Unlock()
	if err := r.load(ctx); err != nil {
		r.log.Error("revocation list: re-read failed; using the last copy", "err", err)
		// Try again after another refresh, not on every request while the store is down.
		retry := *set
		retry.at = r.now()
		r.cur.Store(&retry)
	}
	return r.cur.Load()
}

// reload reads the whole list from the store now.
func (r *Revocations) reload(ctx context.Context) error {
	r.loading.Lock()
	defer r.loading.Unlock()
	return r.load(ctx)
}

// load reads the list; the caller holds loading.
func (r *Revocations) load(ctx context.Context) error {
	now := r.now()
	rows, err := r.db.Query(ctx, `SELECT kind, value, before_at FROM identity_revocations WHERE kind = ? OR expires_at >= ?`,
		revokedSubject, now.Unix())
	if err != nil {
		return fmt.Errorf("identity: read revocations: %w", err)
	}
	defer rows.Close()
	set := &revocationSet{at: now, tokens: map[string]struct{}{}, subjects: map[string]time.Time{}}
	for rows.Next() {
		var kind, value string
		var before int64
		if err := rows.Scan(&kind, &value, &before); err != nil {
			return fmt.Errorf("identity: read revocations: %w", err)
		}
		if kind == revokedToken {
			set.tokens[value] = struct{}{}
		} else {
			set.subjects[value] = time.Unix(before, 0)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("identity: read revocations: %w", err)
	}
	r.cur.Store(set)
	return nil
}

// WithRevocations returns a Verifier that also refuses tokens on r's list, whichever issuer
// signed them.
func WithRevocations(v Verifier, r *Revocations) Verifier {
	return &revokingVerifier{v: v, r: r}
}

type revokingVerifier struct {
	v Verifier
	r *Revocations
}

// Verify checks the token with the wrapped verifier, then the revocation list.
func (rv *revokingVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	p, err := rv.v.Verify(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	if err := rv.r.check(ctx, p); err != nil {
		return Principal{}, unauthenticated(err)
	}
	return p, nil
}
