package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/eventlog"
	"shebao/internal/person"
	"shebao/internal/queue"
)

// Options configure a Service. Zero values take the documented defaults.
type Options struct {
	DB    *db.DB
	Queue *queue.Queue
	Log   *slog.Logger
	Now   func() time.Time // clock (tests); default time.Now

	// VAPIDSubject is the contact in every VAPID JWT: an https: URL or mailto: with a real
	// domain (Apple's service refuses others). Checked by Open; empty turns Web Push off
	// (notices then reach the inbox, and SMS, only).
	VAPIDSubject string
	// VAPIDPublicKey and VAPIDPrivateKey (base64url) give the key pair in config; empty = a pair
	// generated at first start and kept in the store.
	VAPIDPublicKey, VAPIDPrivateKey string

	// Endpoints is the SSRF guard for push endpoints.
	Endpoints *EndpointPolicy
	// Concurrency is how many delivery jobs run at once (default 16).
	Concurrency int
	// SendTimeout bounds one request to a push service (default 10 s).
	SendTimeout time.Duration
	// Fail4xxLimit drops a subscription that answered only 4xx this many times in a row and
	// never delivered (default 5).
	Fail4xxLimit int
	// SubscriptionMaxIdle expires subscriptions the app has not confirmed for this long
	// (default 60 days).
	SubscriptionMaxIdle time.Duration
	// QuietStart and QuietEnd are the default quiet hours in Beijing time, minutes after
	// midnight (default 21:00–08:00).
	QuietStart, QuietEnd int
	// Minute is how long a "minute" is for campaign rates (tests shorten it; default a minute).
	Minute time.Duration
	// BaseURL prefixes links in payloads (the app's origin), e.g. https://app.example.cn.
	BaseURL string

	Followers Followers // optional: guide-change alerts need it
	// People is the person store: campaign segments and SMS phone numbers come from it
	// (default: one opened over DB with the key it keeps there — development and tests).
	People   *person.Store
	Segments Segments // optional: replaces the person store's segments
	SMS      Channel  // optional: SMS for critical messages to people without push
	Phones   Phones   // optional: replaces the person store's phone numbers
	Push     Channel  // optional: replaces the Web Push channel (tests)
}

// Service is notifications: the inbox, subscriptions, preferences, sources and delivery.
type Service struct {
	opts   Options
	db     *db.DB
	q      *queue.Queue
	log    *slog.Logger
	now    func() time.Time
	policy *EndpointPolicy
	push   Channel
	unsub  []byte // HMAC key of unsubscribe tokens

	mu   sync.RWMutex
	keys map[int64]vapidKey
	cur  vapidKey
}

type vapidKey struct {
	ID              int64
	Public, Private string // base64url, as webpush-go takes them
}

// Job kinds handled by the Service's worker.
const (
	JobDeliver  = "notify.deliver"
	JobCampaign = "notify.campaign"
)

// CheckSubject validates a VAPID subject: an https: URL with a host, or mailto: an address at a
// domain with a dot (not localhost).
func CheckSubject(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("vapid subject %q: %w", s, err)
	}
	switch u.Scheme {
	case "https":
		if u.Hostname() == "" || !strings.Contains(u.Hostname(), ".") {
			return fmt.Errorf("vapid subject %q: an https URL needs a public host", s)
		}
		return nil
	case "mailto":
		a, err := mail.ParseAddress(u.Opaque)
		if err != nil {
			return fmt.Errorf("vapid subject %q: not an e-mail address", s)
		}
		_, domain, _ := strings.Cut(a.Address, "@")
		if !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".localhost") || strings.HasSuffix(domain, ".local") ||
			strings.HasSuffix(domain, ".invalid") || strings.HasSuffix(domain, ".test") || strings.HasSuffix(domain, ".example") {
			return fmt.Errorf("vapid subject %q: the mail domain must be a real one", s)
		}
		return nil
	}
	return fmt.Errorf("vapid subject %q: must be an https: URL or a mailto: address", s)
}

// Open migrates the schema, loads or creates the VAPID key and the unsubscribe secret, and
// returns the service. It logs loudly when insecure test hosts are allowed.
func Open(ctx context.Context, o Options) (*Service, error) {
	if o.DB == nil || o.Queue == nil {
		return nil, errors.New("notify: a store and a queue are required")
	}
	if o.VAPIDSubject != "" {
		if err := CheckSubject(o.VAPIDSubject); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Endpoints == nil {
		o.Endpoints = &EndpointPolicy{}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	if o.Fail4xxLimit <= 0 {
		o.Fail4xxLimit = 5
	}
	if o.SubscriptionMaxIdle <= 0 {
		o.SubscriptionMaxIdle = 60 * 24 * time.Hour
	}
	if o.QuietStart == 0 && o.QuietEnd == 0 {
		o.QuietStart, o.QuietEnd = 21*60, 8*60
	}
	if o.Minute <= 0 {
		o.Minute = time.Minute
	}
	// The person store first: notify's migrations move data into it.
	if o.People == nil {
		p, err := person.Open(ctx, person.Options{DB: o.DB})
		if err != nil {
			return nil, err
		}
		o.People = p
	} else if err := o.DB.Migrate(ctx, "person", person.Migrations); err != nil {
		return nil, err
	}
	if err := o.DB.Migrate(ctx, "notify", Migrations); err != nil {
		return nil, err
	}
	// A new notice appends person.changed (the home screen's unread count) to the event log.
	if err := eventlog.Migrate(ctx, o.DB); err != nil {
		return nil, err
	}
	s := &Service{opts: o, db: o.DB, q: o.Queue, log: o.Log, now: o.Now, policy: o.Endpoints, keys: map[int64]vapidKey{}}
	if len(o.Endpoints.InsecureTestHosts) > 0 {
		s.log.Warn("notify: INSECURE push test hosts are allowed (plain http, any address): never in production",
			"hosts", strings.Join(o.Endpoints.InsecureTestHosts, ","))
	}
	if s.opts.Segments == nil {
		s.opts.Segments = &PersonSegments{People: o.People}
	}
	if s.opts.Phones == nil {
		s.opts.Phones = o.People
	}
	s.push = o.Push
	if s.push == nil && o.VAPIDSubject != "" {
		s.push = NewWebPush(o.Endpoints, o.VAPIDSubject, o.SendTimeout, o.Concurrency*batchSenders)
	}
	if s.push == nil {
		s.log.Warn("notify: Web Push is off (no VAPID subject configured): notices reach the inbox only")
	}
	if err := s.loadKeys(ctx); err != nil {
		return nil, err
	}
	secret, err := s.secret(ctx, "unsubscribe")
	if err != nil {
		return nil, err
	}
	s.unsub = secret
	return s, nil
}

// secret returns the named random secret kept in the store, creating it once.
func (s *Service) secret(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if _, err := s.db.Exec(ctx, `INSERT INTO notify_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, base64.RawURLEncoding.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("notify: secret %s: %w", name, err)
	}
	var v string
	if err := s.db.QueryRow(ctx, `SELECT value FROM notify_secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("notify: secret %s: %w", name, err)
	}
	return base64.RawURLEncoding.DecodeString(v)
}

// loadKeys reads every VAPID key; the configured pair (if any) becomes current; with none, a
// pair is generated and kept.
func (s *Service) loadKeys(ctx context.Context) error {
	if s.opts.VAPIDPublicKey != "" || s.opts.VAPIDPrivateKey != "" {
		if err := s.addKey(ctx, s.opts.VAPIDPublicKey, s.opts.VAPIDPrivateKey); err != nil {
			return err
		}
	}
	if err := s.readKeys(ctx); err != nil {
		return err
	}
	if s.cur.ID == 0 {
		if _, err := s.RotateVAPIDKey(ctx); err != nil {
			return err
		}
	}
	return nil
}

// addKey stores a key pair and makes it current (idempotent for the same pair).
func (s *Service) addKey(ctx context.Context, pub, priv string) error {
	if _, err := decodeKey(pub); err != nil {
		return fmt.Errorf("notify: vapid public key: %w", err)
	}
	if _, err := decodeKey(priv); err != nil {
		return fmt.Errorf("notify: vapid private key: %w", err)
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notify_vapid_keys (public_key, private_key, current, created_at) VALUES (?, ?, 0, ?)
			ON CONFLICT (public_key) DO NOTHING`, pub, priv, s.now().UnixMicro()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE notify_vapid_keys SET current = 0 WHERE public_key <> ?`, pub); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE notify_vapid_keys SET current = 1 WHERE public_key = ?`, pub)
		return err
	})
}

func (s *Service) readKeys(ctx context.Context) error {
	rows, err := s.db.Query(ctx, `SELECT id, public_key, private_key, current FROM notify_vapid_keys ORDER BY id`)
	if err != nil {
		return fmt.Errorf("notify: vapid keys: %w", err)
	}
	defer rows.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for rows.Next() {
		var k vapidKey
		var cur flag
		if err := rows.Scan(&k.ID, &k.Public, &k.Private, &cur); err != nil {
			return err
		}
		s.keys[k.ID] = k
		if cur {
			s.cur = k
		}
	}
	return rows.Err()
}

// RotateVAPIDKey generates a new key pair and makes it current: new subscriptions use it; old
// ones keep being signed with the key they were created with until the app re-subscribes.
func (s *Service) RotateVAPIDKey(ctx context.Context) (string, error) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return "", err
	}
	if err := s.addKey(ctx, pub, priv); err != nil {
		return "", err
	}
	s.log.Info("notify: new VAPID key", "public_key", pub)
	return pub, s.readKeys(ctx)
}

// PushEnabled reports whether Web Push is configured.
func (s *Service) PushEnabled() bool { return s.push != nil }

// VAPIDPublicKey is the current application server key, base64url, for pushManager.subscribe.
func (s *Service) VAPIDPublicKey() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cur.Public
}

func (s *Service) key(id int64) (vapidKey, error) {
	s.mu.RLock()
	k, ok := s.keys[id]
	s.mu.RUnlock()
	if ok {
		return k, nil
	}
	if err := s.readKeys(context.Background()); err != nil {
		return k, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok = s.keys[id]; !ok {
		return k, fmt.Errorf("notify: vapid key %d is gone", id)
	}
	return k, nil
}

// Subscribe stores the browser's subscription for person, signed from now on with the current
// VAPID key. The same endpoint again updates its keys and owner (a browser re-subscribing).
func (s *Service) Subscribe(ctx context.Context, person string, in SubscriptionInput) (int64, error) {
	if person == "" {
		return 0, apperr.New(apperr.Unauthenticated, "")
	}
	if s.push == nil {
		return 0, apperr.New(apperr.PushUnavailable, "")
	}
	if in.Endpoint == "" {
		return 0, apperr.New(apperr.InvalidSubscription, "").WithDetails(map[string]string{"reason": "endpoint is missing"})
	}
	if err := checkKeys(in); err != nil {
		return 0, err
	}
	if err := s.policy.Check(ctx, in.Endpoint); err != nil {
		return 0, err
	}
	s.mu.RLock()
	kid := s.cur.ID
	s.mu.RUnlock()
	now := s.now().UnixMicro()
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO notify_subscriptions (person, endpoint, p256dh, auth, vapid_key_id, created_at, seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET person = excluded.person, p256dh = excluded.p256dh, auth = excluded.auth,
			vapid_key_id = excluded.vapid_key_id, seen_at = excluded.seen_at, fails_4xx = 0
		RETURNING id`, person, in.Endpoint, in.Keys.P256dh, in.Keys.Auth, kid, now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("notify: subscribe: %w", err)
	}
	return id, nil
}

// Unsubscribe removes person's subscription with endpoint.
func (s *Service) Unsubscribe(ctx context.Context, person, endpoint string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM notify_subscriptions WHERE person = ? AND endpoint = ?`, person, endpoint)
	if err != nil {
		return fmt.Errorf("notify: unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NotFound, "未找到该推送订阅。")
	}
	return nil
}

// Subscription is one browser's push subscription.
type Subscription struct {
	ID         int64
	Person     string
	Endpoint   string
	P256dh     string
	Auth       string
	VAPIDKeyID int64
	Fails4xx   int
	Delivered  bool
}

func (s *Service) subscriptions(ctx context.Context, person string) ([]Subscription, error) {
	m, err := s.subscriptionsOf(ctx, []string{person})
	return m[person], err
}

// subscriptionsOf is the live subscriptions of people, by person.
func (s *Service) subscriptionsOf(ctx context.Context, people []string) (map[string][]Subscription, error) {
	out := map[string][]Subscription{}
	if len(people) == 0 {
		return out, nil
	}
	in, args := inList("person", people)
	rows, err := s.db.QueryPrepared(ctx, subscriptionsSQL(in), append(args, s.now().Add(-s.opts.SubscriptionMaxIdle).UnixMicro())...)
	if err != nil {
		return nil, err
	}
	subs, err := db.AppendRows(nil, rows, func(r db.Scanner, sub *Subscription) error {
		var delivered int64
		err := r.Scan(&sub.ID, &sub.Person, &sub.Endpoint, &sub.P256dh, &sub.Auth, &sub.VAPIDKeyID, &sub.Fails4xx, &delivered)
		sub.Delivered = delivered > 0
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		out[sub.Person] = append(out[sub.Person], sub)
	}
	return out, nil
}

// subscriptionsSQL is subscriptionsOf's query for the people condition in (inList), then seen_at.
func subscriptionsSQL(in string) string {
	return `SELECT id, person, endpoint, p256dh, auth, vapid_key_id, fails_4xx, delivered_at
		FROM notify_subscriptions WHERE ` + in + ` AND seen_at > ? ORDER BY id`
}

// ExpireSubscriptions deletes subscriptions the app has not confirmed (re-posted) within
// SubscriptionMaxIdle; it returns how many went.
func (s *Service) ExpireSubscriptions(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM notify_subscriptions WHERE seen_at <= ?`, s.now().Add(-s.opts.SubscriptionMaxIdle).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("notify: expire subscriptions: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		s.log.Info("notify: expired unused push subscriptions", "count", n)
	}
	return n, nil
}

func nullable[T any](v T, err error) (T, bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	return v, err == nil, err
}
