package assistant

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/assistant/formflow"
	"shebao/content"
	"shebao/content/contenttest"
	"shebao/internal/beijing"
	"shebao/internal/db"
	"shebao/internal/modelclient"
	"shebao/internal/ratelimit"
)

// formEventJSON is the form frame of a form event, decoded for assertions.
type formEventJSON struct {
	Type        string     `json:"type"`
	Text        string     `json:"text"`
	Suggestions []string   `json:"suggestions"`
	Citations   []Citation `json:"citations"`
	Form        FormState  `json:"form"`
}

// fakeProfiles is the person store: what a signed-in person's profile holds.
type fakeProfiles map[string]map[string]formflow.ProfileValue

func (f fakeProfiles) ProfileValues(_ context.Context, subject string) (map[string]formflow.ProfileValue, error) {
	return f[subject], nil
}

// fakeSubmitter records submissions as the applications service would.
type fakeSubmitter struct {
	mu   sync.Mutex
	subs []formflow.Submission
	fail bool
}

func (f *fakeSubmitter) Submit(_ context.Context, s formflow.Submission) (formflow.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return formflow.Receipt{}, fmt.Errorf("upstream down")
	}
	f.subs = append(f.subs, s)
	return formflow.Receipt{ApplicationID: fmt.Sprintf("SQ%04d", len(f.subs)), NextStep: "10个工作日内审核，结果会通知您。"}, nil
}

func (f *fakeSubmitter) last() formflow.Submission {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.subs) == 0 {
		return formflow.Submission{}
	}
	return f.subs[len(f.subs)-1]
}

// formRig is a chat server with the seed corpus's guides and forms, a person's profile and a
// fake applications service.
type formRig struct {
	cs     *content.Service
	engine *formflow.Engine
	subs   *fakeSubmitter
	url    string
	db     *db.DB
	svc    *Service
}

// The signed-in person of the journeys: the profile holds name, ID number and phone.
var (
	journeyID    = validID("61010319530305001")
	journeyPhone = "13812345678"
)

func newFormRig(t testing.TB, d *db.DB, proposer formflow.Proposer) *formRig {
	t.Helper()
	ctx := context.Background()
	cs := contenttest.Seeded(t, content.Options{DB: d})
	now := func() time.Time { return time.Date(2026, 3, 15, 10, 0, 0, 0, beijing.Location()) }
	subs := &fakeSubmitter{}
	profiles := fakeProfiles{"u1": {
		"name":      {Value: "王建国", Display: "王建国"},
		"id_number": {Value: journeyID, Display: "6101**********" + journeyID[14:]},
		"phone":     {Value: journeyPhone, Display: "138****5678"},
	}}
	e, err := formflow.New(ctx, formflow.Options{DB: d, Forms: cs, Guides: content.PublishedGuides{S: cs}, Profiles: profiles,
		Submitter: subs, Proposer: proposer, Now: now, Log: formLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	svc, srv, _ := testServer(t, func(o *Options) {
		o.DB = d
		o.Forms = e
		o.Guides = content.PublishedGuides{S: cs}
		o.Verifier = fakeVerifier{"tok-1": {Subject: "u1"}}
		o.Limits.User = ratelimit.Rate{Burst: 1000, PerSecond: 1000}
		o.Limits.IP = ratelimit.Rate{Burst: 1000, PerSecond: 1000}
	})
	return &formRig{cs: cs, engine: e, subs: subs, url: wsURL(srv), db: d, svc: svc}
}

// step is one message of a script and what must come back.
type step struct {
	say     string
	want    []string // substrings of the reply
	state   string   // the frame's state, when checked
	field   string   // the field asked, when checked
	handoff bool     // a handoff event follows
	mistake bool     // a scripted mistake (counted apart)
	leave   bool     // reconnect on a new connection (a new chat session) before saying this
}

// journey runs a script on the real WebSocket, signed in, and returns the turns taken.
func (r *formRig) journey(t *testing.T, script []step) (turns int, last formEventJSON) {
	t.Helper()
	c := dial(t, r.url, nil)
	c.hello(map[string]any{"token": "tok-1", "elder_mode": true}) // the elder mode leaves form replies whole
	for i, st := range script {
		if st.leave {
			c.ws.Close()
			c = dial(t, r.url, nil)
			c.hello(map[string]any{"token": "tok-1", "elder_mode": true}) // a new chat session: another device
		}
		id := fmt.Sprintf("m%d", i)
		c.send(map[string]any{"type": "message", "id": id, "text": st.say})
		ev, _ := c.until(EventForm)
		var fe formEventJSON
		if err := json.Unmarshal([]byte(ev.raw), &fe); err != nil {
			t.Fatal(err)
		}
		turns++
		ctx := fmt.Sprintf("step %d %q → %q", i+1, st.say, fe.Text)
		t.Log(ctx)
		for _, w := range st.want {
			if !strings.Contains(fe.Text, w) {
				t.Errorf("%s: want %q", ctx, w)
			}
		}
		if st.state != "" && fe.Form.State != st.state {
			t.Errorf("%s: state %s, want %s", ctx, fe.Form.State, st.state)
		}
		if st.field != "" && (fe.Form.Field == nil || fe.Form.Field.Name != st.field) {
			t.Errorf("%s: field %+v, want %s", ctx, fe.Form.Field, st.field)
		}
		if st.handoff {
			h := c.next()
			if h.Type != EventHandoff || h.Phone != "12333" {
				t.Errorf("%s: want a handoff event, got %s", ctx, h.raw)
			}
		}
		checkElder(t, ctx, fe.Text)
		// The voice helper's checker, as the elder mode applies it: a person must be on offer
		// while the form asks (the 转人工 button), not after it ended.
		issues := CheckElder(Answer{Text: fe.Text, Suggestions: fe.Suggestions})
		for _, is := range issues {
			if is.Rule != "no_handoff_offer" || fe.Form.State == "asking" || fe.Form.State == "confirming" {
				t.Errorf("%s: elder rule %s broken: %q", ctx, is.Rule, is.Sentence)
			}
		}
		checkMasked(t, ctx, ev.raw)
		last = fe
	}
	return turns, last
}

// checkElder holds a reply to the elder-mode limits: sentences of at most 40 characters, at
// most two sentences before the question, one question.
func checkElder(t *testing.T, ctx, text string) {
	t.Helper()
	var sentences []string
	start := 0
	rs := []rune(text)
	for i, r := range rs {
		if r == '。' || r == '？' || r == '！' {
			sentences = append(sentences, string(rs[start:i+1]))
			start = i + 1
		}
	}
	if start != len(rs) {
		t.Errorf("%s: text does not end a sentence", ctx)
	}
	questions := 0
	for i, s := range sentences {
		if n := len([]rune(s)); n > 40 {
			t.Errorf("%s: sentence of %d characters: %q", ctx, n, s)
		}
		if strings.HasSuffix(s, "？") {
			questions++
			if i > 2 {
				t.Errorf("%s: %d sentences before the question", ctx, i)
			}
		}
	}
	if questions > 1 {
		t.Errorf("%s: %d questions in one turn", ctx, questions)
	}
}

// checkMasked fails if a whole personal number of the journeys is in an event.
func checkMasked(t *testing.T, ctx, raw string) {
	t.Helper()
	for _, n := range []string{journeyID, journeyPhone, journeyCard, journeySonID} {
		if strings.Contains(raw, n) {
			t.Errorf("%s: event carries a personal number unmasked: %s", ctx, raw)
		}
	}
}

var (
	journeySonID = validID("61010319880505003")
	journeyCard  = luhnNumber("621700123456789012")
)

// spell says a number digit by digit in Chinese, in groups, as a person reads it out.
func spell(n string) string {
	words := map[rune]string{'0': "零", '1': "幺", '2': "二", '3': "三", '4': "四", '5': "五", '6': "六", '7': "七", '8': "八", '9': "九", 'X': "叉"}
	var b strings.Builder
	for i, r := range n {
		if i > 0 && i%4 == 0 {
			b.WriteString(" ")
		}
		b.WriteString(words[r])
	}
	return b.String()
}

// wrongCheck changes the last character of an ID number so that its check digit is wrong.
func wrongCheck(id string) string {
	last := id[17]
	if last == '1' {
		return id[:17] + "2"
	}
	return id[:17] + "1"
}

// breakLuhn changes the last digit of a card number so that it fails the Luhn check.
func breakLuhn(n string) string {
	d := (n[len(n)-1]-'0'+1)%10 + '0'
	return n[:len(n)-1] + string(d)
}

// journeys are the scripts of the shipped forms: each with corrections, a wrong ID check digit
// or another refused value, going back, leaving and resuming, and confirming. minimal is the
// script with no mistake, for the fewest turns.
func journeys() map[string]struct{ full, minimal []step } {
	out := map[string]struct{ full, minimal []step }{}

	// 失业保险金申领: a father for his son (亲属代办).
	out["F-SY-001"] = struct{ full, minimal []step }{
		full: []step{
			{say: "我要帮我儿子申请失业金", want: []string{"失业保险金申领", "办理人"}, state: "asking", field: "for_whom"},
			{say: "亲属代办", want: []string{"您说的是亲属代办，对吗？"}, field: "for_whom"},
			{say: "对", want: []string{"关系"}, field: "agent_relation"},
			{say: "父母", want: []string{"父母"}},
			{say: "对", field: "applicant_name"},
			{say: "王小明", want: []string{"王小明，对吗？"}},
			{say: "是的", field: "applicant_id_number"},
			{say: spell(wrongCheck(journeySonID)), want: []string{"校验码"}, field: "applicant_id_number", mistake: true},
			{say: spell(journeySonID), want: []string{"6101**********" + journeySonID[14:]}},
			{say: "对", field: "reason", want: []string{"第几个"}},
			{say: "这是什么意思", want: []string{"主动辞职"}, field: "reason", mistake: true},
			{say: "第二个", want: []string{"被单位辞退"}},
			{say: "对", field: "leave_date"},
			{say: "去年十二月", want: []string{"几号"}, field: "leave_date", mistake: true},
			{say: "一五年十二月三十一号", want: []string{"二〇一五年十二月三十一日"}},
			{say: "不对，是二五年的", want: []string{"二〇二五年十二月三十一日，对吗？"}, mistake: true},
			{say: "对", field: "paid_one_year"},
			{say: "交满了，是的", want: []string{"记下了：是。"}, field: "card_account"},
			{say: spell(breakLuhn(journeyCard)), want: []string{"校验不通过"}, field: "card_account", mistake: true},
			{say: spell(breakLuhn(journeyCard)), want: []string{"人工电话12333，工作日上午9:00-12:00，下午14:00-17:00。"}, field: "card_account", handoff: true, mistake: true},
			{say: spell(journeyCard), want: []string{"尾号" + journeyCard[len(journeyCard)-4:]}},
			{say: "对", want: []string{"联系电话是138****5678，对吗？"}, field: "phone"},
			{say: "上一个", want: []string{"回到上一项", "尾号"}, field: "card_account", mistake: true},
			{say: "对", want: []string{"138****5678"}, field: "phone", mistake: true},
			{say: "再说一遍", want: []string{"接着填失业保险金申领", "138****5678"}, field: "phone", leave: true, mistake: true},
			{say: "对", field: "job_intent"},
			{say: "跳过", want: []string{"跳过"}, state: "confirming"},
			{say: "好", state: "confirming", want: []string{"办理人：亲属代办"}},
			{say: "对", state: "confirming", want: []string{"现在提交吗？"}},
			{say: "提交", state: "submitted", want: []string{"申请编号", "10个工作日"}},
		},
	}
	out["F-SY-001"] = struct{ full, minimal []step }{full: out["F-SY-001"].full, minimal: []step{
		{say: "我要申请失业金", field: "for_whom"},
		{say: "本人办理"}, {say: "对", want: []string{"您的姓名是王建国，对吗？"}}, {say: "对"}, {say: "对", field: "reason"},
		{say: "合同到期"}, {say: "对", field: "leave_date"}, {say: "2026年1月5号"}, {say: "对", field: "paid_one_year"},
		{say: "是"}, {say: spell(journeyCard)}, {say: "对", field: "phone"}, {say: "对", field: "job_intent"}, {say: "保安"}, {say: "对", state: "confirming"},
		{say: "对"}, {say: "对"}, {say: "对", state: "submitted"},
	}}

	// 养老金领取资格认证: a daughter for her mother, staff to come to the house.
	motherID := validID("61010319480808002")
	out["F-YL-012"] = struct{ full, minimal []step }{
		full: []step{
			{say: "帮我妈办一下养老认证", want: []string{"养老金领取资格认证"}, field: "for_whom"},
			{say: "替家人", want: []string{"替家人认证，对吗？"}},
			{say: "对", field: "agent_relation"},
			{say: "子女"}, {say: "对", field: "pensioner_name"},
			{say: "李秀英"}, {say: "对", field: "pensioner_id_number"},
			{say: spell(validID("61010320300101002")), want: []string{"出生日期不对"}, field: "pensioner_id_number", mistake: true},
			{say: spell(motherID), want: []string{motherID[14:]}},
			{say: "对", field: "method"},
			{say: "第三个", want: []string{"工作人员上门"}}, {say: "对", field: "address"},
			{say: "家里", want: []string{"至少要5个字"}, field: "address", mistake: true},
			{say: "西安市雁塔区小寨东路12号3单元", want: []string{"小寨东路"}}, {say: "对", want: []string{"138****5678"}, field: "phone"},
			{say: "不对", want: []string{"请重新说"}, field: "phone", mistake: true},
			{say: "幺三九 幺二三四 五六七", want: []string{"11位"}, field: "phone", mistake: true},
			{say: "幺三九 幺二三四 五六七八", want: []string{"139****5678，对吗？"}},
			{say: "对", state: "confirming"},
			{say: "继续", want: []string{"接着填养老金领取资格认证"}, state: "confirming", leave: true, mistake: true},
			{say: "改一下电话", want: []string{"改联系电话"}, field: "phone", mistake: true},
			{say: "幺三八 幺二三四 五六七八"}, {say: "对", state: "confirming", mistake: true},
			{say: "对", state: "confirming"},
			{say: "对", state: "confirming"},
			{say: "提交", state: "submitted", want: []string{"申请编号"}},
		},
		minimal: []step{
			{say: "我要办养老金认证", field: "for_whom"},
			{say: "给自己"}, {say: "对"}, {say: "对"}, {say: "对", field: "method"},
			{say: "手机刷脸"}, {say: "对", field: "phone"}, {say: "对", state: "confirming"},
			{say: "对"}, {say: "对"}, {say: "对", state: "submitted"},
		},
	}

	// 城乡居民养老保险参保登记: for oneself, from the profile.
	out["F-YL-001"] = struct{ full, minimal []step }{
		full: []step{
			{say: "我想办城乡居民养老保险参保登记", want: []string{"您的姓名是王建国，对吗？"}, field: "name"},
			{say: "对", want: []string{"您的身份证号是6101**********"}, field: "id_number"},
			{say: "对", field: "student"},
			{say: "不是", want: []string{"记下了：不是。"}, field: "employee_pension"},
			{say: "没有", field: "hukou_address"},
			{say: "这是什么意思", want: []string{"户口所在地"}, field: "hukou_address", mistake: true},
			{say: "陕西省西安市长安区韦曲街道", want: []string{"韦曲街道，对吗？"}},
			{say: "对", field: "phone"},
			{say: "上一个", want: []string{"回到上一项"}, field: "hukou_address", mistake: true},
			{say: "不对，是陕西省西安市长安区郭杜街道", want: []string{"郭杜街道，对吗？"}, mistake: true},
			{say: "对", field: "phone"},
			{say: "再说一遍", want: []string{"接着填城乡居民养老保险参保登记"}, field: "phone", leave: true, mistake: true},
			{say: "对", state: "confirming"},
			{say: "对", state: "confirming"},
			{say: "对", state: "confirming"},
			{say: "提交", state: "submitted"},
		},
		minimal: []step{
			{say: "我想办城乡居民养老保险参保登记"}, {say: "对"}, {say: "对"}, {say: "不是"}, {say: "没有"},
			{say: "陕西省西安市长安区韦曲街道"}, {say: "对"}, {say: "对", state: "confirming"},
			{say: "对"}, {say: "对"}, {say: "对", state: "submitted"},
		},
	}

	// 异地就医备案: a retired person moving to Hainan.
	out["F-YB-007"] = struct{ full, minimal []step }{
		full: []step{
			{say: "我要办异地就医备案", field: "name"},
			{say: "对"}, {say: "对", field: "insurance"},
			{say: "职工", want: []string{"职工医保，对吗？"}}, {say: "对", field: "filing_type"},
			{say: "第一个", want: []string{"退休异地安置"}}, {say: "对", field: "destination"},
			{say: "海南省三亚市"}, {say: "对", field: "start_date"},
			{say: "二零二六年一月一号", want: []string{"不能早于今天"}, field: "start_date", mistake: true},
			{say: "二零二六年四月一号", want: []string{"二〇二六年四月一日"}},
			{say: "不对，是五月一号", want: []string{"二〇二六年五月一日，对吗？"}, mistake: true},
			{say: "对", field: "commitment"},
			{say: "什么意思", want: []string{"承诺书"}, field: "commitment", mistake: true},
			{say: "可以", field: "phone"},
			{say: "对", state: "confirming"},
			{say: "不对", want: []string{"改哪一项"}, state: "confirming", mistake: true},
			{say: "就医地错了，是海南省海口市", want: []string{"海口市，对吗？"}, field: "destination", mistake: true},
			{say: "对", state: "confirming", mistake: true},
			{say: "对", state: "confirming"},
			{say: "对", state: "confirming"},
			{say: "提交", state: "submitted"},
		},
		minimal: []step{
			{say: "我要办异地就医备案"}, {say: "对"}, {say: "对"}, {say: "职工医保"}, {say: "对"}, {say: "退休异地安置"}, {say: "对"},
			{say: "海南省三亚市"}, {say: "对"}, {say: "2026年4月1号"}, {say: "对"}, {say: "可以"}, {say: "对", state: "confirming"},
			{say: "对"}, {say: "对"}, {say: "对", state: "submitted"},
		},
	}

	// 社保卡挂失.
	out["F-SBK-003"] = struct{ full, minimal []step }{
		full: []step{
			{say: "我的社保卡丢了，帮我挂失社保卡", field: "name"},
			{say: "对"}, {say: "对", field: "loss"},
			{say: "被偷了", field: "loss", mistake: true},
			{say: "被盗"}, {say: "对", field: "phone"},
			{say: "对", state: "confirming"},
			{say: "对", state: "confirming"},
			{say: "提交", state: "submitted"},
		},
		minimal: []step{
			{say: "帮我挂失社保卡"}, {say: "对"}, {say: "对"}, {say: "遗失"}, {say: "对"}, {say: "对", state: "confirming"},
			{say: "对"}, {say: "对", state: "submitted"},
		},
	}
	return out
}

// TestFormJourneys runs every shipped form's script with its mistakes, and its shortest
// script, through the real WebSocket in no-model mode; each ends in an application.
func TestFormJourneys(t *testing.T) {
	for code, j := range journeys() {
		t.Run(code, func(t *testing.T) {
			for _, run := range []struct {
				name   string
				script []step
			}{{"full", j.full}, {"minimal", j.minimal}} {
				r := newFormRig(t, sqliteDB(t), nil)
				turns, last := r.journey(t, run.script)
				mistakes := 0
				for _, st := range run.script {
					if st.mistake {
						mistakes++
					}
				}
				t.Logf("FIGURE %s %s: %d turns (%d of them scripted mistakes)", code, run.name, turns, mistakes)
				sub := r.subs.last()
				if last.Form.State != "submitted" || last.Form.ApplicationID == "" || sub.Form != code || sub.Version != 1 {
					t.Errorf("%s: not submitted: %+v, %+v", run.name, last.Form, sub)
				}
			}
		})
	}
}

func TestFormJourneyUnemployment(t *testing.T) {
	r := newFormRig(t, sqliteDB(t), nil)
	turns, last := r.journey(t, journeys()["F-SY-001"].full)
	t.Logf("F-SY-001: %d turns", turns)
	if last.Form.ApplicationID == "" {
		t.Fatalf("no application id: %+v", last.Form)
	}
	sub := r.subs.last()
	want := map[string]string{"for_whom": "agent", "agent_relation": "parent", "applicant_name": "王小明",
		"applicant_id_number": journeySonID, "reason": "dismissed", "leave_date": "2025-12-31", "paid_one_year": "yes",
		"card_account": journeyCard, "phone": journeyPhone, "job_intent": ""}
	if sub.Form != "F-SY-001" || sub.Version != 1 || sub.Subject != "u1" || len(sub.Values) != len(want) {
		t.Errorf("submission %+v", sub)
	}
	for k, v := range want {
		if sub.Values[k] != v {
			t.Errorf("submitted %s = %q, want %q", k, sub.Values[k], v)
		}
	}
}

// With a model, free speech goes to it as a forced tool call; its proposals are checked in Go:
// an unknown field, confirm with nothing read back are refused and the question asked again;
// a valid one is applied. The model never sees a personal number.
func TestFormModelProposals(t *testing.T) {
	fm := newFakeModel(t)
	client, err := modelclient.New(fm.config().Config, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	p, err := formflow.NewModelProposer(client)
	if err != nil {
		t.Fatal(err)
	}
	r := newFormRig(t, sqliteDB(t), p)
	r.journey(t, []step{
		{say: "帮我挂失社保卡", field: "name"},
		{say: "对"}, {say: "对", field: "loss"},
	})
	for _, tc := range []struct {
		answer, say string
		want        []string
		field       string
	}{
		{`{"op":"set","field":"salary","value":"三千"}`, "嗯那个怎么说呢", []string{"做不了", "卡是怎么丢的"}, "loss"},
		{`{"op":"confirm"}`, "嗯嗯行吧那个", []string{"做不了", "卡是怎么丢的"}, "loss"},
		{`{"op":"set","field":"loss","value":"被盗"}`, "在公交上被人拿走了", []string{"您说的是被盗，对吗？"}, "loss"},
	} {
		fm.set(func(f *fakeModel) { f.answer = tc.answer })
		c := dial(t, r.url, nil)
		c.hello(map[string]any{"token": "tok-1"})
		c.send(map[string]any{"type": "message", "id": "x" + tc.say, "text": tc.say})
		ev, _ := c.until(EventForm)
		var fe formEventJSON
		if err := json.Unmarshal([]byte(ev.raw), &fe); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(fe.Text, w) {
				t.Errorf("model %s, said %q → %q: want %q", tc.answer, tc.say, fe.Text, w)
			}
		}
		if fe.Form.Field == nil || fe.Form.Field.Name != tc.field {
			t.Errorf("field %+v, want %s", fe.Form.Field, tc.field)
		}
	}
	if fm.requestCount() != 3 {
		t.Errorf("model asked %d times, want 3 (only for what the rules did not read)", fm.requestCount())
	}
	checkMasked(t, "model requests", fm.allRaw())
}

// testLogger writes to the test's log, for failures.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// formLogger is the test's log for tests, nothing for benchmarks (which measure the work).
func formLogger(t testing.TB) *slog.Logger {
	if _, ok := t.(*testing.B); ok {
		return slog.New(slog.DiscardHandler)
	}
	return testLogger(t)
}

// `shebao chat` fills a form too: each form event ends its turn and shows where the form stands.
func TestRunTerminalForm(t *testing.T) {
	r := newFormRig(t, sqliteDB(t), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out strings.Builder
	in := strings.NewReader("帮我挂失社保卡\n对\n对\n遗失\n对\n对\n对\n对\n")
	if err := RunTerminal(ctx, r.url, "tok-1", false, in, &out); err != nil {
		t.Fatal(err)
	}
	mustContain(t, out.String(), "现在为您办理社保卡挂失", "社保卡挂失：第1项，共4项", "已经提交，申请编号是SQ0001", "申请编号 SQ0001")
}
