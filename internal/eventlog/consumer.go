package eventlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"shebao/internal/event"
)

// FromHead as Consumer.Start begins a consumer that has no saved position at the head of the
// log: it sees only events appended after it registered.
const FromHead int64 = -1

// Position is where a consumer keeps how far it has read. Save is called after the events up to
// pos were handled, so a crash between handling and saving repeats events, never skips them.
type Position interface {
	// Load returns the saved position; ok is false when nothing was saved yet.
	Load(ctx context.Context) (pos int64, ok bool, err error)
	// Save records that every event up to pos was handled.
	Save(ctx context.Context, pos int64) error
}

// Consumer is one reader of the log with its own position.
type Consumer struct {
	// Name identifies the consumer in logs (and in event_consumers for a Stored position).
	Name string
	// Topics limits the events handed to Handle; empty means every topic.
	Topics []string
	// Handle reacts to one event; an error (or panic) stops the consumer at that event, which is
	// retried later. It must be idempotent, since an event may be handed over again after a crash.
	Handle event.Handler
	// Position keeps the consumer's place; nil keeps it in memory only.
	Position Position
	// Start is where a consumer without a saved position begins: FromHead, or a position (0 is
	// the beginning of the log).
	Start int64
	// Fast marks a consumer whose handler only hands events on in memory (the open progress
	// streams; not a cache whose refill reads what a slower consumer updates, such as the
	// home cache after the content snapshot): it is driven before the others in every drain, and
	// DeliverFast drives the fast consumers alone, so what the person sees never waits behind a
	// slower consumer's handler or catch-up (a notice written per step, thousands of events
	// after a restart) — which held the progress streams for seconds.
	Fast bool
}

type consumer struct {
	Consumer
	id     int
	topics map[string]bool

	mu      sync.Mutex // one drive at a time; held while handlers run
	pos     int64
	fails   int
	retryAt time.Time
	// unsaved counts events passed over (none of the consumer's topics) since its position was
	// last saved: saving after each delivery of another topic's event was a store write per
	// consumer per event, before the consumers registered later (the progress streams) got it.
	unsaved int
}

// maxUnsaved is how many events of other topics a consumer passes over before its position is
// saved anyway; after a restart it reads at most these again, and handles none of them.
const maxUnsaved = 1000

// Register adds a consumer to this process. Its events are handed over by Deliver and Run; call
// Deliver once after registering to catch up at once. The returned function removes it.
func (l *Log) Register(ctx context.Context, c Consumer) (func(), error) {
	if c.Handle == nil {
		return nil, errors.New("eventlog: consumer without a handler")
	}
	if c.Position == nil {
		c.Position = &memoryPosition{}
	}
	pos, ok, err := c.Position.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventlog: load position of %s: %w", c.Name, err)
	}
	if !ok {
		pos = c.Start
		if pos == FromHead {
			if pos, err = l.Head(ctx); err != nil {
				return nil, err
			}
		}
	}
	cs := &consumer{Consumer: c, pos: pos}
	if len(c.Topics) > 0 {
		cs.topics = map[string]bool{}
		for _, t := range c.Topics {
			cs.topics[t] = true
		}
	}
	l.mu.Lock()
	cs.id = l.nextID
	l.nextID++
	l.consumers = append(l.consumers, cs)
	l.mu.Unlock()
	return func() { l.remove(cs.id) }, nil
}

func (l *Log) remove(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, c := range l.consumers {
		if c.id == id {
			l.consumers = append(l.consumers[:i:i], l.consumers[i+1:]...)
			return
		}
	}
}

// Subscribe registers an in-process handler for one topic, starting at the head of the log, with
// its position in memory (event.Bus). A failing handler is retried like any consumer's.
func (l *Log) Subscribe(topic string, h event.Handler) func() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	un, err := l.Register(ctx, Consumer{Name: "subscriber:" + topic, Topics: []string{topic}, Handle: h, Start: FromHead})
	if err != nil {
		// The head could not be read: start at the beginning would replay history, so start
		// at the first event this process sees instead and say so.
		l.log.Error("eventlog: subscribe could not read the head; starting from the next delivery", "topic", topic, "err", err)
		un, _ = l.Register(ctx, Consumer{Name: "subscriber:" + topic, Topics: []string{topic}, Handle: h, Position: &lazyHead{l: l}})
	}
	return un
}

// readBatch is how many events one read of the log returns at most.
const readBatch = 100

// reads shares the reads of one drain among its consumers: consumers at the same position (most
// of them, after the last drain) are handed the same batch, so a drain that finds one new event
// reads the log once, not once or twice per consumer (a round trip each on PostgreSQL, before
// the progress streams registered last got the event). A batch shorter than readBatch was the
// whole log after its position when read: the consumer is at the head, and an event committed
// since is delivered by its own Deliver or the next poll (appends become visible in order).
type reads map[int64][]event.Event

func (r reads) after(ctx context.Context, l *Log, pos int64) ([]event.Event, error) {
	if evs, ok := r[pos]; ok {
		return evs, nil
	}
	evs, err := l.Read(ctx, pos, readBatch)
	if err != nil {
		return nil, err
	}
	r[pos] = evs
	return evs, nil
}

// drive hands consumer c the events after its position until the head, saving the position as
// it goes. When polling, a consumer in backoff after a failure is left for a later poll.
func (l *Log) drive(ctx context.Context, c *consumer, polling bool, r reads) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if polling && time.Now().Before(c.retryAt) {
		return nil
	}
	if lh, ok := c.Position.(*lazyHead); ok && !lh.set {
		h, err := l.Head(ctx)
		if err != nil {
			return err
		}
		lh.set, c.pos = true, h
	}
	for {
		evs, err := r.after(ctx, l, c.pos)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		saved, handled := c.pos, false
		for _, e := range evs {
			if c.topics == nil || c.topics[e.Topic] {
				handled = true
				if err := safeCall(ctx, c.Handle, e); err != nil {
					c.fails++
					c.retryAt = time.Now().Add(backoff(c.fails, l.opts.MaxBackoff))
					if c.pos != saved {
						_ = c.Position.Save(ctx, c.pos)
					}
					l.log.Error("event handler failed; will retry", "consumer", c.Name, "event", e.ID,
						"topic", e.Topic, "key", e.Key, "attempt", c.fails, "err", err)
					return fmt.Errorf("eventlog: %s at event %d: %w", c.Name, e.ID, err)
				}
				c.fails, c.retryAt = 0, time.Time{}
			}
			c.pos = e.ID
		}
		if c.unsaved += len(evs); handled || c.unsaved >= maxUnsaved {
			if err := c.Position.Save(ctx, c.pos); err != nil {
				return fmt.Errorf("eventlog: save position of %s: %w", c.Name, err)
			}
			c.unsaved = 0
		}
		if len(evs) < readBatch {
			return nil
		}
	}
}

// backoff is how long a consumer whose handler failed n times in a row waits before the poll
// retries it: 100 ms doubling, capped.
func backoff(n int, max time.Duration) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

func safeCall(ctx context.Context, h event.Handler, e event.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %s", slog.AnyValue(r).String())
		}
	}()
	return h(ctx, e)
}

// memoryPosition keeps a position for the life of the process: for state rebuilt at every start.
type memoryPosition struct{}

func (*memoryPosition) Load(context.Context) (int64, bool, error) { return 0, false, nil }
func (*memoryPosition) Save(context.Context, int64) error         { return nil }

// lazyHead starts a consumer at the head read at its first drive (when the head could not be read
// at registration).
type lazyHead struct {
	memoryPosition
	l   *Log
	set bool
}

// Stored returns a position kept in the event_consumers table under name: for durable consumers
// whose state lives in the same store.
func (l *Log) Stored(name string) Position { return &storedPosition{l: l, name: name} }

type storedPosition struct {
	l    *Log
	name string
}

func (p *storedPosition) Load(ctx context.Context) (int64, bool, error) {
	var pos int64
	err := p.l.db.QueryRow(ctx, `SELECT position FROM event_consumers WHERE name = ?`, p.name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return pos, err == nil, err
}

func (p *storedPosition) Save(ctx context.Context, pos int64) error {
	_, err := p.l.db.Exec(ctx, `INSERT INTO event_consumers (name, position, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
		p.name, pos, time.Now().UTC().Format(timeFormat))
	return err
}
