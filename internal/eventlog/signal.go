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
	"github.com/redis/go-redis/v9"
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
	out  chan struct{}

	mu       sync.Mutex
	down     bool
	failedAt time.Time
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

func newSignalBase(kind string, poll time.Duration, log *slog.Logger) signalBase {
	b := make([]byte, 8)
	rand.Read(b)
	if log == nil {
		log = slog.Default()
	}
	return signalBase{id: hex.EncodeToString(b), kind: kind, poll: poll, log: log, out: make(chan struct{}, 1)}
}

// Receive yields an announcement from another process.
func (s *signalBase) Receive() <-chan struct{} { return s.out }

func (s *signalBase) notify() {
	select {
	case s.out <- struct{}{}:
	default:
	}
}

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
	signalBase
	rdb *redis.Client
}

// NewRedisSignal subscribes to SignalChannel on rdb until ctx ends. poll is the Log's poll
// interval, named in the log line when Redis goes down.
func NewRedisSignal(ctx context.Context, rdb *redis.Client, poll time.Duration, log *slog.Logger) *RedisSignal {
	s := &RedisSignal{signalBase: newSignalBase("redis", poll, log), rdb: rdb}
	go s.listen(ctx)
	return s
}

// Send publishes this process's id on SignalChannel.
func (s *RedisSignal) Send(ctx context.Context) error {
	if s.skip() {
		return errSignalDown
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := s.rdb.Publish(ctx, SignalChannel, s.id).Err()
	s.health(err)
	if err != nil {
		return fmt.Errorf("redis publish: %w", err)
	}
	return nil
}

// listen holds a subscription, re-subscribing after any failure. ReceiveMessage rather than
// Channel() so that a lost connection is seen (and reported) here.
func (s *RedisSignal) listen(ctx context.Context) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		ps := s.rdb.Subscribe(ctx, SignalChannel)
		_, err := ps.Receive(ctx) // the subscription confirmation
		if err == nil {
			s.health(nil)
			wait = 100 * time.Millisecond
			s.notify() // events may have been announced while not subscribed
			for {
				var msg *redis.Message
				if msg, err = ps.ReceiveMessage(ctx); err != nil {
					break
				}
				if msg.Payload != s.id {
					s.notify()
				}
			}
		}
		ps.Close()
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

// PostgresSignal is a Signal over PostgreSQL LISTEN/NOTIFY, for a cluster without Redis: NOTIFY
// goes through the pool, LISTEN holds one connection of its own (a pooled one could be handed to
// a query). After a lost connection it reconnects and wakes the log once.
type PostgresSignal struct {
	signalBase
	dsn  string
	send func(ctx context.Context, payload string) error
}

// NewPostgresSignal listens on SignalChannel over a dedicated connection to dsn until ctx ends;
// notify sends a NOTIFY (through the store's pool).
func NewPostgresSignal(ctx context.Context, dsn string, notify func(ctx context.Context, payload string) error, poll time.Duration, log *slog.Logger) *PostgresSignal {
	s := &PostgresSignal{signalBase: newSignalBase("postgres", poll, log), dsn: dsn, send: notify}
	go s.listen(ctx)
	return s
}

// Send notifies SignalChannel with this process's id.
func (s *PostgresSignal) Send(ctx context.Context) error {
	if s.skip() {
		return errSignalDown
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := s.send(ctx, s.id)
	s.health(err)
	if err != nil {
		return fmt.Errorf("postgres notify: %w", err)
	}
	return nil
}

func (s *PostgresSignal) listen(ctx context.Context) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, func() { wait = 100 * time.Millisecond })
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

func (s *PostgresSignal) listenOnce(ctx context.Context, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, s.dsn)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+SignalChannel); err != nil {
		return err
	}
	connected()
	s.health(nil)
	s.notify() // announcements sent while not listening are lost: read the log now
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if n.Payload != s.id {
			s.notify()
		}
	}
}

// NotifyVia returns the NOTIFY function of a PostgresSignal over a store's pool.
func NotifyVia(exec func(ctx context.Context, q string, args ...any) error) func(ctx context.Context, payload string) error {
	return func(ctx context.Context, payload string) error {
		return exec(ctx, `SELECT pg_notify('`+SignalChannel+`', ?)`, payload)
	}
}
