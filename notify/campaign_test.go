package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/person"
)

func seedPeople(t *testing.T, e *env, n int, due string) {
	t.Helper()
	v := &PersonSegments{People: e.s.opts.People}
	err := e.db.InTx(e.ctx, func(*db.Tx) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	d, err := time.Parse(time.DateOnly, due)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := v.People.PutCampaignFacts(e.ctx, person.CampaignFacts{Subject: fmt.Sprintf("p%05d", i), LastCertified: certifiedFor(d)}); err != nil {
			t.Fatal(err)
		}
	}
}

func campaignInput() CampaignInput {
	return CampaignInput{Name: "3月资格认证提醒", Segment: SegmentCertificationDue, Kind: KindCertification,
		Title: "请完成养老金领取资格认证", Body: "您的养老金领取资格认证将于30天内到期，请在App内完成刷脸认证。", Link: "/services/certification",
		WindowStart: "09:00", WindowEnd: "20:00", RatePerMinute: 4}
}

func TestCampaignLifecycle(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		seedPeople(t, e, 10, "2026-03-20")
		v := &PersonSegments{People: e.s.opts.People}
		_ = v.People.PutCampaignFacts(e.ctx, person.CampaignFacts{Subject: "zz-late", LastCertified: "2025-06-01"}, person.CampaignFacts{Subject: "zz-none"})
		for i := range 10 {
			if i%2 == 0 {
				e.subscribe(fmt.Sprintf("p%05d", i))
			}
		}
		c, err := e.s.CreateCampaign(e.ctx, "ops", campaignInput())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.s.Preview(e.ctx, c.ID); err != nil || n != 10 {
			t.Fatalf("preview %d %v", n, err)
		}
		if _, err := e.s.PauseCampaign(e.ctx, c.ID); err == nil {
			t.Fatal("paused a draft")
		}
		if c, err = e.s.StartCampaign(e.ctx, c.ID); err != nil || c.State != CampaignRunning || c.Total != 10 {
			t.Fatalf("%+v %v", c, err)
		}
		e.run() // first step: 4 people
		if c, _ = e.s.Campaign(e.ctx, c.ID); c.Enqueued != 4 {
			t.Fatalf("after one step: %+v", c)
		}
		if _, err := e.s.PauseCampaign(e.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		e.clk.add(time.Hour)
		e.run()
		if c, _ = e.s.Campaign(e.ctx, c.ID); c.Enqueued != 4 || c.State != CampaignPaused {
			t.Fatalf("paused campaign moved: %+v", c)
		}
		if _, err := e.s.ResumeCampaign(e.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			e.run()
			e.clk.add(time.Minute)
		}
		c, _ = e.s.Campaign(e.ctx, c.ID)
		if c.State != CampaignDone || c.Enqueued != 10 || c.Sent != 5 || c.InboxOnly != 5 || c.Resends != 0 {
			t.Fatalf("done: %+v", c)
		}
		_, repeats := e.push.Shown()
		if len(e.push.Messages()) != 5 || repeats != 0 {
			t.Fatalf("%d pushes, %d repeats", len(e.push.Messages()), repeats)
		}
		for i := range 10 {
			if n, _ := e.s.UnreadCount(e.ctx, fmt.Sprintf("p%05d", i)); n != 1 {
				t.Fatalf("p%05d has %d notices", i, n)
			}
		}
		if _, err := e.s.ResumeCampaign(e.ctx, c.ID); err == nil {
			t.Fatal("resumed a finished campaign")
		}
	})
}

func TestCampaignWindowAndCancel(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	seedPeople(t, e, 3, "2026-03-05")
	e.clk.add(-6 * time.Hour) // 06:00 Beijing: before the 09:00 window
	c, _ := e.s.CreateCampaign(e.ctx, "ops", campaignInput())
	e.s.StartCampaign(e.ctx, c.ID)
	e.run()
	if c, _ = e.s.Campaign(e.ctx, c.ID); c.Enqueued != 0 {
		t.Fatal("sent outside the window")
	}
	e.clk.add(3 * time.Hour)
	e.run()
	if c, _ = e.s.Campaign(e.ctx, c.ID); c.Enqueued != 3 {
		t.Fatalf("in the window: %+v", c)
	}
	// Critical (due within 7 days) to people without push: SMS would go if configured; here the
	// inbox. Cancel before the deliveries run: they are dropped.
	c2, _ := e.s.CreateCampaign(e.ctx, "ops", campaignInput())
	e.s.StartCampaign(e.ctx, c2.ID)
	e.s.CancelCampaign(e.ctx, c2.ID)
	e.run()
	if c2, _ = e.s.Campaign(e.ctx, c2.ID); c2.State != CampaignCancelled || c2.Enqueued != 0 {
		t.Fatalf("cancelled: %+v", c2)
	}
	if _, err := e.s.StartCampaign(e.ctx, c2.ID); err == nil {
		t.Fatal("restarted a cancelled campaign")
	}
}

func TestCampaignBadInput(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	for name, mod := range map[string]func(*CampaignInput){
		"no name":          func(c *CampaignInput) { c.Name = "" },
		"unknown segment":  func(c *CampaignInput) { c.Segment = "everyone" },
		"unknown kind":     func(c *CampaignInput) { c.Kind = "ads" },
		"bad window":       func(c *CampaignInput) { c.WindowStart = "9点" },
		"zero rate":        func(c *CampaignInput) { c.RatePerMinute = 0 },
		"body over 4 KiB":  func(c *CampaignInput) { c.Body = strings.Repeat("缴", 1400) },
		"no notice title":  func(c *CampaignInput) { c.Title = "" },
		"negative rate":    func(c *CampaignInput) { c.RatePerMinute = -5 },
		"window end wrong": func(c *CampaignInput) { c.WindowEnd = "24:30" },
	} {
		in := campaignInput()
		mod(&in)
		_, err := e.s.CreateCampaign(e.ctx, "ops", in)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := e.s.StartCampaign(e.ctx, 999)
	wantCode(t, err, "campaign_not_found")
}

func TestSegments(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t)) // today 2026-03-02
	v := &PersonSegments{People: e.s.opts.People}
	v.People.PutCampaignFacts(e.ctx,
		person.CampaignFacts{Subject: "a", LastCertified: "2025-03-05"},                                         // due, critical
		person.CampaignFacts{Subject: "b", LastCertified: "2025-03-30"},                                         // due
		person.CampaignFacts{Subject: "c", LastCertified: "2025-04-02"},                                         // 31 days
		person.CampaignFacts{Subject: "d", ResidentInsured: true, ResidentPaidThrough: 2026},                    // unpaid for 2027
		person.CampaignFacts{Subject: "e", ResidentInsured: true, ResidentPaidThrough: 2027},                    // paid
		person.CampaignFacts{Subject: "f", BirthMonth: "1966-01", Category: "male"},                             // 60y + 4 months? see below
		person.CampaignFacts{Subject: "g", BirthMonth: "1960-01", Category: "male"},                             // retired long ago
		person.CampaignFacts{Subject: "h", BirthMonth: "1975-06", Category: "female50", ResidentPaidThrough: 1}, // not resident
	)
	members := func(seg string) string {
		ms, err := v.Page(e.ctx, seg, e.clk.now(), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, m := range ms {
			b.WriteString(m.Person)
			if m.Critical {
				b.WriteString("!")
			}
		}
		return b.String()
	}
	if got := members(SegmentCertificationDue); got != "a!b" {
		t.Errorf("certification: %s", got)
	}
	if got := members(SegmentResidentUnpaid); got != "d" {
		t.Errorf("resident: %s", got)
	}
	// Retirement within 3 months, by the rule itself.
	var want string
	for _, p := range []struct{ id, birth, cat string }{{"f", "1966-01", "male"}, {"g", "1960-01", "male"}, {"h", "1975-06", "female50"}} {
		if retiresSoon(p.birth, p.cat, e.clk.now()) {
			want += p.id
		}
	}
	if got := members(SegmentRetirementSoon); got != want {
		t.Errorf("retirement: %s, want %s", got, want)
	}
	if n, _ := v.Count(e.ctx, SegmentRetirementSoon, e.clk.now()); n != len(want) {
		t.Errorf("count %d", n)
	}
}

type follows map[string][]string

func (f follows) Followers(_ context.Context, code string) ([]string, error) { return f[code], nil }

func TestApplicationAndGuideSources(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t), func(o *Options) { o.Followers = follows{"G-1": {"p1", "p2"}} })
	step := func(seq int, status, detail string) event.Event {
		b, _ := json.Marshal(event.ApplicationStep{ApplicationID: "A-9", Person: "p1", GuideName: "失业保险金申领", Seq: seq, Status: status, Detail: detail})
		return event.Event{Topic: event.ApplicationChanged, Key: "A-9", Data: b}
	}
	for _, ev := range []event.Event{step(1, event.StatusSubmitted, ""), step(2, event.StatusAccepted, ""),
		step(3, event.StatusNeedsSupplement, "身份证复印件不清晰"), step(3, event.StatusNeedsSupplement, "身份证复印件不清晰"),
		step(4, event.StatusBenefitPaid, "1850元")} {
		if err := e.s.onApplication(e.ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	page, _ := e.s.Notices(e.ctx, "p1", 1, 10)
	if page.Total != 3 || page.Notices[0].Kind != KindBenefit || !strings.Contains(page.Notices[1].Body, "身份证复印件不清晰") || !page.Notices[1].Urgent {
		t.Fatalf("%+v", page.Notices)
	}
	g := func(major bool, v int) event.Event {
		b, _ := json.Marshal(content.GuideEvent{Code: "G-1", Version: v, Major: major, ChangeNote: "申领材料不再需要户口本"})
		return event.Event{Topic: event.GuidePublished, Key: "G-1", Data: b}
	}
	e.s.onGuide(e.ctx, g(false, 2))
	e.s.onGuide(e.ctx, g(true, 3))
	e.s.onGuide(e.ctx, g(true, 3))
	p2, _ := e.s.Notices(e.ctx, "p2", 1, 10)
	if p2.Total != 1 || p2.Notices[0].Kind != KindGuide || !strings.Contains(p2.Notices[0].Body, "申领材料不再需要户口本") {
		t.Fatalf("%+v", p2)
	}
}

type fakeSMS struct {
	mu   sync.Mutex
	got  []map[string]any
	fail bool
}

func TestSMSOnlyForCriticalWithoutPush(t *testing.T) {
	key := []byte("gateway-secret")
	gw := &fakeSMS{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, key)
		m.Write(body)
		if r.Header.Get("X-Signature") != hex.EncodeToString(m.Sum(nil)) {
			w.WriteHeader(401)
			return
		}
		var v map[string]any
		json.Unmarshal(body, &v)
		gw.mu.Lock()
		gw.got = append(gw.got, v)
		gw.mu.Unlock()
		w.WriteHeader(200)
	}))
	defer srv.Close()
	e := newEnv(t, dbtest.SQLite(t), func(o *Options) {
		o.SMS = &SMSGateway{URL: srv.URL, TemplateID: "SMS_1", Key: key}
	})
	// Phone numbers come from the person store, sealed there.
	for p, phone := range map[string]string{"p1": "13800000000", "p2": "13900000000", "p3": "13700000000"} {
		if _, err := e.s.opts.People.Update(e.ctx, p, person.Patch{Phone: &phone}, person.Declared); err != nil {
			t.Fatal(err)
		}
	}
	var sealed string
	if err := e.db.QueryRow(e.ctx, `SELECT phone_cipher FROM person_profiles WHERE subject = 'p1'`).Scan(&sealed); err != nil || strings.Contains(sealed, "13800000000") {
		t.Fatalf("phone stored as %q (%v)", sealed, err)
	}
	e.subscribe("p3")
	crit := func(p, k string) Message { m := msg(p, k); m.Critical = true; return m }
	e.notify(crit("p1", "c1")) // critical, no push → SMS
	e.notify(msg("p2", "n1"))  // not critical → inbox only
	e.notify(crit("p3", "c3")) // critical with push → push, no SMS
	e.run()
	if len(gw.got) != 1 || gw.got[0]["phone"] != "13800000000" || gw.got[0]["template_id"] != "SMS_1" {
		t.Fatalf("sms %v", gw.got)
	}
	if ev := strings.Join(e.events("n1"), ","); ev != "queued,inbox_only" {
		t.Fatal(ev)
	}
	if len(e.push.Messages()) != 1 {
		t.Fatal("push")
	}
}

// TestNotifyPeopleMoveToThePersonStore: a store at notify's first schema, with facts in
// notify_people, opens with them in person_profiles (a person's own values win) and the old
// table gone.
func TestNotifyPeopleMoveToThePersonStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx, "person", person.Migrations); err != nil {
			t.Fatal(err)
		}
		if err := d.Migrate(ctx, "notify", Migrations[:1]); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO notify_people (person, certification_due, resident_insured, resident_paid_through, birth, retirement_category)
				VALUES ('a', '2026-03-20', 0, 0, '', ''), ('b', '', 1, 2026, '1966-01', 'male'), ('c', '2026-04-01', 0, 0, '1970-05', 'female55')`,
			`INSERT INTO person_profiles (subject, last_certified, birth_month, updated_at) VALUES ('c', '2025-05-05', '1970-06', 1)`,
		} {
			if _, err := d.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		e := newEnv(t, d)
		var got []string
		for _, p := range []string{"", "a", "b"} {
			fs, err := e.s.opts.People.SelectPeople(ctx, person.Selection{}, p, 1)
			if err != nil || len(fs) != 1 {
				t.Fatalf("after %q: %v %v", p, fs, err)
			}
			got = append(got, fmt.Sprintf("%+v", fs[0]))
		}
		want := []string{
			"{Subject:a LastCertified:2025-03-20 BirthMonth: Category: ResidentInsured:false ResidentPaidThrough:0}",
			"{Subject:b LastCertified: BirthMonth:1966-01 Category:male ResidentInsured:true ResidentPaidThrough:2026}",
			"{Subject:c LastCertified:2025-05-05 BirthMonth:1970-06 Category:female55 ResidentInsured:false ResidentPaidThrough:0}",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("moved:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if _, err := d.Exec(ctx, `SELECT count(*) FROM notify_people`); err == nil {
			t.Fatal("notify_people is still there")
		}
	})
}
