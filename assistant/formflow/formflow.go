// Package formflow is the guided-form engine of the chat: a deterministic state machine over
// one published version of a form schema (content.Form). It asks one field at a time, skips
// fields whose conditions are false, reads every answer with the spoken-value parser
// (internal/spoken/answer) and validates it in Go, reads each value back for a yes or a no,
// offers what the signed-in person's profile already holds, reads back a summary, and submits
// only after the person confirms. Form sessions are stored, so a person can leave and come back
// on another device or after a restart, and always finish on the version they started with.
//
// Whoever proposes a command — the rule-based reader for the common phrasings, or a model
// through a forced tool call — Go checks it against the form and the session's state before
// applying it; an invalid proposal is refused and the question asked again.
package formflow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"shebao/content"
	"shebao/internal/beijing"
	"shebao/internal/db"
)

// Forms gives the form schemas: the published ones (to start a form) and any version that was
// ever published (to finish one on the version it started with).
type Forms interface {
	PublishedForms(ctx context.Context) ([]content.Form, error)
	FormVersion(ctx context.Context, code string, version int) (*content.Form, error)
}

// Guides gives a form's guide: its aliases (to recognise what a person wants to do), the help
// cited by explain, and the office hours said on handoff.
type Guides interface {
	Guide(ctx context.Context, code string) (content.Guide, error)
}

// ProfileValue is one value the signed-in person's profile holds: the value itself (submitted)
// and how it may be shown and said (masked where personal, e.g. 138****5678).
type ProfileValue struct {
	Value   string
	Display string
}

// Profiles gives the values of a person's profile by content.ProfileKeys key (name, id_number,
// phone). A key the profile does not hold is absent. The applications' person store implements
// it.
type Profiles interface {
	ProfileValues(ctx context.Context, subject string) (map[string]ProfileValue, error)
}

// Submission is a confirmed form: what the applications service receives.
type Submission struct {
	Form    string            // form code
	Version int               // the form version the session started with
	Values  map[string]string // field key → canonical value, for the fields that were asked
	Subject string            // the signed-in person
	Session string            // the form session id: the idempotency key of the submission
}

// Receipt is what a submission returns: the application's id and what happens next.
type Receipt struct {
	ApplicationID string
	NextStep      string // one or two short sentences, e.g. 10个工作日内审核，结果会通知您。
}

// Submitter submits confirmed forms as applications. The applications service implements it.
type Submitter interface {
	Submit(ctx context.Context, s Submission) (Receipt, error)
}

// Options configures an Engine. DB, Forms and Guides are required.
type Options struct {
	DB     *db.DB
	Forms  Forms
	Guides Guides
	// Profiles prefills fields from the signed-in person's profile; nil asks every field.
	Profiles Profiles
	// Submitter receives confirmed forms; nil keeps them confirmed but not submitted and says
	// so (the person is pointed to 12333).
	Submitter Submitter
	// Proposer turns free speech the rule-based reader does not understand into a command; nil
	// uses the reader alone.
	Proposer Proposer
	// Log receives structured logs; values are never logged.
	Log *slog.Logger
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// Engine runs form sessions. It is safe for concurrent use.
type Engine struct {
	opts  Options
	store *store
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	versions map[string]*content.Form // "code@version" → schema; versions never change
}

// New returns an Engine, running the form sessions' migrations on opts.DB.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.DB == nil || opts.Forms == nil || opts.Guides == nil {
		return nil, fmt.Errorf("formflow: DB, Forms and Guides are required")
	}
	if err := opts.DB.Migrate(ctx, "formflow", Migrations); err != nil {
		return nil, fmt.Errorf("formflow: %w", err)
	}
	e := &Engine{opts: opts, store: &store{db: opts.DB}, log: opts.Log, now: opts.Now, versions: map[string]*content.Form{}}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.log = e.log.With("component", "formflow")
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// today is the date answers are read against (Beijing time).
func (e *Engine) today() time.Time { return beijing.In(e.now()) }

// form returns a version of a form, from the cache when it was read before.
func (e *Engine) form(ctx context.Context, code string, version int) (*content.Form, error) {
	key := fmt.Sprintf("%s@%d", code, version)
	e.mu.Lock()
	f := e.versions[key]
	e.mu.Unlock()
	if f != nil {
		return f, nil
	}
	f, err := e.opts.Forms.FormVersion(ctx, code, version)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.versions[key] = f
	e.mu.Unlock()
	return f, nil
}
