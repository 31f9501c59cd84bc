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

	// ApplicationChanged: an application (办件) moved to a new step; Key is the application id,
	// Data an ApplicationStep. Appended by the applications feature when a status change is
	// recorded (from the upstream webhook or a submission); push and open sockets follow it.
	ApplicationChanged = "application.changed"

	// PersonChanged: a person's own data shown on the home screen (profile, follows, notices)
	// changed; Key is the identity subject, Data empty — or, for many people at once (a
	// campaign's batch of notices), Key empty and Data a People. Home-screen caches in every
	// replica drop those people's entries.
	PersonChanged = "person.changed"

	// ChatSession: a chat session held open by a connection on another replica has news; Key is
	// the session id, Data {"kind":"frames"} (new frames are stored: send them) or
	// {"kind":"attached","by":instance} (a connection on that instance took the session over).
	ChatSession = "chat.session"
)

// Application statuses, in the order an application usually passes them.
const (
	StatusSubmitted       = "submitted"        // 已提交 (stored here, perhaps not yet upstream)
	StatusAccepted        = "accepted"         // 已受理
	StatusNeedsSupplement = "needs_supplement" // 需补正: Detail says what is missing
	StatusReviewing       = "reviewing"        // 审核中
	StatusCompleted       = "completed"        // 已办结
	StatusRejected        = "rejected"         // 不予受理: Detail gives the reason
	StatusBenefitPaid     = "benefit_paid"     // 待遇已发放
	StatusSupplementFiled = "supplement_filed" // the person answered a 需补正 request
)

// ApplicationStep is the payload of ApplicationChanged: one step of one person's application.
// It carries no personal numbers; Person is the identity subject of the applicant.
type ApplicationStep struct {
	ApplicationID string    `json:"application_id"`
	Person        string    `json:"person"`     // identity subject (token "sub")
	GuideCode     string    `json:"guide_code"` // the guide the application belongs to
	GuideName     string    `json:"guide_name"`
	FormCode      string    `json:"form_code"`
	Seq           int       `json:"seq"`              // per-application sequence of the step (1, 2, …)
	Status        string    `json:"status"`           // one of the Status* constants
	Detail        string    `json:"detail,omitempty"` // what is missing, the reason, the amount paid …
	Office        string    `json:"office,omitempty"` // handling office
	At            time.Time `json:"at"`
}

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

// People is the Data of a PersonChanged event about several people at once.
type People struct {
	Subjects []string `json:"subjects"`
}
