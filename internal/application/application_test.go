package application

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/guideuse"
	"shebao/internal/person"
	"shebao/internal/queue"
	"shebao/internal/testutil"
	"shebao/notify"
)

// clock is a settable time for the queue's backoff and the services.
type clock = testutil.Clock

func newClock() *clock { return testutil.NewClock(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)) }

// must panics on err: the test fails with the stack of the failing call.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// stack is one process's view of the store: what a server restart builds anew.
type stack struct {
	svc    *Service
	people *person.Store
	log    *eventlog.Log
	jobs   *queue.Queue
	worker *queue.Worker
}

func cardLossForm(t *testing.T) *content.Form {
	t.Helper()
	for _, f := range must(content.LoadSeedBundle(content.SeedFS())).Forms {
		if f.Code == "F-SBK-003" {
			f.Version = 1
			return &f
		}
	}
	t.Fatal("no card loss form")
	return nil
}

// formsOf serves one form version, like content.Service.FormVersion.
type formsOf struct{ f *content.Form }

func (fo formsOf) FormVersion(_ context.Context, code string, v int) (*content.Form, error) {
	if code == fo.f.Code && v == 1 {
		return fo.f, nil
	}
	return nil, apperr.New(apperr.FormNotFound, "")
}

func guides(code string) (string, []string) {
	return "社会保障卡挂失与解挂", []string{"社会保障卡遗失、被盗的持卡人本人；未满16周岁的由监护人办理。"}
}

func newStack(t *testing.T, d *db.DB, c *clock, up Upstream) *stack {
	t.Helper()
	ctx := context.Background()
	st := &stack{}
	st.log = must(eventlog.Open(ctx, d, eventlog.Options{}))
	st.jobs = must(queue.Open(ctx, d, queue.Options{Now: c.Now, BaseBackoff: time.Second, MaxBackoff: time.Minute}))
	st.people = must(person.Open(ctx, person.Options{DB: d, Now: c.Now}))
	st.svc = must(Open(ctx, Options{DB: d, Events: st.log, Jobs: st.jobs, People: st.people, Forms: formsOf{cardLossForm(t)},
		Guides: guides, Upstream: up, Now: c.Now}))
	st.worker = st.jobs.NewWorker(queue.WorkerOptions{Name: "test"})
	for k, h := range st.svc.JobHandlers() {
		st.worker.Handle(k, h)
	}
	return st
}

var goodValues = map[string]string{"name": "王小明", "id_number": "11010519491231002X", "loss": "lost", "phone": "13812345678"}

func submit(t *testing.T, st *stack, who string) Application {
	t.Helper()
	return must(st.svc.Submit(context.Background(), who, Submission{FormCode: "F-SBK-003", FormVersion: 1, Values: goodValues}))
}

func TestOnlyTheOwnerSeesAnApplication(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		st := newStack(t, d, c, nil)
		ctx := context.Background()
		a := submit(t, st, "alice")
		c.Add(time.Second)
		if a.Status != event.StatusSubmitted || a.Delivery != "queued" || a.Notice == "" || !validID(a.ID) {
			t.Fatalf("submitted = %+v", a)
		}
		b := submit(t, st, "alice")
		if a.ID == b.ID || a.ID[:8] == b.ID[:8] {
			t.Fatalf("ids look sequential: %s %s", a.ID, b.ID)
		}
		for _, id := range []string{a.ID, "ap" + "aaaaaaaaaaaaaaaa", "1", "../x", ""} {
			_, err := st.svc.Get(ctx, "bob", id)
			if e, ok := apperr.As(err); !ok || e.Code != "application_not_found" || e.Status != 404 {
				t.Fatalf("bob reading %q: %v", id, err)
			}
		}
		got := must(st.svc.Get(ctx, "alice", a.ID))
		if len(got.Steps) != 1 || got.Steps[0].StatusText != "已提交" || got.GuideCode != "SX-SBK-003" {
			t.Fatalf("detail = %+v", got)
		}
		list, _ := must2(st.svc.List(ctx, "alice", ListFilter{}))
		if len(list) != 2 || list[0].ID != b.ID {
			t.Fatalf("list not newest first: %+v", list)
		}
		if l, _ := must2(st.svc.List(ctx, "bob", ListFilter{})); len(l) != 0 {
			t.Fatalf("bob lists %d", len(l))
		}
		if _, _, err := st.svc.List(ctx, "alice", ListFilter{Status: "nonsense"}); err == nil {
			t.Fatal("unknown status filter accepted")
		}
	})
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

func TestSubmitValidatesAgainstTheFormVersion(t *testing.T) {
	st := newStack(t, dbtest.SQLite(t), newClock(), nil)
	ctx := context.Background()
	for name, sub := range map[string]Submission{
		"unknown version": {FormCode: "F-SBK-003", FormVersion: 2, Values: goodValues},
		"no code":         {FormVersion: 1, Values: goodValues},
		"bad value":       {FormCode: "F-SBK-003", FormVersion: 1, Values: map[string]string{"loss": "lost"}},
	} {
		if _, err := st.svc.Submit(ctx, "alice", sub); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
	if l, _ := must2(st.svc.List(ctx, "alice", ListFilter{})); len(l) != 0 {
		t.Fatalf("a refused submission was stored: %+v", l)
	}
}

func step(id string, seq int, status string) UpstreamEvent {
	return UpstreamEvent{EventID: id + "-" + status, ApplicationID: id, Seq: seq, Status: status, Office: "西安市社会保险经办中心",
		At: time.Date(2026, 12, 7, 3, seq, 0, 0, time.UTC)}
}

func TestOutOfOrderWebhooksWaitForTheGap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		st := newStack(t, d, newClock(), nil)
		ctx := context.Background()
		a := submit(t, st, "alice")
		ingest := func(e UpstreamEvent, want string) {
			t.Helper()
			got, err := st.svc.Ingest(ctx, e)
			if err != nil || got != want {
				t.Fatalf("ingest %s #%d = %q %v, want %q", e.Status, e.Seq, got, err, want)
			}
		}
		ingest(step(a.ID, 3, event.StatusCompleted), Waiting)
		ingest(step(a.ID, 2, event.StatusReviewing), Waiting)
		if got := must(st.svc.Get(ctx, "alice", a.ID)); got.Status != event.StatusSubmitted || len(got.Steps) != 1 {
			t.Fatalf("a gap was skipped: %+v", got)
		}
		ingest(step(a.ID, 1, event.StatusAccepted), Applied)
		got := must(st.svc.Get(ctx, "alice", a.ID))
		var order []string
		for _, s := range got.Steps {
			order = append(order, s.Status)
		}
		if len(order) != 4 || order[1] != event.StatusAccepted || order[3] != event.StatusCompleted || got.Status != event.StatusCompleted {
			t.Fatalf("timeline = %v", order)
		}
		if got.Delivery != "sent" {
			t.Fatalf("upstream events did not mark the application sent: %+v", got)
		}
		// Replays change nothing, whether by event id or by sequence number.
		ingest(step(a.ID, 2, event.StatusReviewing), Duplicate)
		e := step(a.ID, 2, event.StatusRejected)
		ingest(e, Duplicate)
		if n := testutil.CountEvents(t, st.log, event.ApplicationChanged, a.ID); n != 4 {
			t.Fatalf("%d events for 4 steps", n)
		}
		if _, err := st.svc.Ingest(ctx, step("apaaaaaaaaaaaaaaaa", 1, event.StatusAccepted)); !apperr.Is(err, apperr.ApplicationNotFound) {
			t.Fatalf("unknown application: %v", err)
		}
		if _, err := st.svc.Ingest(ctx, UpstreamEvent{EventID: "x", ApplicationID: a.ID, Seq: 4, Status: "teleported", At: time.Now()}); !apperr.Is(err, apperr.WebhookInvalid) {
			t.Fatalf("unknown status: %v", err)
		}
	})
}

func TestSupplement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		st := newStack(t, d, newClock(), nil)
		ctx := context.Background()
		a := submit(t, st, "alice")
		if _, err := st.svc.Supplement(ctx, "alice", a.ID, SupplementRequest{Note: "已补充"}); !apperr.Is(err, apperr.SupplementNotRequested) {
			t.Fatalf("supplement before it was asked: %v", err)
		}
		must(st.svc.Ingest(ctx, step(a.ID, 1, event.StatusNeedsSupplement)))
		if _, err := st.svc.Supplement(ctx, "bob", a.ID, SupplementRequest{Note: "x"}); !apperr.Is(err, apperr.ApplicationNotFound) {
			t.Fatalf("bob supplements alice's: %v", err)
		}
		got := must(st.svc.Supplement(ctx, "alice", a.ID, SupplementRequest{Note: "已上传身份证照片"}))
		if got.Status != event.StatusSupplementFiled || len(got.Steps) != 3 {
			t.Fatalf("after supplement: %+v", got)
		}
		j := must(st.jobs.Get(ctx, JobSupplement+":"+a.ID+":3"))
		if j.State != queue.Ready {
			t.Fatalf("supplement job %+v", j)
		}
	})
}

// countingUpstream serves the simulator's HTTP side and counts the submissions that reached it.
type countingUpstream struct {
	sim   *Simulator
	posts atomic.Int32
}

func (c *countingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/applications" {
		c.posts.Add(1)
	}
	c.sim.Handler().ServeHTTP(w, r)
}

// TestUpstreamDownThenBackAcrossARestart: a submission made while the 经办 system is down is
// stored as 已提交 (queued), survives a restart of the server, and reaches the 经办 system exactly
// once when it is back.
func TestUpstreamDownThenBackAcrossARestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := newClock()
		secret := []byte("0123456789abcdef0123456789abcdef")
		// The 经办 system's receiving side: an HTTP server we stop and start again on the same port.
		jobs := must(queue.Open(ctx, d, queue.Options{Now: c.Now}))
		sim := &Simulator{DB: d, Jobs: jobs, Secret: secret, Step: time.Second, WebhookURL: func() string { return "http://127.0.0.1:1/" }, Now: c.Now}
		up := &countingUpstream{sim: sim}
		srv := httptest.NewServer(up)
		addr := srv.Listener.Addr().String()
		srv.Close() // down
		client := &HTTPClient{BaseURL: "http://" + addr, Secret: secret, Client: &http.Client{Timeout: time.Second}, Attempts: 2, Now: c.Now}

		first := newStack(t, d, c, client)
		a := submit(t, first, "alice")
		if err := first.worker.RunDue(ctx); err == nil {
			t.Fatal("delivery to a stopped upstream reported success")
		}
		got := must(first.svc.Get(ctx, "alice", a.ID))
		if got.Status != event.StatusSubmitted || got.Delivery != "queued" || got.Notice == "" {
			t.Fatalf("while down: %+v", got)
		}

		// Restart: a new process over the same store; the upstream comes back.
		second := newStack(t, d, c, client)
		back := httptest.NewUnstartedServer(up)
		ln, err := listenOn(addr)
		if err != nil {
			t.Fatal(err)
		}
		back.Listener = ln
		back.Start()
		defer back.Close()
		c.Add(time.Hour) // past any backoff
		if err := second.worker.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Hour)
		if err := second.worker.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := up.posts.Load(); n != 1 {
			t.Fatalf("upstream received %d submissions, want 1", n)
		}
		if n := must(sim.Accepted(ctx, a.ID)); n != 1 {
			t.Fatalf("simulator accepted %d", n)
		}
		if got := must(second.svc.Get(ctx, "alice", a.ID)); got.Delivery != "sent" {
			t.Fatalf("after delivery: %+v", got)
		}
		// The simulator's first step is scheduled (a job on its own queue, for its own worker).
		j := must(jobs.Get(ctx, JobSimStep+":"+a.ID+":1"))
		var p simStep
		if json.Unmarshal(j.Payload, &p) != nil || p.Seq != 1 {
			t.Fatalf("sim step job %+v", j)
		}
	})
}

// TestSubmitWithAKeyIsIdempotent: a guided form's session submitted twice (a retry) makes one
// application; another person with the same key makes their own.
func TestSubmitWithAKeyIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		st := newStack(t, d, newClock(), nil)
		ctx := context.Background()
		sub := Submission{FormCode: "F-SBK-003", FormVersion: 1, Values: goodValues, Key: "fs_session_1"}
		a := must(st.svc.Submit(ctx, "alice", sub))
		b := must(st.svc.Submit(ctx, "alice", sub))
		c := must(st.svc.Submit(ctx, "bob", sub))
		if a.ID != b.ID || a.ID == c.ID || !validID(a.ID) {
			t.Fatalf("ids %s %s %s", a.ID, b.ID, c.ID)
		}
		if l, _ := must2(st.svc.List(ctx, "alice", ListFilter{})); len(l) != 1 {
			t.Fatalf("alice has %d applications", len(l))
		}
		if n := testutil.CountEvents(t, st.log, event.ApplicationChanged, a.ID); n != 1 {
			t.Fatalf("%d events", n)
		}
	})
}

// TestInProgressReadsOnlyItsIndex pins the home screen's queries to their indexes: the covering
// partial index for the unfinished applications (no table lookup per application and no sort:
// on 1M applications these were a third of the home request), and in the one home query (Home)
// also no sort and no scan of any part.
func TestInProgressReadsOnlyItsIndex(t *testing.T) {
	d := dbtest.SQLite(t)
	newStack(t, d, newClock(), nil)
	got := dbtest.SQLitePlan(t, d, `SELECT `+appColumns+` FROM applications WHERE person = ? AND `+unfinished+` ORDER BY created_at DESC, id DESC LIMIT ?`, "p", 6)
	if !strings.Contains(got, "COVERING INDEX applications_open_list") || strings.Contains(got, "TEMP B-TREE") {
		t.Fatalf("plan %q", got)
	}
	got = dbtest.SQLitePlan(t, d, homeSQL, "p", 5, "p", "p", "p", 8)
	if !strings.Contains(got, "COVERING INDEX applications_open_list") || !strings.Contains(got, "guide_use_top") ||
		strings.Contains(got, "TEMP B-TREE") || strings.Contains(strings.NewReplacer("SCAN a", "", "SCAN f", "", "SCAN u", "").Replace(got), "SCAN ") {
		t.Fatalf("home plan %q", got) // each part searches an index; only the parts' own rows are scanned
	}
}

// TestHomeIsTheSeparateReadsInOneQuery: Home returns what the separate reads return — the
// unfinished applications newest first, the profile's fields (never a personal number), the
// follows by code, the person's most used guides — for a person with data and one never seen.
func TestHomeIsTheSeparateReadsInOneQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		st := newStack(t, d, c, nil)
		ctx := context.Background()
		uses := must(guideuse.Open(ctx, guideuse.Options{DB: d, Interval: time.Hour}))
		t.Cleanup(func() { uses.Close() })
		var ids []string
		for range 3 {
			ids = append(ids, submit(t, st, "alice").ID)
			c.Add(time.Second)
		}
		submit(t, st, "bob")
		must(st.svc.Ingest(ctx, step(ids[0], 1, event.StatusAccepted)))
		must(st.svc.Ingest(ctx, step(ids[1], 1, event.StatusRejected)))
		must(st.people.Update(ctx, "alice", person.Patch{Name: ptr("王小明"), BirthMonth: ptr("1966-09"), Category: ptr("male"), Sex: ptr("男"),
			City: ptr("西安市"), LastCertified: ptr("2025-05-01"), IDNumber: ptr("11010519491231002X"), Phone: ptr("13812345678")}, person.Declared))
		for _, code := range []string{"SX-B", "SX-A"} {
			if err := st.people.Follow(ctx, "alice", code); err != nil {
				t.Fatal(err)
			}
		}
		for _, code := range []string{"SX-U1", "SX-U2", "SX-U2", "SX-U3"} {
			uses.Record("alice", code)
		}
		uses.Record("bob", "SX-U3")
		must(0, uses.Flush(ctx))

		h := must(st.svc.Home(ctx, "alice", 2, 2, ""))
		want := must(st.svc.InProgress(ctx, "alice", 2))
		if len(h.InProgress) != 2 || h.InProgress[0].ID != ids[2] || h.InProgress[1].ID != ids[0] {
			t.Fatalf("in progress: %+v", h.InProgress)
		}
		if a, b := jsonOf(t, h.InProgress), jsonOf(t, want); a != b {
			t.Fatalf("in progress differs from InProgress:\n%s\n%s", a, b)
		}
		prof := must(st.people.Profile(ctx, "alice", ""))
		got := h.Profile
		if got.Name != prof.Name || got.BirthMonth != prof.BirthMonth || got.Sex != prof.Sex || got.Category != prof.Category ||
			got.City != prof.City || got.LastCertified != prof.LastCertified || !got.UpdatedAt.Equal(prof.UpdatedAt) {
			t.Fatalf("profile %+v, want %+v", got, prof)
		}
		if got.IDNumber != "" || got.Phone != "" {
			t.Fatalf("personal numbers read for the home screen: %+v", got)
		}
		if a, b := jsonOf(t, h.Follows), jsonOf(t, must(st.people.Follows(ctx, "alice"))); a != b {
			t.Fatalf("follows %s, want %s", a, b)
		}
		if a, b := jsonOf(t, h.Used), jsonOf(t, []string{"SX-U2", "SX-U1"}); a != b {
			t.Fatalf("used %s, want %s", a, b)
		}

		none := must(st.svc.Home(ctx, "carol", 5, 8, ""))
		if none.Profile.Subject != "carol" || none.Profile.Name != "" || len(none.InProgress)+len(none.Follows)+len(none.Used) != 0 {
			t.Fatalf("a person never seen: %+v", none)
		}
	})
}

// TestHomeCountsUnreadNoticesInItsQuery: with notify's UnreadSQL, Home's one query also gives the
// person's unread notices — what notify's own count says, for the person with notices (some
// read), another person and one with none — and without it Unread stays 0; on SQLite the
// count reads the inbox index alone.
func TestHomeCountsUnreadNoticesInItsQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := newStack(t, d, newClock(), nil)
		ns := must(notify.Open(ctx, notify.Options{DB: d, Queue: st.jobs, People: st.people, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		for i, who := range []string{"alice", "alice", "alice", "bob"} {
			m := notify.Message{Person: who, Kind: notify.KindProgress, Key: "k" + string(rune('a'+i)), Title: "办理进度", Body: "已受理"}
			if _, err := ns.Notify(ctx, nil, m); err != nil {
				t.Fatal(err)
			}
		}
		page := must(ns.Notices(ctx, "alice", 1, 10))
		must(0, ns.MarkRead(ctx, "alice", page.Notices[0].ID))
		for who, want := range map[string]int{"alice": 2, "bob": 1, "carol": 0} {
			h := must(st.svc.Home(ctx, who, 5, 8, notify.UnreadSQL))
			if n := must(ns.UnreadCount(ctx, who)); h.Unread != want || n != want {
				t.Errorf("%s: home %d, notify %d unread; want %d", who, h.Unread, n, want)
			}
		}
		if h := must(st.svc.Home(ctx, "alice", 5, 8, "")); h.Unread != 0 {
			t.Errorf("without the unread query: %d", h.Unread)
		}
		if d.Dialect == db.SQLite {
			plan := dbtest.SQLitePlan(t, d, homeQuery(notify.UnreadSQL), "p", 5, "p", "p", "p", 8, "p")
			if !strings.Contains(plan, "COVERING INDEX notify_notices_inbox") {
				t.Fatalf("home plan %q", plan)
			}
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStepReachesTheStreamPastASlowConsumer: a step ingested while another consumer of the log
// is busy (a notice written per step, a catch-up after a restart) reaches the person's open
// stream at once. Before, every delivery waited behind that consumer's handler: seen on
// PostgreSQL as steps that reached no stream within 5 s.
func TestStepReachesTheStreamPastASlowConsumer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := newStack(t, d, newClock(), nil)
		p := NewProgress()
		must(p.Follow(ctx, st.log))
		gate, entered := make(chan struct{}), make(chan struct{}, 1)
		must(st.log.Register(ctx, eventlog.Consumer{Name: "slow", Topics: []string{event.ApplicationChanged}, Start: eventlog.FromHead,
			Handle: func(context.Context, event.Event) error {
				select {
				case entered <- struct{}{}:
				default:
				}
				<-gate
				return nil
			}}))
		defer close(gate)
		steps, stop := p.Watch("alice")
		defer stop()
		a := submit(t, st, "alice")
		select {
		case <-entered: // the slow consumer holds the submission's event
		case <-time.After(10 * time.Second):
			t.Fatal("the slow consumer never got the submission")
		}
		if got := must(st.svc.Ingest(ctx, step(a.ID, 1, event.StatusAccepted))); got != Applied {
			t.Fatalf("ingest = %q", got)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-steps:
				if s.ApplicationID == a.ID && s.Status == event.StatusAccepted {
					return
				}
			case <-deadline:
				t.Fatal("the step did not reach the open stream while another consumer was busy")
			}
		}
	})
}

// TestAStreamThatFallsBehindIsClosed: a stream more than streamBuffer steps behind is closed
// after the steps it holds (the client reads its applications again), never left open with
// steps silently missing; the other streams go on.
func TestAStreamThatFallsBehindIsClosed(t *testing.T) {
	p := NewProgress()
	slow, stopSlow := p.Watch("alice")
	defer stopSlow()
	other, stopOther := p.Watch("alice")
	defer stopOther()
	for i := 1; i <= streamBuffer+1; i++ {
		p.publish(event.ApplicationStep{ApplicationID: "ap1", Person: "alice", Seq: i})
		<-other // a stream that reads keeps up
	}
	n := 0
	for open := true; open; {
		select {
		case _, open = <-slow:
			if open {
				n++
			}
		case <-time.After(time.Second):
			t.Fatalf("the stream that fell behind is still open after %d steps", n)
		}
	}
	if n != streamBuffer {
		t.Fatalf("the stream that fell behind gave %d steps before closing, want the %d it held", n, streamBuffer)
	}
	p.publish(event.ApplicationStep{ApplicationID: "ap1", Person: "alice", Seq: 99})
	select {
	case s, ok := <-other:
		if !ok || s.Seq != 99 {
			t.Fatalf("the stream that kept up: %+v %v", s, ok)
		}
	case <-time.After(time.Second):
		t.Fatal("the stream that kept up got nothing more")
	}
	stopSlow() // closing a stream the hub already closed is harmless
}
