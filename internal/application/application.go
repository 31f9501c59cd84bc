// Package application keeps a person's applications (办件): what they submitted, through which
// form version, and every step the 经办 system reported back, in the upstream's sequence order.
// Submissions reach the 经办 system through a queue job (so a submission made while it is down is
// sent, once, when it is back); status changes come back as signed webhooks (Ingest), and every
// step appends one event.ApplicationChanged to the event log in the same transaction.
package application

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/beijing"
	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/guideuse"
	"shebao/internal/person"
	"shebao/internal/queue"
)

// Application is one 办件 as the person sees it.
type Application struct {
	ID          string     `json:"id"`
	Person      string     `json:"-"`
	FormCode    string     `json:"form_code"`
	FormVersion int        `json:"form_version"`
	GuideCode   string     `json:"guide_code"`
	GuideName   string     `json:"guide_name"`
	Title       string     `json:"title"`
	Status      string     `json:"status"`      // one of the event.Status* constants
	StatusText  string     `json:"status_text"` // 已提交, 已受理, …
	Detail      string     `json:"detail,omitempty"`
	Office      string     `json:"office,omitempty"`
	Delivery    string     `json:"delivery"` // queued (not yet with the 经办 system) or sent
	Notice      string     `json:"notice,omitempty"`
	NextAction  string     `json:"next_action,omitempty"` // what the person should do now
	SentAt      *time.Time `json:"sent_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Steps       []Step     `json:"steps,omitempty"` // the timeline, in sequence order (detail only)

	lastSeq int
}

// Step is one entry of an application's timeline.
type Step struct {
	Seq        int       `json:"seq"`
	Status     string    `json:"status"`
	StatusText string    `json:"status_text"`
	Detail     string    `json:"detail,omitempty"`
	Office     string    `json:"office,omitempty"`
	At         time.Time `json:"at"`
}

var statusTexts = map[string]string{
	event.StatusSubmitted:       "已提交",
	event.StatusAccepted:        "已受理",
	event.StatusNeedsSupplement: "需补正",
	event.StatusReviewing:       "审核中",
	event.StatusCompleted:       "已办结",
	event.StatusRejected:        "不予受理",
	event.StatusBenefitPaid:     "待遇已发放",
	event.StatusSupplementFiled: "已补正",
}

// StatusText is the Chinese name of a status, or "" for an unknown one.
func StatusText(s string) string { return statusTexts[s] }

// Finished reports whether an application in status s needs nothing more.
func Finished(s string) bool {
	return s == event.StatusCompleted || s == event.StatusRejected || s == event.StatusBenefitPaid
}

// Notices shown with a submission's delivery state.
const (
	noticeQueued = "申请已保存，正在转交经办机构。如经办系统暂时无法连接，恢复后会自动提交，无需重复申请。"
	noticeSent   = "申请已转交经办机构，办理进度会在这里更新。"
)

func (a *Application) decorate() {
	a.StatusText = StatusText(a.Status)
	if a.SentAt == nil {
		a.Delivery, a.Notice = "queued", noticeQueued
	} else {
		a.Delivery, a.Notice = "sent", ""
	}
	a.NextAction = nextAction(a.Status)
}

func nextAction(status string) string {
	switch status {
	case event.StatusSubmitted, event.StatusSupplementFiled:
		return "请等待经办机构受理，无需重复提交。"
	case event.StatusAccepted, event.StatusReviewing:
		return "经办机构正在办理，请留意办理进度通知。"
	case event.StatusNeedsSupplement:
		return "请按要求补正材料后提交补正。"
	case event.StatusRejected:
		return "如对结果有疑问，可拨打12333咨询；符合条件后可重新申请。"
	case event.StatusCompleted, event.StatusBenefitPaid:
		return "已办结，无需其他操作。"
	}
	return ""
}

// Forms gives the published form versions and guide names submissions need (content.Service).
type Forms interface {
	FormVersion(ctx context.Context, code string, version int) (*content.Form, error)
}

// GuideNames returns a guide's name and its 受理条件 (for the simulator's refusals).
type GuideNames func(code string) (name string, conditions []string)

// Options configure a Service.
type Options struct {
	DB       *db.DB
	Events   *eventlog.Log
	Jobs     *queue.Queue
	People   *person.Store
	Forms    Forms
	Guides   GuideNames
	Upstream Upstream // where submissions go; set later with SetUpstream when it needs the Service
	// Wake, when set, is called after a job was enqueued so a worker picks it up at once.
	Wake func()
	Log  *slog.Logger
	Now  func() time.Time
}

// Service is the applications feature.
type Service struct {
	db       *db.DB
	events   *eventlog.Log
	jobs     *queue.Queue
	people   *person.Store
	forms    Forms
	guides   GuideNames
	upstream Upstream
	wake     func()
	log      *slog.Logger
	now      func() time.Time

	pending, delivering atomic.Bool // afterCommit's delivery state

	popMu   sync.Mutex
	popular []string
	popAt   time.Time
}

// Open migrates the application tables and returns the Service.
func Open(ctx context.Context, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	if o.Guides == nil {
		o.Guides = func(string) (string, []string) { return "", nil }
	}
	if err := o.DB.Migrate(ctx, "application", Migrations); err != nil {
		return nil, err
	}
	// The home screen's one query (Home) reads the guide use counts too.
	if err := o.DB.Migrate(ctx, "guideuse", guideuse.Migrations); err != nil {
		return nil, err
	}
	return &Service{db: o.DB, events: o.Events, jobs: o.Jobs, people: o.People, forms: o.Forms, guides: o.Guides,
		upstream: o.Upstream, wake: o.Wake, log: o.Log, now: o.Now}, nil
}

// SetUpstream sets the 经办 link (the simulator needs the Service's store, so it comes after Open).
func (s *Service) SetUpstream(u Upstream) { s.upstream = u }

// SetWake sets the function that wakes the queue worker after an enqueue.
func (s *Service) SetWake(w func()) { s.wake = w }

// newID is an unguessable application id: 80 random bits, base32 (16 characters), prefixed.
func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "ap" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// keyedID is the id of the application a person's idempotency key makes: as unguessable as the
// key, and the same on a retry.
func keyedID(subject, key string) string {
	sum := sha256.Sum256([]byte("shebao-application\x00" + subject + "\x00" + key))
	return "ap" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// validID reports whether id could be one of ours, so malformed ids never reach the store.
func validID(id string) bool {
	if len(id) != 18 || !strings.HasPrefix(id, "ap") {
		return false
	}
	for _, c := range id[2:] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Submission is what a person sends: a form code, the version they filled in and the values.
type Submission struct {
	FormCode    string            `json:"form_code"`
	FormVersion int               `json:"form_version"`
	Values      map[string]string `json:"values"`
	// Key, when set, makes the submission idempotent: the same person submitting with the same
	// key again gets the application the first one made (a guided form's session id).
	Key string `json:"-"`
}

// Submit validates a submission against its form version, stores it as 已提交 and enqueues its
// delivery to the 经办 system. The answer is immediate: delivery happens in the background.
func (s *Service) Submit(ctx context.Context, subject string, sub Submission) (Application, error) {
	if sub.FormCode == "" || sub.FormVersion <= 0 {
		return Application{}, apperr.New(apperr.InvalidParameter, "请提供表单编码（form_code）和版本（form_version）。")
	}
	if len(sub.Values) > 200 {
		return Application{}, apperr.New(apperr.FormValuesInvalid, "申请表的字段过多。")
	}
	f, err := s.forms.FormVersion(ctx, sub.FormCode, sub.FormVersion)
	if err != nil {
		return Application{}, err
	}
	values, err := content.CheckValues(f, sub.Values, beijing.In(s.now()))
	if err != nil {
		return Application{}, err
	}
	raw, _ := json.Marshal(values)
	sealed, err := s.people.Sealer().SealString(string(raw))
	if err != nil {
		return Application{}, err
	}
	guideName, _ := s.guides(f.Guide)
	if guideName == "" {
		guideName = f.Title
	}
	now := s.now()
	id := newID()
	if sub.Key != "" {
		id = keyedID(subject, sub.Key)
		if prev, err := s.Get(ctx, subject, id); err == nil {
			return prev, nil
		}
	}
	a := Application{ID: id, Person: subject, FormCode: f.Code, FormVersion: sub.FormVersion, GuideCode: f.Guide,
		GuideName: guideName, Title: f.Title, Status: event.StatusSubmitted, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), lastSeq: 1}
	st := Step{Seq: 1, Status: event.StatusSubmitted, At: now.UTC()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO applications (id, person, form_code, form_version, guide_code, guide_name, title, status, values_cipher, last_seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, a.ID, subject, a.FormCode, a.FormVersion, a.GuideCode, a.GuideName, a.Title, a.Status, sealed,
			now.UnixMicro(), now.UnixMicro()); err != nil {
			return fmt.Errorf("application: insert: %w", err)
		}
		if err := insertStep(ctx, tx, a.ID, st); err != nil {
			return err
		}
		if err := s.appendChange(ctx, tx, a, st); err != nil {
			return err
		}
		payload, _ := json.Marshal(jobPayload{ID: a.ID})
		_, err := s.jobs.Enqueue(ctx, tx, queue.Job{Kind: JobSubmit, Key: JobSubmit + ":" + a.ID, Payload: payload, MaxAttempts: deliveryAttempts})
		return err
	})
	if err != nil {
		if sub.Key != "" { // a concurrent retry with the same key won the insert
			if prev, gerr := s.Get(ctx, subject, id); gerr == nil {
				return prev, nil
			}
		}
		return Application{}, err
	}
	s.afterCommit(ctx)
	a.decorate()
	a.Steps = []Step{{Seq: 1, Status: st.Status, StatusText: StatusText(st.Status), At: st.At}}
	return a, nil
}

// deliveryAttempts bounds the tries of one delivery: with the queue's backoff (capped at ten
// minutes) that is about a week of the 经办 system being down before an operator must look.
const deliveryAttempts = 1000

// The job kinds of the applications feature.
const (
	JobSubmit     = "application.submit"
	JobSupplement = "application.supplement"
)

type jobPayload struct {
	ID   string `json:"id"`
	Seq  int    `json:"seq,omitempty"`
	Note string `json:"note,omitempty"`
}

// afterCommit wakes the queue worker and hands the new events to the log's consumers: to the
// fast ones (the open progress streams) in the request, so that a step reaches the person's
// screen however far behind a slower consumer is; to all of them beside the request, not in it
// (a notice written per step halved the webhook ingest rate), with at most one such delivery at
// a time: kicks that arrive while one runs are folded into one more.
func (s *Service) afterCommit(ctx context.Context) {
	s.wake()
	if s.events == nil {
		return
	}
	if err := s.events.DeliverFast(ctx); err != nil {
		s.log.Debug("application: deliver events to the progress streams", "err", err)
	}
	s.pending.Store(true)
	if !s.delivering.CompareAndSwap(false, true) {
		return
	}
	go func() {
		for {
			for s.pending.Swap(false) {
				if err := s.events.Deliver(context.Background()); err != nil {
					s.log.Debug("application: deliver events", "err", err)
				}
			}
			s.delivering.Store(false)
			// A kick between the last Swap and the Store would otherwise wait for the next one.
			if !s.pending.Load() || !s.delivering.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// appendChange appends the ApplicationChanged event of step st inside tx.
func (s *Service) appendChange(ctx context.Context, tx *db.Tx, a Application, st Step) error {
	if s.events == nil {
		return nil
	}
	return eventlog.AppendJSON(ctx, tx, st.At, event.ApplicationChanged, a.ID, event.ApplicationStep{
		ApplicationID: a.ID, Person: a.Person, GuideCode: a.GuideCode, GuideName: a.GuideName, FormCode: a.FormCode,
		Seq: st.Seq, Status: st.Status, Detail: st.Detail, Office: st.Office, At: st.At})
}

// Get returns one of person's applications with its timeline.
func (s *Service) Get(ctx context.Context, subject, id string) (Application, error) {
	a, err := s.get(ctx, subject, id)
	if err != nil {
		return a, err
	}
	a.Steps, err = s.steps(ctx, id)
	return a, err
}

// SupplementRequest answers a 需补正 request.
type SupplementRequest struct {
	Note string `json:"note"` // what the person supplied, in their words (materials are handed in as the office says)
}

// Supplement records the person's answer to a 需补正 request and sends it upstream.
func (s *Service) Supplement(ctx context.Context, subject, id string, r SupplementRequest) (Application, error) {
	note := strings.TrimSpace(r.Note)
	if n := len([]rune(note)); n == 0 || n > 1000 {
		return Application{}, apperr.New(apperr.InvalidParameter, "请说明补正的内容（1到1000字）。")
	}
	var a Application
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if a, err = s.lockApp(ctx, tx, subject, id); err != nil {
			return err
		}
		if a.Status != event.StatusNeedsSupplement {
			return apperr.New(apperr.SupplementNotRequested, "")
		}
		st := Step{Seq: a.lastSeq + 1, Status: event.StatusSupplementFiled, Detail: "已提交补正：" + truncate(note, 100), At: s.now().UTC()}
		if err := s.advance(ctx, tx, &a, st, 0); err != nil {
			return err
		}
		payload, _ := json.Marshal(jobPayload{ID: a.ID, Seq: st.Seq, Note: note})
		_, err = s.jobs.Enqueue(ctx, tx, queue.Job{Kind: JobSupplement, Key: fmt.Sprintf("%s:%s:%d", JobSupplement, a.ID, st.Seq), Payload: payload, MaxAttempts: deliveryAttempts})
		return err
	})
	if err != nil {
		return Application{}, err
	}
	s.afterCommit(ctx)
	return s.Get(ctx, subject, id)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// lockApp reads an application for update inside tx (person "" = any person, for webhooks).
func (s *Service) lockApp(ctx context.Context, tx *db.Tx, subject, id string) (Application, error) {
	if !validID(id) {
		return Application{}, apperr.New(apperr.ApplicationNotFound, "")
	}
	q := `SELECT ` + appColumns + ` FROM applications WHERE id = ?`
	args := []any{id}
	if subject != "" {
		q += ` AND person = ?`
		args = append(args, subject)
	}
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	a, err := scanApp(tx.QueryRowPrepared(ctx, q, args...)) // one of four texts
	if err != nil {
		if isNoRows(err) {
			return a, apperr.New(apperr.ApplicationNotFound, "")
		}
		return a, fmt.Errorf("application: lock: %w", err)
	}
	return a, nil
}

// advance records step st of a inside tx: the timeline row, the new status, the upstream
// sequence it came with (0 for a local step) and the event.
func (s *Service) advance(ctx context.Context, tx *db.Tx, a *Application, st Step, useq int) error {
	if err := insertStep(ctx, tx, a.ID, st); err != nil {
		return err
	}
	set := `status = ?, detail = ?, office = CASE WHEN ? = '' THEN office ELSE ? END, last_seq = ?, updated_at = ?`
	args := []any{st.Status, st.Detail, st.Office, st.Office, st.Seq, st.At.UnixMicro()}
	if useq > 0 {
		set += `, upstream_seq = ?`
		args = append(args, useq)
	}
	if _, err := tx.ExecPrepared(ctx, `UPDATE applications SET `+set+` WHERE id = ?`, append(args, a.ID)...); err != nil { // one of two texts
		return fmt.Errorf("application: advance: %w", err)
	}
	a.Status, a.Detail, a.lastSeq, a.UpdatedAt = st.Status, st.Detail, st.Seq, st.At
	if st.Office != "" {
		a.Office = st.Office
	}
	return s.appendChange(ctx, tx, *a, st)
}

// JobHandlers are the queue handlers of the feature: delivery of submissions and supplements.
func (s *Service) JobHandlers() map[string]queue.Handler {
	return map[string]queue.Handler{JobSubmit: s.deliverSubmission, JobSupplement: s.deliverSupplement}
}

func (s *Service) deliverSubmission(ctx context.Context, j queue.Job) error {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return queue.Permanent(err)
	}
	var a Application
	var sealed string
	row := s.db.QueryRow(ctx, `SELECT `+appColumns+`, values_cipher FROM applications WHERE id = ?`, p.ID)
	var sent, created, updated int64
	err := row.Scan(&a.ID, &a.Person, &a.FormCode, &a.FormVersion, &a.GuideCode, &a.GuideName, &a.Title, &a.Status, &a.Detail, &a.Office,
		&a.lastSeq, &sent, &created, &updated, &sealed)
	if err != nil {
		return fmt.Errorf("application: load %s for delivery: %w", p.ID, err)
	}
	if sent > 0 {
		return nil // delivered before a crash lost the job's completion
	}
	raw, err := s.people.Sealer().OpenString(sealed)
	if err != nil {
		return queue.Permanent(err)
	}
	var values map[string]string
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return queue.Permanent(err)
	}
	prof, err := s.people.Profile(ctx, a.Person, "")
	if err != nil {
		return err
	}
	idn, phone, err := s.people.Clear(ctx, a.Person)
	if err != nil {
		return err
	}
	if s.upstream == nil {
		return errors.New("application: no upstream configured")
	}
	err = s.upstream.Submit(ctx, Outgoing{ApplicationID: a.ID, FormCode: a.FormCode, FormVersion: a.FormVersion, GuideCode: a.GuideCode,
		Values: values, Applicant: Applicant{Subject: a.Person, Name: prof.Name, IDNumber: idn, Phone: phone}})
	if err != nil {
		// The error text may come from the far side; it is logged by the queue without values.
		return fmt.Errorf("submit %s upstream: %w", a.ID, err)
	}
	_, err = s.db.Exec(ctx, `UPDATE applications SET sent_at = ? WHERE id = ? AND sent_at = 0`, s.now().UnixMicro(), a.ID)
	return err
}

func (s *Service) deliverSupplement(ctx context.Context, j queue.Job) error {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return queue.Permanent(err)
	}
	if s.upstream == nil {
		return errors.New("application: no upstream configured")
	}
	return s.upstream.Supplement(ctx, p.ID, p.Seq, p.Note)
}

// InProgress lists up to n of person's unfinished applications with their last step, newest first.
func (s *Service) InProgress(ctx context.Context, subject string, n int) ([]Application, error) {
	as, _, err := s.List(ctx, subject, ListFilter{InProgress: true, Limit: n})
	return as, err
}

// Latest returns person's newest application whose guide name or form title contains one of
// words (any application when words is empty), with its timeline; ok is false when there is none.
func (s *Service) Latest(ctx context.Context, subject string, words []string) (Application, bool, error) {
	as, _, err := s.List(ctx, subject, ListFilter{Limit: 100})
	if err != nil {
		return Application{}, false, err
	}
	for _, a := range as {
		if len(words) == 0 || containsAny(a.GuideName+a.Title, words) {
			full, err := s.Get(ctx, subject, a.ID)
			return full, err == nil, err
		}
	}
	return Application{}, false, nil
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// PopularGuides returns the codes of the guides most applied for by everyone, recomputed at
// most every five minutes (a count over every application is not a per-request query).
func (s *Service) PopularGuides(ctx context.Context, n int) ([]string, error) {
	s.popMu.Lock()
	defer s.popMu.Unlock()
	if s.popular != nil && s.now().Sub(s.popAt) < 5*time.Minute {
		return s.popular[:min(n, len(s.popular))], nil
	}
	rows, err := s.db.Query(ctx, `SELECT guide_code FROM applications GROUP BY guide_code ORDER BY count(*) DESC, guide_code LIMIT 20`)
	if err != nil {
		return nil, fmt.Errorf("application: popular guides: %w", err)
	}
	out, err := db.Column[string](rows)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{} // cached too: no applications yet is an answer
	}
	s.popular, s.popAt = out, s.now()
	return out[:min(n, len(out))], nil
}
