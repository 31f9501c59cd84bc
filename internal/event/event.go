// Package event is the vocabulary through which features react to each other (publish →
// reindex, publish → alert followers, status change → push) without importing each other: the
// topics, the Event, the Handler and the Bus interface. The durable implementation is
// internal/eventlog: events are appended in the transaction of the change they report, and every
// subscriber — in this process and in every replica — reads them in order from its own position.
package event

import (
	"context"
	"encoding/json"
	"time"
)

// Topics of broadcast events.
const (
	GuidePublished   = "guide.published"
	GuideUnpublished = "guide.unpublished"
	FormPublished    = "form.published"
	FormUnpublished  = "form.unpublished"
	SynonymsChanged  = "search.synonyms_changed"
)

// Event is one fact that happened, e.g. a guide was published.
type Event struct {
	ID    int64           `json:"id"`    // position in the event log
	Topic string          `json:"topic"` // e.g. guide.published
	Key   string          `json:"key"`   // e.g. the guide code
	Data  json.RawMessage `json:"data"`  // topic-specific payload
	At    time.Time       `json:"at"`
}

// Handler reacts to one event. An error means "not handled": the event is handed over again
// later, so a handler must be idempotent.
type Handler func(ctx context.Context, e Event) error

// Bus delivers events to in-process subscribers (eventlog.Log is one).
type Bus interface {
	// Publish records e and hands it to the subscribers of its topic.
	Publish(ctx context.Context, e Event) error
	// Subscribe registers h for the events of topic published from now on.
	Subscribe(topic string, h Handler) (unsubscribe func())
}
