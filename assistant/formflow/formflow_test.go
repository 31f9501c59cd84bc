package formflow

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/beijing"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/spoken"
)

// memForms holds form versions in memory; publish adds the next version.
type memForms struct {
	mu       sync.Mutex
	versions map[string][]content.Form
}

func (m *memForms) publish(f content.Form) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.versions == nil {
		m.versions = map[string][]content.Form{}
	}
	f.Version = len(m.versions[f.Code]) + 1
	m.versions[f.Code] = append(m.versions[f.Code], f)
}

func (m *memForms) PublishedForms(context.Context) ([]content.Form, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []content.Form
	for _, vs := range m.versions {
		out = append(out, vs[len(vs)-1])
	}
	return out, nil
}

func (m *memForms) FormVersion(_ context.Context, code string, v int) (*content.Form, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.versions[code]
	if v < 1 || v > len(vs) {
		return nil, apperr.New(apperr.FormNotFound, "")
	}
	f := vs[v-1]
	return &f, nil
}

type memGuides map[string]content.Guide

func (m memGuides) Guide(_ context.Context, code string) (content.Guide, error) {
	g, ok := m[code]
	if !ok {
		return content.Guide{}, apperr.New(apperr.GuideNotFound, "")
	}
	return g, nil
}

type recSubmitter struct{ subs []Submission }

func (r *recSubmitter) Submit(_ context.Context, s Submission) (Receipt, error) {
	r.subs = append(r.subs, s)
	return Receipt{ApplicationID: fmt.Sprintf("A%d", len(r.subs)), NextStep: "请等待审核。"}, nil
}

// testForm has one field of each kind the bad-input cases need.
func testForm() content.Form {
	return content.Form{Code: "F-T-1", Title: "测试登记", Guide: "G-1", Fields: []content.Field{
		{Key: "id_number", Type: content.FieldIDNumber, Label: "身份证号", Required: true},
		{Key: "phone", Type: content.FieldPhone, Label: "手机号", Required: true},
		{Key: "card", Type: content.FieldBankCard, Label: "银行卡号", Required: true},
		{Key: "birth", Type: content.FieldYearMonth, Label: "出生年月", Required: true, When: "past", Help: "身份证上的出生年月。", HelpFrom: "materials"},
		{Key: "note", Type: content.FieldText, Label: "备注", Max: ptr(10)},
	}}
}

func ptr(f float64) *float64 { return &f }

type rig struct {
	e     *Engine
	forms *memForms
	subs  *recSubmitter
	who   Who
}

func newRig(t *testing.T, d *db.DB, p Proposer) *rig {
	t.Helper()
	forms := &memForms{}
	forms.publish(testForm())
	guides := memGuides{"G-1": {Code: "G-1", Name: "测试事项", Aliases: []string{"测试登记"},
		Locations: []content.Location{{Name: "大厅", Hours: "法定工作日 上午9:00-12:00，下午14:00-17:00"}}}}
	subs := &recSubmitter{}
	e, err := New(context.Background(), Options{DB: d, Forms: forms, Guides: guides, Submitter: subs, Proposer: p,
		Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 3, 15, 10, 0, 0, 0, beijing.Location()) }})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{e: e, forms: forms, subs: subs, who: Who{Subject: "u1", Chat: "c1"}}
}

func (r *rig) say(t *testing.T, text string) Reply {
	t.Helper()
	rep, ok, err := r.e.Turn(context.Background(), r.who, text, text)
	if err != nil || !ok {
		t.Fatalf("%q: handled %v, err %v", text, ok, err)
	}
	return rep
}

// upToBirth starts the test form and answers and confirms the ID number, phone and bank card,
// so that the next question is the birth month.
func (r *rig) upToBirth(t *testing.T) {
	t.Helper()
	for _, text := range []string{"我要办测试登记", goodID, "对", "13812345678", "对", luhn("621700123456789012"), "对"} {
		r.say(t, text)
	}
}

func validID(first17 string) string { return first17 + string(spoken.IDCheckDigit(first17)) }

var goodID = validID("61010319530305001")

func wrongCheck(id string) string {
	if id[17] == '1' {
		return id[:17] + "2"
	}
	return id[:17] + "1"
}

// Bad input: each refused value is asked again, saying what was wrong in one short sentence,
// and nothing is kept.
func TestBadInputAskedAgain(t *testing.T) {
	cases := []struct {
		name, field string
		before      []string
		say         string
		problem     string
	}{
		{"ID with a wrong check digit", "id_number", nil, wrongCheck(goodID), "idcard_check"},
		{"ID with a birth date in the future", "id_number", nil, validID("61010320300101001"), "idcard_birth"},
		{"10-digit phone number", "phone", []string{goodID, "对"}, "1381234567", "phone_length"},
		{"bank card failing Luhn", "card", []string{goodID, "对", "13812345678", "对"}, "6217001234567890123", "bankcard_check"},
		{"birth month in the future", "birth", []string{goodID, "对", "13812345678", "对", luhn("621700123456789012"), "对"}, "2027年5月", "field_rule"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, dbtest.SQLite(t), nil)
			r.say(t, "我要办测试登记")
			for _, b := range tc.before {
				r.say(t, b)
			}
			rep := r.say(t, tc.say)
			if rep.Problem != tc.problem {
				t.Errorf("problem %q, want %q (%q)", rep.Problem, tc.problem, rep.Text)
			}
			if rep.Frame.Field == nil || rep.Frame.Field.Name != tc.field {
				t.Fatalf("field asked %+v, want %s again", rep.Frame.Field, tc.field)
			}
			ss := splitSentences(rep.Text)
			if len(ss) != 2 || !strings.HasSuffix(ss[1], "？") || runeLen(ss[0]) > maxSentence {
				t.Errorf("want one short reason and the question, got %q", rep.Text)
			}
			for _, v := range rep.Frame.Values {
				if v.Name == tc.field {
					t.Errorf("refused value kept: %+v", v)
				}
			}
		})
	}
}

func luhn(d string) string { return d + string(spoken.LuhnDigit(d)) }

// Two refused tries at one field offer a person: 12333 and the office's hours.
func TestTwoFailuresOfferHotline(t *testing.T) {
	r := newRig(t, dbtest.SQLite(t), nil)
	r.say(t, "我要办测试登记")
	if rep := r.say(t, wrongCheck(goodID)); rep.Handoff != nil {
		t.Fatalf("handoff after one failure: %q", rep.Text)
	}
	rep := r.say(t, wrongCheck(goodID))
	if rep.Handoff == nil || rep.Handoff.Phone != "12333" || rep.Handoff.Reason != "repeated_failure" {
		t.Fatalf("no handoff after two failures: %+v", rep)
	}
	if !strings.Contains(rep.Text, "12333") || !strings.Contains(rep.Text, "9:00-12:00") || rep.Frame.Field.Name != "id_number" {
		t.Errorf("reply %q field %+v", rep.Text, rep.Frame.Field)
	}
	// A good value afterwards is taken as usual.
	if rep := r.say(t, goodID); rep.Problem != "" || !strings.Contains(rep.Text, "对吗") {
		t.Errorf("after the offer: %q", rep.Text)
	}
}

// A person half-way when the form is published anew finishes on the version they started; a
// new session starts on the new version.
func TestVersionPinned(t *testing.T) {
	r := newRig(t, dbtest.SQLite(t), nil)
	r.say(t, "我要办测试登记")
	r.say(t, goodID)
	r.say(t, "对")
	v2 := testForm()
	v2.Fields = append([]content.Field{{Key: "extra", Type: content.FieldText, Label: "新增项", Required: true}}, v2.Fields...)
	r.forms.publish(v2)
	r.finish(t, "13812345678", "对", luhn("621700123456789012"), "对", "1953年3月", "对", "跳过")
	if len(r.subs.subs) != 1 || r.subs.subs[0].Version != 1 {
		t.Fatalf("submitted %+v, want version 1", r.subs.subs)
	}
	if _, ok := r.subs.subs[0].Values["extra"]; ok {
		t.Errorf("a field of version 2 was submitted on version 1")
	}
	rep := r.say(t, "我要办测试登记")
	if rep.Frame.Version != 2 || rep.Frame.Field.Name != "extra" {
		t.Errorf("new session on version %d asking %+v", rep.Frame.Version, rep.Frame.Field)
	}
}

// finish says the given answers and then yes through the summary until submitted.
func (r *rig) finish(t *testing.T, answers ...string) Reply {
	t.Helper()
	var rep Reply
	for _, a := range answers {
		rep = r.say(t, a)
	}
	for i := 0; i < 6 && rep.Frame.State == StateConfirming; i++ {
		rep = r.say(t, "对")
	}
	if rep.Frame.State != StateSubmitted {
		t.Fatalf("not submitted: %q %+v", rep.Text, rep.Frame)
	}
	return rep
}

// fakeProposer proposes a fixed command, as a model would.
type fakeProposer struct{ cmd Command }

func (f *fakeProposer) Propose(context.Context, Question) (Command, bool, error) {
	return f.cmd, f.cmd.Op != "", nil
}

// A model's proposals are checked like any other: a field that does not exist, a value of the
// wrong type, or confirm before anything was read back is refused, nothing changes and the
// question is asked again.
func TestModelProposalsRefused(t *testing.T) {
	cases := []struct {
		name string
		cmd  Command
	}{
		{"unknown field", Command{Op: OpSet, Field: "salary", Value: "3000"}},
		{"field not asked", Command{Op: OpSet, Field: "card", Value: "6217001234567890128"}},
		{"wrong type", Command{Op: OpSet, Field: "birth", Value: "张三"}},
		{"confirm before the read-back", Command{Op: OpConfirm}},
		{"unknown op", Command{Op: "submit"}},
		{"skip a required field", Command{Op: OpSkip, Field: "id_number"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProposer{}
			r := newRig(t, dbtest.SQLite(t), p)
			r.upToBirth(t) // now asking birth, nothing read back
			p.cmd = tc.cmd
			rep := r.say(t, "嗯那个我想想")
			if rep.By != "model" {
				t.Fatalf("the proposer was not asked: %+v", rep)
			}
			if tc.cmd.Op != OpSkip && !rep.Refused && rep.Problem == "" {
				t.Errorf("accepted: %q", rep.Text)
			}
			if rep.Frame.State != StateAsking || rep.Frame.Field == nil || rep.Frame.Field.Name != "birth" {
				t.Errorf("state %s field %+v: want birth asked again", rep.Frame.State, rep.Frame.Field)
			}
			if !strings.HasSuffix(rep.Text, "？") || len(rep.Frame.Values) != 3 {
				t.Errorf("reply %q values %+v", rep.Text, rep.Frame.Values)
			}
		})
	}
}

// With a model, a valid proposal is applied after Go reads its value; a personal number is
// read from what was said, never from the model (which saw it masked).
func TestModelProposalApplied(t *testing.T) {
	p := &fakeProposer{}
	r := newRig(t, dbtest.SQLite(t), p)
	r.say(t, "我要办测试登记")
	r.say(t, goodID)
	r.say(t, "对")
	r.say(t, "13812345678")
	r.say(t, "对") // asking the card
	p.cmd = Command{Op: OpCorrect, Field: "phone", Value: "[手机号]"}
	rep, _, err := r.e.Turn(context.Background(), r.who, "刚才那个号码说错了，应该是13912345678", "刚才那个号码说错了，应该是[手机号]")
	if err != nil {
		t.Fatal(err)
	}
	if rep.By != "model" || rep.Refused || !strings.Contains(rep.Text, "139****5678，对吗？") || rep.Frame.Field.Name != "phone" {
		t.Fatalf("reply %+v", rep)
	}
	p.cmd = Command{} // the rules read the rest
	rep = r.say(t, "对")
	if rep.Frame.Field.Name != "card" {
		t.Errorf("after the correction the form goes on at %+v", rep.Frame.Field)
	}
}

// A form session survives a restart and is resumed from another chat (another device), on
// SQLite and PostgreSQL.
func TestResumeAfterRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRig(t, d, nil)
		r.say(t, "我要办测试登记")
		r.say(t, goodID)
		r.say(t, "对")
		r.say(t, "13812345678")
		r2 := newRig(t, d, nil) // a new engine on the same database: the server restarted
		r2.who.Chat = "c2"
		rep := r2.say(t, "再说一遍")
		if !strings.Contains(rep.Text, "接着填测试登记") || !strings.Contains(rep.Text, "138****5678，对吗？") {
			t.Errorf("resume: %q", rep.Text)
		}
		rep = r2.finish(t, "对", luhn("621700123456789012"), "对", "五三年三月", "对", "跳过")
		if got := r2.subs.subs[0].Values; got["id_number"] != goodID || got["birth"] != "1953-03" || got["phone"] != "13812345678" {
			t.Errorf("submitted %v", got)
		}
		if rep.Frame.ApplicationID != "A1" {
			t.Errorf("application id %q", rep.Frame.ApplicationID)
		}
	})
}

// Anonymous people are asked to sign in; questions about a service are not taken for a start.
func TestStartNeedsSignInAndIntent(t *testing.T) {
	r := newRig(t, dbtest.SQLite(t), nil)
	rep, ok, err := r.e.Turn(context.Background(), Who{Chat: "c9"}, "我要办测试登记", "我要办测试登记")
	if err != nil || !ok || !strings.Contains(rep.Text, "登录") {
		t.Errorf("anonymous start: %v %v %q", ok, err, rep.Text)
	}
	if _, ok, _ := r.e.Turn(context.Background(), r.who, "测试登记要带什么材料？", "测试登记要带什么材料？"); ok {
		t.Errorf("a question was taken for a start")
	}
}

// Cancel ends the form without submitting; explain cites the guide and asks again.
func TestCancelAndExplain(t *testing.T) {
	r := newRig(t, dbtest.SQLite(t), nil)
	r.upToBirth(t)
	rep := r.say(t, "出生年月是什么意思")
	if len(rep.Citations) != 1 || rep.Citations[0].Code != "G-1" || rep.Citations[0].Element != "materials" ||
		!strings.HasPrefix(rep.Text, "身份证上的出生年月。") || rep.Frame.Field.Name != "birth" {
		t.Errorf("explain: %q %+v", rep.Text, rep.Citations)
	}
	rep = r.say(t, "不办了")
	if rep.Frame.State != StateCancelled || len(r.subs.subs) != 0 {
		t.Errorf("cancel: %+v", rep.Frame)
	}
	if _, ok, _ := r.e.Turn(context.Background(), r.who, "对", "对"); ok {
		t.Errorf("a cancelled form still answers")
	}
}

// A question of the person's own is not a refused answer: it is put off, the field asked
// again, and it never brings the 12333 offer for failures.
func TestQuestionMidFormIsNotAFailure(t *testing.T) {
	r := newRig(t, dbtest.SQLite(t), nil)
	r.say(t, "我要办测试登记")
	for i := 0; i < 2; i++ {
		rep := r.say(t, "要带户口本吗？")
		if rep.Problem != "question" || rep.Handoff != nil || rep.Frame.Field.Name != "id_number" ||
			!strings.HasPrefix(rep.Text, "您的问题请等表填完再问我。") {
			t.Fatalf("try %d: %+v", i+1, rep)
		}
	}
	if rep := r.say(t, wrongCheck(goodID)); rep.Handoff != nil {
		t.Errorf("questions counted as failures: %q", rep.Text)
	}
}
