package content

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/queue"
)

// timeFormat is how times are stored: fixed width UTC, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

// Actor is who performs an action: an editor, reviewer, publisher, admin or the system itself.
type Actor struct {
	ID    string   // stable subject
	Name  string   // display name
	Roles []string // identity roles: editor, reviewer, publisher, admin
	IP    string   // client address, for the audit log
}

// System is the actor for actions the server takes itself (seeding, scheduled publishing).
var System = Actor{ID: "system", Name: "系统", Roles: []string{"admin"}}

// Has reports whether the actor holds role (admin holds every role).
func (a Actor) Has(role string) bool {
	for _, r := range a.Roles {
		if r == role || r == "admin" {
			return true
		}
	}
	return false
}

// Published is a published guide ready to serve: the public view of the guide, its JSON and its
// validators, and the guide as its editors stored it.
type Published struct {
	Guide        Guide  // PublicView of Source: what the API, search and the assistant show
	JSON         []byte // the API body of GET /api/v1/guides/{code}
	ETag         string // strong validator of JSON
	LastModified time.Time
	Source       Guide // as stored, editors' 待核实 notes included (export, console)

	cities map[string]*Representation // the guide for each city with a variant
}

// Retired is a guide that was unpublished, with the reason and an optional replacement.
type Retired struct {
	Code        string
	Name        string
	Reason      string
	Replacement string
}

// snapshot is the immutable in-memory view of everything published, swapped atomically so that
// reads never take a lock or touch the database.
type snapshot struct {
	byCode  map[string]*Published
	list    []*Published // sorted by category order, then code
	retired map[string]Retired
}

// Service is the content store and editorial workflow.
type Service struct {
	db     *db.DB
	events *eventlog.Log
	jobs   *queue.Queue
	runner *queue.Worker // runs this service's jobs for RunDue
	log    *slog.Logger
	now    func() time.Time
	snap   atomic.Pointer[snapshot]

	swapMu sync.Mutex // serialises snapshot writers
}

// Options configure a Service.
type Options struct {
	DB *db.DB
	// Events is the event log the service appends to and keeps its snapshot current from; nil
	// opens one on DB (its own process-local consumers, no background poll).
	Events *eventlog.Log
	// Jobs is the queue scheduled publications go to; nil opens one on DB with Now as its clock.
	Jobs *queue.Queue
	Log  *slog.Logger
	Now  func() time.Time // for tests; default time.Now
}

// New migrates the content schema and loads the published snapshot, which it then keeps current
// from the event log (publishes made here are applied by Deliver after the commit; those made by
// other processes when the log's poll reads them).
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var err error
	if o.Events == nil {
		if o.Events, err = eventlog.Open(ctx, o.DB, eventlog.Options{Log: o.Log}); err != nil {
			return nil, err
		}
	}
	if o.Jobs == nil {
		if o.Jobs, err = queue.Open(ctx, o.DB, queue.Options{Now: o.Now}); err != nil {
			return nil, err
		}
	}
	s := &Service{db: o.DB, events: o.Events, jobs: o.Jobs, log: o.Log, now: o.Now}
	// The outbox migration moves rows into the event log, which must exist first.
	if err := eventlog.Migrate(ctx, o.DB); err != nil {
		return nil, err
	}
	if err := o.DB.Migrate(ctx, "content", Migrations); err != nil {
		return nil, err
	}
	if err := o.DB.Migrate(ctx, "people", PeopleMigrations); err != nil {
		return nil, err
	}
	// Subscribe before loading: the subscription starts at the log's head, and the snapshot
	// loaded after it reflects at least that head, so no publish falls in between (one that is
	// both loaded and handed over is applied twice, which is harmless).
	if _, err := s.events.Register(ctx, eventlog.Consumer{Name: "content.snapshot",
		Topics: []string{event.GuidePublished, event.GuideUnpublished}, Handle: s.onChange, Start: eventlog.FromHead}); err != nil {
		return nil, err
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	s.runner = s.jobs.NewWorker(queue.WorkerOptions{Name: "content", Log: o.Log})
	for kind, h := range s.JobHandlers() {
		s.runner.Handle(kind, h)
	}
	if err := s.ensureScheduledJobs(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Events returns the event log the service appends to, for other features to consume.
func (s *Service) Events() *eventlog.Log { return s.events }

// onChange updates the snapshot for the one guide an event names (copy on write).
func (s *Service) onChange(ctx context.Context, e event.Event) error {
	var ge GuideEvent
	if err := json.Unmarshal(e.Data, &ge); err != nil || ge.Code == "" {
		return s.reload(ctx)
	}
	pub, ret, err := s.loadOne(ctx, ge.Code)
	if err != nil {
		return err
	}
	s.swapMu.Lock()
	defer s.swapMu.Unlock()
	old := s.snap.Load()
	sn := &snapshot{byCode: make(map[string]*Published, len(old.byCode)+1), retired: make(map[string]Retired, len(old.retired))}
	for k, v := range old.byCode {
		sn.byCode[k] = v
	}
	for k, v := range old.retired {
		sn.retired[k] = v
	}
	delete(sn.byCode, ge.Code)
	delete(sn.retired, ge.Code)
	if pub != nil {
		sn.byCode[ge.Code] = pub
	}
	if ret != nil {
		sn.retired[ge.Code] = *ret
	}
	for _, p := range sn.byCode {
		sn.list = append(sn.list, p)
	}
	sortPublished(sn.list)
	s.snap.Store(sn)
	return nil
}

// LoadPublished reads the published version of code from the store (not the snapshot), for
// subscribers that react to a publish event and must see that publish whatever their order.
func (s *Service) LoadPublished(ctx context.Context, code string) (Guide, error) {
	p, _, err := s.loadOne(ctx, code)
	if err != nil {
		return Guide{}, err
	}
	if p == nil {
		return Guide{}, apperr.New(apperr.GuideNotFound, "")
	}
	return p.Guide, nil
}

// loadOne reads the serving state of one guide: published, retired, or neither.
func (s *Service) loadOne(ctx context.Context, code string) (*Published, *Retired, error) {
	var state, body, note, pubAt, pubUpd, reason, repl string
	var version int
	err := s.db.QueryRow(ctx, `SELECT g.state, v.body, v.version, v.change_note, v.published_at, g.public_updated_at, g.state_reason, g.replacement
		FROM documents g JOIN document_versions v ON v.kind = g.kind AND v.code = g.code AND v.version = g.published_version WHERE g.kind = 'guide' AND g.code = ?`, code).
		Scan(&state, &body, &version, &note, &pubAt, &pubUpd, &reason, &repl)
	if noRows(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load guide %s: %w", code, err)
	}
	var g Guide
	if err := json.Unmarshal([]byte(body), &g); err != nil {
		return nil, nil, fmt.Errorf("guide %s v%d: stored body: %w", code, version, err)
	}
	switch state {
	case "published":
		g.Status, g.Version, g.ChangeNote = StatusPublished, version, note
		g.UpdatedAt, g.PublicUpdatedAt = parseTime(pubAt), parseTime(pubUpd)
		p, err := newPublished(g)
		return p, nil, err
	case "unpublished":
		return nil, &Retired{Code: code, Name: g.Name, Reason: reason, Replacement: repl}, nil
	}
	return nil, nil, nil
}

func sortPublished(list []*Published) {
	order := map[Category]int{}
	for i, c := range Categories {
		order[c] = i
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].Guide, list[j].Guide
		if order[a.Category] != order[b.Category] {
			return order[a.Category] < order[b.Category]
		}
		return a.Code < b.Code
	})
}

// reload rebuilds the published snapshot from the store.
func (s *Service) reload(ctx context.Context) error {
	sn, err := s.loadSnapshot(ctx)
	if err != nil {
		return err
	}
	s.swapMu.Lock()
	s.snap.Store(sn)
	s.swapMu.Unlock()
	return nil
}

// LoadAllPublished reads every published guide from the store (not the snapshot), for an index
// rebuilt from the store: it reflects at least every event committed before the call.
func (s *Service) LoadAllPublished(ctx context.Context) ([]Guide, error) {
	sn, err := s.loadSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Guide, len(sn.list))
	for i, p := range sn.list {
		out[i] = p.Guide
	}
	return out, nil
}

// loadSnapshot reads the serving state of every guide from the store.
func (s *Service) loadSnapshot(ctx context.Context) (*snapshot, error) {
	rows, err := s.db.Query(ctx, `SELECT g.code, v.body, v.version, v.change_note, v.published_at, g.public_updated_at
		FROM documents g JOIN document_versions v ON v.kind = g.kind AND v.code = g.code AND v.version = g.published_version
		WHERE g.kind = 'guide' AND g.state = 'published'`)
	if err != nil {
		return nil, fmt.Errorf("load published guides: %w", err)
	}
	defer rows.Close()
	sn := &snapshot{byCode: map[string]*Published{}, retired: map[string]Retired{}}
	for rows.Next() {
		var code, body, note, pubAt, pubUpd string
		var version int
		if err := rows.Scan(&code, &body, &version, &note, &pubAt, &pubUpd); err != nil {
			return nil, err
		}
		var g Guide
		if err := json.Unmarshal([]byte(body), &g); err != nil {
			return nil, fmt.Errorf("guide %s v%d: stored body: %w", code, version, err)
		}
		g.Status, g.Version, g.ChangeNote = StatusPublished, version, note
		g.UpdatedAt, g.PublicUpdatedAt = parseTime(pubAt), parseTime(pubUpd)
		p, err := newPublished(g)
		if err != nil {
			return nil, err
		}
		sn.byCode[code] = p
		sn.list = append(sn.list, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rrows, err := s.db.Query(ctx, `SELECT g.code, g.state_reason, g.replacement, v.body FROM documents g
		JOIN document_versions v ON v.kind = g.kind AND v.code = g.code AND v.version = g.published_version WHERE g.kind = 'guide' AND g.state = 'unpublished'`)
	if err != nil {
		return nil, fmt.Errorf("load unpublished guides: %w", err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var r Retired
		var body string
		if err := rrows.Scan(&r.Code, &r.Reason, &r.Replacement, &body); err != nil {
			return nil, err
		}
		var g Guide
		_ = json.Unmarshal([]byte(body), &g)
		r.Name = g.Name
		sn.retired[r.Code] = r
	}
	if err := rrows.Err(); err != nil {
		return nil, err
	}
	sortPublished(sn.list)
	return sn, nil
}

// newPublished builds the serving form of a published guide from its stored version.
func newPublished(src Guide) (*Published, error) {
	g := PublicView(src)
	body, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	p := &Published{Guide: g, JSON: body, ETag: etagOf(body), Source: src,
		LastModified: g.UpdatedAt.UTC().Truncate(time.Second)}
	if err := p.buildCities(); err != nil {
		return nil, err
	}
	return p, nil
}

// etagOf is the strong validator of a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// PublishedGuides reads the published version of a guide by code, with a context: what the
// assistant and guided forms take as their guide source.
type PublishedGuides struct{ S *Service }

// Guide is the published guide code, or the error of Service.Guide.
func (g PublishedGuides) Guide(_ context.Context, code string) (Guide, error) {
	p, err := g.S.Guide(code)
	if err != nil {
		return Guide{}, err
	}
	return p.Guide, nil
}

// Guide returns the published version of code, or a guide_not_found / guide_unpublished error.
func (s *Service) Guide(code string) (*Published, error) {
	sn := s.snap.Load()
	if p, ok := sn.byCode[code]; ok {
		return p, nil
	}
	if r, ok := sn.retired[code]; ok {
		e := apperr.New(apperr.GuideUnpublished, "该办事指南已下线。")
		if r.Replacement != "" {
			e.Message = "该办事指南已下线，请查看替代事项。"
		}
		return nil, e.WithDetails(map[string]string{"code": r.Code, "reason": r.Reason, "replacement": r.Replacement})
	}
	return nil, apperr.New(apperr.GuideNotFound, "")
}

// Filter selects published guides.
type Filter struct {
	Category Category
	Audience Audience
	Region   string
}

// List returns the published guides matching f, in display order (category, then code).
func (s *Service) List(f Filter) []*Published {
	sn := s.snap.Load()
	out := make([]*Published, 0, len(sn.list))
	for _, p := range sn.list {
		g := &p.Guide
		if f.Category != "" && g.Category != f.Category {
			continue
		}
		if f.Region != "" && g.Region != f.Region && !hasCity(g, f.Region) {
			continue
		}
		if f.Audience != "" && !hasAudience(g, f.Audience) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func hasAudience(g *Guide, a Audience) bool {
	for _, x := range g.Audience {
		if x == a {
			return true
		}
	}
	return false
}

func hasCity(g *Guide, city string) bool {
	for _, v := range g.Variants {
		if v.City == city {
			return true
		}
	}
	return false
}

// CategoryCount is one category with its number of published guides.
type CategoryCount struct {
	Category Category `json:"category"`
	Name     string   `json:"name"`
	Count    int      `json:"count"`
}

// CategoryCounts returns every category with its count of published guides.
func (s *Service) CategoryCounts() []CategoryCount {
	n := map[Category]int{}
	for _, p := range s.snap.Load().list {
		n[p.Guide.Category]++
	}
	out := make([]CategoryCount, len(Categories))
	for i, c := range Categories {
		out[i] = CategoryCount{Category: c, Name: c.Name(), Count: n[c]}
	}
	return out
}

// PublishedGuides returns the public view of every published guide (for search rebuilds and
// evaluation).
func (s *Service) PublishedGuides() []Guide {
	return s.eachPublished(func(p *Published) Guide { return p.Guide })
}

// PublishedSources returns every published guide as its editors stored it, 待核实 notes
// included, so that an export imported elsewhere loses nothing.
func (s *Service) PublishedSources() []Guide {
	return s.eachPublished(func(p *Published) Guide { return p.Source })
}

// eachPublished returns one view of every guide of the current snapshot, in its order.
func (s *Service) eachPublished(view func(p *Published) Guide) []Guide {
	sn := s.snap.Load()
	out := make([]Guide, len(sn.list))
	for i, p := range sn.list {
		out[i] = view(p)
	}
	return out
}

// Count returns how many guides the store holds in any state.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM documents WHERE kind = 'guide'`).Scan(&n)
	return n, err
}

// audit appends one record to the audit log inside tx.
func audit(ctx context.Context, tx *db.Tx, at time.Time, a Actor, action, kind, code string, version int, detail string) error {
	if err := rememberPerson(ctx, tx, a, fmtTime(at)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action, kind, code, version, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		fmtTime(at), a.ID, action, kind, code, version, a.IP, detail)
	return err
}

// enqueue appends an event to the event log inside tx, the transaction of the change it reports.
func enqueue(ctx context.Context, tx *db.Tx, at time.Time, topic, key string, data any) error {
	return eventlog.AppendJSON(ctx, tx, at, topic, key, data)
}

// deliverAfterCommit hands the events a committed transaction appended to this process's
// consumers (the snapshot, the index) before the caller returns, so a publish is served and
// searchable when the request answers. A consumer that fails is retried by the log; the change
// itself is committed either way.
func (s *Service) deliverAfterCommit(ctx context.Context) {
	if err := s.events.Deliver(ctx); err != nil {
		s.log.Error("event delivery after commit; the log will retry", "err", err)
	}
}

func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
