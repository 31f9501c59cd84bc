package eventlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"shebao/internal/wake"
)

// SignalChannel is the Redis channel and PostgreSQL NOTIFY channel that carry "events were
// appended". Replicas sharing a store must share it; the payload is the sender's id, so a
// process ignores its own announcements (it delivered those events already).
const SignalChannel = "shebao_events"

// signalBase is what both Signals share: the receive side and the up/down reporting that tells
// an operator when events travel by polling only.
type signalBase struct {
	id   string
	kind string
	poll time.Duration
	log  *slog.Logger
	out  wake.Chan

	tr transport

	mu       sync.Mutex
	down     bool
	failedAt time.Time
}

// transport is what differs between the Signals: how an announcement is sent, and how one
// connection of the receive side is held.
type transport interface {
	// publish sends payload on SignalChannel.
	publish(ctx context.Context, payload string) error
	// subscribe connects and subscribes to SignalChannel until ctx ends. next blocks for the
	// payload of the next announcement and fails when the connection does; stop releases the
	// subscription.
	subscribe(ctx context.Context) (next func() (string, error), stop func(), err error)
}

// errSignalDown is Send's answer while the transport is known to be down: a publish must not
// wait for a dial timeout each time Redis or PostgreSQL is away.
var errSignalDown = errors.New("event signal is down; other replicas poll")

// skip reports whether Send should not even try: the transport failed less than a second ago.
func (s *signalBase) skip() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down && time.Since(s.failedAt) < time.Second
}

// startSignal makes the shared part of a Signal over tr and holds its receive side until ctx
// ends.
func startSignal(ctx context.Context, kind string, tr transport, poll time.Duration, log *slog.Logger) *signalBase {
	b := make([]byte, 8)
	rand.Read(b)
	if log == nil {
		log = slog.Default()
	}
	s := &signalBase{id: hex.EncodeToString(b), kind: kind, poll: poll, log: log, out: wake.New(), tr: tr}
	go s.listen(ctx)
	return s
}

// Send announces this process's events to the others.
func (s *signalBase) Send(ctx context.Context) error {
	if s.skip() {
		return errSignalDown
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := s.tr.publish(ctx, s.id)
	s.health(err)
	if err != nil {
		return fmt.Errorf("%s signal: %w", s.kind, err)
	}
	return nil
}

// listen holds the receive side, reconnecting after any failure with a backoff from 100ms to 5s.
func (s *signalBase) listen(ctx context.Context) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		next, stop, err := s.tr.subscribe(ctx)
		if err == nil {
			wait = 100 * time.Millisecond
			s.health(nil)
			s.notify() // announcements sent while not subscribed are lost: read the log now
			var payload string
			for payload, err = next(); err == nil; payload, err = next() {
				if payload != s.id {
					s.notify()
				}
			}
			stop()
		}
		if ctx.Err() != nil {
			return
		}
		s.health(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// Receive yields an announcement from another process.
func (s *signalBase) Receive() <-chan struct{} { return s.out }

func (s *signalBase) notify() { s.out.Wake() }

// health records whether the transport works, logging only the changes: a dead Redis must not
// log once per publish, but its death and its return must be seen.
func (s *signalBase) health(err error) {
	s.mu.Lock()
	was := s.down
	s.down = err != nil
	if err != nil {
		s.failedAt = time.Now()
	}
	s.mu.Unlock()
	switch {
	case err != nil && !was:
		s.log.Warn("event signal down: other replicas see new events by polling until it is back",
			"signal", s.kind, "poll", s.poll.String(), "err", err)
	case err == nil && was:
		s.log.Info("event signal back: other replicas are woken at once again", "signal", s.kind)
		// Announcements may have been lost while it was down: read the log now.
		s.notify()
	}
}

// Down reports whether the transport failed at its last use.
func (s *signalBase) Down() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// RedisSignal is a Signal over Redis pub/sub: a PUBLISH after each commit wakes every replica
// subscribed to SignalChannel. When Redis is unreachable, Send fails, the loss is logged once,
// and other replicas see the events at their next poll; the subscription reconnects by itself.
type RedisSignal struct {
	*signalBase
}

// NewRedisSignal subscribes to SignalChannel on rdb until ctx ends. poll is the Log's poll
// interval, named in the log line when Redis goes down.
func NewRedisSignal(ctx context.Context, rdb *redis.Client, poll time.Duration, log *slog.Logger) *RedisSignal {
	return &RedisSignal{startSignal(ctx, "redis", redisTransport{rdb}, poll, log)}
}

type redisTransport struct{ rdb *redis.Client }

func (r redisTransport) publish(ctx context.Context, payload string) error {
	return r.rdb.Publish(ctx, SignalChannel, payload).Err()
}

// subscribe reads with ReceiveMessage rather than Channel() so that a lost connection is seen
// (and reported) by the Signal.
func (r redisTransport) subscribe(ctx context.Context) (func() (string, error), func(), error) {
	ps := r.rdb.Subscribe(ctx, SignalChannel)
	stop := func() { ps.Close() }
	if _, err := ps.Receive(ctx); err != nil { // the subscription confirmation
		stop()
		return nil, nil, err
	}
	return nextPayload(ctx, ps.ReceiveMessage, func(m *redis.Message) string { return m.Payload }), stop, nil
}

// PostgresSignal is a Signal over PostgreSQL LISTEN/NOTIFY, for a cluster without Redis: NOTIFY
// goes through the pool, LISTEN holds one connection of its own (a pooled one could be handed to
// a query). After a lost connection it reconnects and wakes the log once.
type PostgresSignal struct {
	*signalBase
}

// NewPostgresSignal listens on SignalChannel over a dedicated connection to dsn until ctx ends;
// notify sends a NOTIFY (through the store's pool).
func NewPostgresSignal(ctx context.Context, dsn string, notify func(ctx context.Context, payload string) error, poll time.Duration, log *slog.Logger) *PostgresSignal {
	return &PostgresSignal{startSignal(ctx, "postgres", postgresTransport{dsn, notify}, poll, log)}
}

type postgresTransport struct {
	dsn    string
	notify func(ctx context.Context, payload string) error
}

func (p postgresTransport) publish(ctx context.Context, payload string) error {
	return p.notify(ctx, payload)
}

// subscribe holds a connection of its own: a pooled one could be handed to a query.
func (p postgresTransport) subscribe(ctx context.Context) (func() (string, error), func(), error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, p.dsn)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	stop := func() { conn.Close(context.WithoutCancel(ctx)) }
	if _, err := conn.Exec(ctx, "LISTEN "+SignalChannel); err != nil {
		stop()
		return nil, nil, err
	}
	return nextPayload(ctx, conn.WaitForNotification, func(n *pgconn.Notification) string { return n.Payload }), stop, nil
}

// nextPayload turns a blocking receive of messages into a transport's next: the payload of each
// message, until the receive fails.
func nextPayload[M any](ctx context.Context, receive func(context.Context) (M, error), payload func(M) string) func() (string, error) {
	return func() (string, error) {
		m, err := receive(ctx)
		if err != nil {
			return "", err
		}
		return payload(m), nil
	}
}

// NotifyVia returns the NOTIFY function of a PostgresSignal over a store's pool.
func NotifyVia(exec func(ctx context.Context, q string, args ...any) error) func(ctx context.Context, payload string) error {
	return func(ctx context.Context, payload string) error {
		return exec(ctx, `SELECT pg_notify('`+SignalChannel+`', ?)`, payload)
	}
}
