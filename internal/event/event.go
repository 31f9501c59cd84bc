// Package event is the small interface through which features react to each other (publish →
// reindex, publish → alert followers, status change → push) without importing each other. The
// default bus is in-process; a Redis or PostgreSQL LISTEN/NOTIFY bus between replicas implements
// the same interface.
package event

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Topics published by the content package.
const (
	GuidePublished   = "guide.published"
	GuideUnpublished = "guide.unpublished"
	FormPublished    = "form.published"
	FormUnpublished  = "form.unpublished"
	SynonymsChanged  = "search.synonyms_changed"
)

// Event is one fact that happened, e.g. a guide was published.
type Event struct {
	ID    int64           `json:"id"`    // position in the event log (internal/eventlog), else 0
	Topic string          `json:"topic"` // e.g. guide.published
	Key   string          `json:"key"`   // e.g. the guide code
	Data  json.RawMessage `json:"data"`  // topic-specific payload
	At    time.Time       `json:"at"`
}

// Handler reacts to one event. An error is logged by the bus; it does not stop other handlers.
type Handler func(ctx context.Context, e Event) error

// Bus delivers events to subscribers.
type Bus interface {
	Publish(ctx context.Context, e Event) error
	Subscribe(topic string, h Handler) (unsubscribe func())
}

// Local is the in-process bus: Publish calls every handler of the topic in turn before it
// returns, so that a caller that publishes after committing knows the reaction has happened.
type Local struct {
	log  *slog.Logger
	mu   sync.RWMutex
	next int
	subs map[string][]sub // per topic, in subscription order
}

type sub struct {
	id int
	h  Handler
}

// NewLocal returns an in-process bus that logs handler errors to log.
func NewLocal(log *slog.Logger) *Local {
	if log == nil {
		log = slog.Default()
	}
	return &Local{log: log, subs: map[string][]sub{}}
}

// Publish delivers e to the topic's handlers synchronously, in the order they subscribed.
func (b *Local) Publish(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	b.mu.RLock()
	hs := make([]Handler, 0, len(b.subs[e.Topic]))
	for _, s := range b.subs[e.Topic] {
		hs = append(hs, s.h)
	}
	b.mu.RUnlock()
	for _, h := range hs {
		if err := safeCall(ctx, h, e); err != nil {
			b.log.Error("event handler failed", "topic", e.Topic, "key", e.Key, "err", err)
		}
	}
	return nil
}

func safeCall(ctx context.Context, h Handler, e Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return h(ctx, e)
}

type panicError struct{ v any }

func (p *panicError) Error() string { return "handler panic: " + slog.AnyValue(p.v).String() }

// Subscribe registers h for topic and returns a function that removes it.
func (b *Local) Subscribe(topic string, h Handler) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.subs[topic] = append(b.subs[topic], sub{id, h})
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		subs := b.subs[topic]
		for i, s := range subs {
			if s.id == id {
				b.subs[topic] = append(subs[:i:i], subs[i+1:]...)
				return
			}
		}
	}
}
