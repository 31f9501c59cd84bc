package formflow

import (
	"context"
	"fmt"
	"strings"

	"shebao/content"
)

// Who is the person and the chat a turn comes from.
type Who struct {
	Subject string // the signed-in person; empty for an anonymous chat
	Chat    string // the chat session
}

// Reply is the outcome of one form turn: what is said and the form frame.
type Reply struct {
	Text      string
	Frame     Frame
	Citations []Citation
	Handoff   *Handoff
	// Refused reports that a proposed command was refused (invalid for the form or the state).
	Refused bool
	// Problem is the code of the reason a value was refused, if one was.
	Problem string
	// By says who proposed the command: rules or model.
	By string
}

// Frame is the form frame of PROTOCOL.md.
type Frame struct {
	Code          string  `json:"code"`
	Version       int     `json:"version"`
	Title         string  `json:"title"`
	State         string  `json:"state"`
	Field         *Field  `json:"field,omitempty"`
	Progress      [2]int  `json:"progress"`
	Values        []Value `json:"values,omitempty"`
	ApplicationID string  `json:"application_id,omitempty"`
}

// Field is the field asked, as the frame shows it.
type Field struct {
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Kind     string   `json:"kind"`
	Required bool     `json:"required"`
	Options  []Option `json:"options,omitempty"`
	Hint     string   `json:"hint,omitempty"`
}

// Option is one choice of a choice field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Value is an answer, masked when personal.
type Value struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// Citation names the guide element an explanation comes from.
type Citation struct {
	Code    string
	Title   string
	Element string
}

// Handoff offers a person: the hotline and why.
type Handoff struct {
	Phone  string
	Reason string // requested, repeated_failure
}

// Hotline is the social-insurance hotline.
const Hotline = "12333"

// kinds maps field types to the frame's kinds.
var kinds = map[content.FieldType]string{
	content.FieldText: "text", content.FieldNumber: "number", content.FieldDate: "date",
	content.FieldYearMonth: "month", content.FieldChoice: "choice", content.FieldYesNo: "yes_no",
	content.FieldIDNumber: "id_card", content.FieldPhone: "phone", content.FieldBankCard: "bank_card",
	content.FieldName: "name",
}

// Kind is the frame's kind of a field type.
func Kind(t content.FieldType) string { return kinds[t] }

// Turn runs one turn of the person's form, if they are filling one or ask to start one. handled
// false means the turn is not about a form and the chat answers it as usual. text is what the
// person said (unmasked: values are read from it); masked is the same with personal data
// masked, the only form a proposer sees.
func (e *Engine) Turn(ctx context.Context, who Who, text, masked string) (r Reply, handled bool, err error) {
	var sess *Session
	if who.Subject != "" {
		if sess, err = e.store.active(ctx, who.Subject); err != nil {
			return Reply{}, false, err
		}
	}
	if sess == nil {
		f, err := e.wantsForm(ctx, masked)
		if err != nil || f == nil {
			return Reply{}, false, err
		}
		if who.Subject == "" {
			return Reply{Text: saySignIn + saySignInAsk, Frame: Frame{Code: f.Code, Version: f.Version, Title: f.Title, State: StateCancelled}}, true, nil
		}
		return e.start(ctx, who, f)
	}
	f, err := e.form(ctx, sess.Code, sess.Version)
	if err != nil {
		return Reply{}, false, fmt.Errorf("form %s v%d: %w", sess.Code, sess.Version, err)
	}
	var intro []string
	if sess.Chat != who.Chat {
		intro = append(intro, sayResume(f.Title))
		sess.Chat = who.Chat
	}
	cmd := readCommand(sess, f, text)
	by := "rules"
	if e.opts.Proposer != nil && cmd.Op == OpSet && !e.answers(sess, f, text) {
		q := Question{Form: f, Field: sess.Field, ReadBack: sess.Pending != nil, Summary: sess.State == StateConfirming, Utterance: masked}
		if c, ok, perr := e.opts.Proposer.Propose(ctx, q); perr != nil {
			e.log.Warn("form proposer failed", "form", f.Code, "err", perr)
		} else if ok {
			cmd, by = c, "model"
			if personal(f, cmd.Field) && (cmd.Op == OpSet || cmd.Op == OpCorrect) {
				// The model saw the number masked: the value is read from what was said.
				cmd.Value = text
			}
		}
	}
	r = e.apply(ctx, sess, f, cmd)
	r.By = by
	if countSentences(r.Text) <= 2 { // the reminder must not push the question past two sentences
		r.Text = join(intro...) + r.Text
	}
	sess.Turns++
	if err := e.store.save(ctx, sess, e.now()); err != nil {
		return Reply{}, false, err
	}
	e.log.Info("form turn", "form", f.Code, "version", f.Version, "session", sess.ID[:10], "op", string(cmd.Op),
		"by", by, "field", cmd.Field, "state", sess.State, "refused", r.Refused, "problem", r.Problem)
	return r, true, nil
}

// answers reports whether the utterance reads as a valid answer to the field asked, so that
// a proposer is only asked about what the rules do not understand.
func (e *Engine) answers(sess *Session, f *content.Form, text string) bool {
	fl := fieldOf(f, sess.Field)
	if fl == nil {
		return false
	}
	_, err := readValue(*fl, text, e.today())
	return err == nil
}

func personal(f *content.Form, key string) bool {
	fl := fieldOf(f, key)
	return fl != nil && fl.Type.Personal()
}

// start opens a new form session on the latest published version and asks the first field.
func (e *Engine) start(ctx context.Context, who Who, f *content.Form) (Reply, bool, error) {
	now := e.now()
	sess := &Session{ID: newFormSessionID(), Subject: who.Subject, Chat: who.Chat, Code: f.Code, Version: f.Version,
		State: StateAsking, Values: map[string]string{}, CreatedAt: now}
	r := e.advance(ctx, sess, f, sayStart(f.Title))
	sess.Turns = 1
	if err := e.store.save(ctx, sess, now); err != nil {
		return Reply{}, false, err
	}
	e.log.Info("form started", "form", f.Code, "version", f.Version, "session", sess.ID[:10])
	return r, true, nil
}

// apply checks a command against the form and the session's state and applies it. Whatever
// proposed it, an invalid command changes nothing and the question is asked again.
func (e *Engine) apply(ctx context.Context, sess *Session, f *content.Form, cmd Command) Reply {
	refuse := func() Reply {
		r := e.ask(ctx, sess, f, sayRefused)
		r.Refused = true
		return r
	}
	known := false
	for _, op := range Ops {
		known = known || op == cmd.Op
	}
	if !known {
		return refuse()
	}
	var fl *content.Field
	if cmd.Field != "" {
		if fl = fieldOf(f, cmd.Field); fl == nil || !visible(*fl, sess.Values) {
			return refuse()
		}
	}
	switch cmd.Op {
	case OpCancel:
		sess.State, sess.Pending = StateCancelled, nil
		return e.frameReply(sess, f, nil, sayCancelled+sayCancelledEnd)
	case OpHandoff:
		r := e.ask(ctx, sess, f, sayHotline(e.hours(ctx, f))+sayHandoffKeep)
		r.Handoff = &Handoff{Phone: Hotline, Reason: "requested"}
		return r
	case OpRepeat:
		return e.ask(ctx, sess, f, "")
	case OpExplain:
		return e.explain(ctx, sess, f, fl)
	case OpBack:
		return e.back(ctx, sess, f)
	case OpSkip:
		if sess.State != StateAsking || fl == nil || cmd.Field != sess.Field {
			return refuse()
		}
		if fl.Required {
			return e.ask(ctx, sess, f, sayMustAnswer)
		}
		commit(sess, fl.Key, "")
		return e.advance(ctx, sess, f, saySkipped)
	case OpConfirm:
		switch {
		case sess.State == StateConfirming:
			return e.confirmPage(ctx, sess, f)
		case sess.Pending != nil:
			commit(sess, sess.Field, sess.Pending.Value)
			return e.advance(ctx, sess, f, sayNoted)
		}
		return refuse() // nothing was read back: there is nothing to say yes to
	case OpDeny:
		switch {
		case sess.State == StateConfirming:
			return e.say(sess, f, sayWhichItem)
		case sess.Pending != nil:
			if fl := fieldOf(f, sess.Field); fl != nil && cmd.Value != "" {
				if v, err := readValue(*fl, cmd.Value, e.today()); err == nil {
					return e.readBack(sess, f, *fl, v)
				}
			}
			sess.Pending = nil
			return e.ask(ctx, sess, f, sayAskAgain)
		}
		return refuse()
	case OpSet:
		if sess.State != StateAsking || fl == nil || cmd.Field != sess.Field {
			return refuse()
		}
		return e.take(ctx, sess, f, *fl, cmd.Value, "")
	case OpCorrect:
		if fl == nil {
			return refuse()
		}
		if cmd.Field == sess.Field && sess.State == StateAsking {
			// A new value for the value read back (“不对，是五三年的”), or no value: ask again.
			if sess.Pending != nil && (fl.Type == content.FieldDate || fl.Type == content.FieldYearMonth) {
				if _, err := readValue(*fl, cmd.Value, e.today()); err != nil {
					if v, err2 := readValue(*fl, withPendingMonth(cmd.Value, sess.Pending.Value), e.today()); err2 == nil {
						return e.readBack(sess, f, *fl, v)
					}
				}
			}
			if sess.Pending != nil {
				if c := yesNo(cmd.Value); c.Op == OpDeny {
					if _, err := readValue(*fl, cmd.Value, e.today()); err != nil {
						sess.Pending = nil
						return e.ask(ctx, sess, f, sayAskAgain)
					}
				}
			}
			return e.take(ctx, sess, f, *fl, cmd.Value, "")
		}
		if _, answered := sess.Values[cmd.Field]; !answered {
			return refuse()
		}
		// An earlier field: it is asked again, and the form then goes on where it was.
		delete(sess.Values, cmd.Field)
		sess.Order = removeKey(sess.Order, cmd.Field)
		sess.State, sess.Field, sess.Pending, sess.Fails, sess.Page, sess.Read = StateAsking, cmd.Field, nil, 0, 0, false
		if cmd.Value != "" {
			if v, err := readValue(*fl, cmd.Value, e.today()); err == nil {
				return e.readBack(sess, f, *fl, v)
			}
		}
		return e.ask(ctx, sess, f, sayCorrect(*fl))
	}
	return refuse()
}

// take reads a value for the field asked: read back if understood, otherwise the reason and
// the question again — with a person offered after maxFails tries.
func (e *Engine) take(ctx context.Context, sess *Session, f *content.Form, fl content.Field, text, prefix string) Reply {
	v, err := readValue(fl, text, e.today())
	if err != nil && looksLikeQuestion(text) {
		// A question of their own is not a wrong answer: it waits until the form is done.
		sess.Pending = nil
		r := e.ask(ctx, sess, f, sayQuestionLater)
		r.Problem = "question"
		return r
	}
	if err != nil {
		sess.Fails++
		sess.Pending = nil
		problem := problemText(err)
		if sess.Fails >= maxFails {
			sess.Fails = 0
			r := e.say(sess, f, problem+sayHotline(e.hours(ctx, f))+sayAgain(fl))
			r.Handoff = &Handoff{Phone: Hotline, Reason: "repeated_failure"}
			r.Problem = problemCode(err)
			return r
		}
		r := e.ask(ctx, sess, f, problem)
		r.Problem = problemCode(err)
		return r
	}
	if fl.Type == content.FieldYesNo {
		// A yes or a no is its own read-back: said back, and the form goes on.
		commit(sess, fl.Key, v)
		return e.advance(ctx, sess, f, "记下了："+display(fl, v)+"。")
	}
	return e.readBack(sess, f, fl, v)
}

// readBack asks whether a value was heard right.
func (e *Engine) readBack(sess *Session, f *content.Form, fl content.Field, v string) Reply {
	sess.Pending = &Pending{Value: v}
	sess.Fails = 0
	return e.say(sess, f, readBack(fl, display(fl, v)))
}

// advance goes to the next field to ask — offering the profile's value where the field says
// so — or to the summary when every field is answered.
func (e *Engine) advance(ctx context.Context, sess *Session, f *content.Form, prefix string) Reply {
	prune(f, sess)
	next := nextField(f, sess.Values)
	if next == nil {
		sess.State, sess.Field, sess.Pending, sess.Page, sess.Read = StateConfirming, "", nil, 0, false
		return e.summaryPage(sess, f, prefix)
	}
	sess.State, sess.Field, sess.Pending, sess.Fails = StateAsking, next.Key, nil, 0
	if next.Prefill != "" && e.opts.Profiles != nil && sess.Subject != "" {
		vals, err := e.opts.Profiles.ProfileValues(ctx, sess.Subject)
		if err != nil {
			e.log.Warn("profile values", "err", err)
		} else if pv, ok := vals[next.Prefill]; ok && pv.Value != "" {
			if _, err := readValue(*next, pv.Value, e.today()); err == nil {
				sess.Pending = &Pending{Value: pv.Value, Prefilled: true}
				d := pv.Display
				if d == "" {
					d = display(*next, pv.Value)
				}
				return e.say(sess, f, prefix+readBackPrefill(*next, d))
			}
		}
	}
	return e.ask(ctx, sess, f, prefix)
}

// ask says prefix and then the question of the current state again.
func (e *Engine) ask(ctx context.Context, sess *Session, f *content.Form, prefix string) Reply {
	switch sess.State {
	case StateConfirming:
		return e.showPage(sess, f, prefix)
	case StateAsking:
	default:
		return e.say(sess, f, prefix)
	}
	fl := fieldOf(f, sess.Field)
	if fl == nil {
		return e.advance(ctx, sess, f, prefix)
	}
	if sess.Pending != nil {
		d := display(*fl, sess.Pending.Value)
		if sess.Pending.Prefilled {
			return e.say(sess, f, prefix+readBackPrefill(*fl, d))
		}
		return e.say(sess, f, prefix+readBack(*fl, d))
	}
	q := askField(*fl)
	if fl.Type == content.FieldChoice && strings.Contains(q, "第几个") && countSentences(prefix) < 2 {
		prefix += sayOptionsShown(*fl)
	}
	return e.say(sess, f, prefix+q)
}

// looksLikeQuestion reports whether the person asked something instead of answering.
func looksLikeQuestion(text string) bool {
	t := strings.TrimSpace(text)
	return strings.HasSuffix(t, "？") || strings.HasSuffix(t, "?") || strings.HasSuffix(t, "吗") ||
		containsAny(t, []string{"怎么", "为什么", "多少钱", "多久", "哪里办", "能不能", "可不可以"})
}

func countSentences(s string) int { return len(splitSentences(s)) }

// summaryPage opens the summary: the first page (two sentences at most) after prefix when both
// fit in two sentences, otherwise prefix and a question before the first page.
func (e *Engine) summaryPage(sess *Session, f *content.Form, prefix string) Reply {
	pages := summaryPages(f, sess.Values)
	if countSentences(prefix)+len(pages[0]) <= 2 {
		sess.Page, sess.Read = 0, len(pages) == 1
		return e.say(sess, f, prefix+strings.Join(pages[0], "")+summaryQuestion(sess))
	}
	sess.Page, sess.Read = -1, false
	return e.say(sess, f, prefix+sayReadSummary)
}

// showPage says the summary page sess.Page (or the opening question before the first).
func (e *Engine) showPage(sess *Session, f *content.Form, prefix string) Reply {
	pages := summaryPages(f, sess.Values)
	if sess.Page < 0 {
		return e.say(sess, f, prefix+sayReadSummary)
	}
	sess.Page = min(sess.Page, len(pages)-1)
	sess.Read = sess.Page == len(pages)-1
	if countSentences(prefix)+len(pages[sess.Page]) > 2 {
		prefix = ""
	}
	return e.say(sess, f, prefix+strings.Join(pages[sess.Page], "")+summaryQuestion(sess))
}

// summaryQuestion is the question after a summary page.
func summaryQuestion(sess *Session) string {
	if sess.Read {
		return sayConfirmAll
	}
	return sayNextPage
}

// confirmPage moves through the summary on yes, and submits after the last page was read.
func (e *Engine) confirmPage(ctx context.Context, sess *Session, f *content.Form) Reply {
	if sess.Read {
		return e.submit(ctx, sess, f)
	}
	sess.Page++
	return e.showPage(sess, f, "")
}

// submit sends the confirmed form through the Submitter.
func (e *Engine) submit(ctx context.Context, sess *Session, f *content.Form) Reply {
	if e.opts.Submitter == nil {
		return e.say(sess, f, sayNoSubmitter+sayCallHotline)
	}
	values := map[string]string{}
	for _, fl := range f.Fields {
		if v, ok := sess.Values[fl.Key]; ok && visible(fl, sess.Values) {
			values[fl.Key] = v
		}
	}
	rc, err := e.opts.Submitter.Submit(ctx, Submission{Form: f.Code, Version: f.Version, Values: values, Subject: sess.Subject, Session: sess.ID})
	if err != nil {
		e.log.Error("form submission failed", "form", f.Code, "session", sess.ID[:10], "err", err)
		return e.say(sess, f, sayNotSubmitted+sayRetrySubmit)
	}
	sess.State, sess.ApplicationID, sess.NextStep = StateSubmitted, rc.ApplicationID, rc.NextStep
	return e.say(sess, f, saySubmitted(rc.ApplicationID)+rc.NextStep)
}

// back goes to the field answered last and reads its value back.
func (e *Engine) back(ctx context.Context, sess *Session, f *content.Form) Reply {
	if len(sess.Order) == 0 {
		return e.ask(ctx, sess, f, sayNothingBack)
	}
	key := sess.Order[len(sess.Order)-1]
	fl := fieldOf(f, key)
	old := sess.Values[key]
	delete(sess.Values, key)
	sess.Order = sess.Order[:len(sess.Order)-1]
	sess.State, sess.Field, sess.Fails, sess.Page, sess.Read = StateAsking, key, 0, 0, false
	sess.Pending = nil
	if old != "" && fl.Type != content.FieldYesNo {
		sess.Pending = &Pending{Value: old}
	}
	return e.ask(ctx, sess, f, sayBack(*fl))
}

// explain reads the help of the field asked (or named), cites the guide, and asks again.
func (e *Engine) explain(ctx context.Context, sess *Session, f *content.Form, fl *content.Field) Reply {
	if fl == nil {
		fl = fieldOf(f, sess.Field)
	}
	if fl == nil || fl.Help == "" {
		return e.ask(ctx, sess, f, sayNoExplain)
	}
	r := e.ask(ctx, sess, f, strings.Join(sayExplain(fl.Help), ""))
	el := fl.HelpFrom
	if el == "" {
		el = "summary"
	}
	title := f.Title
	if g, err := e.opts.Guides.Guide(ctx, f.Guide); err == nil {
		title = g.Name
	}
	r.Citations = []Citation{{Code: f.Guide, Title: title, Element: el}}
	return r
}

// hours is the office hours of the form's guide, or "".
func (e *Engine) hours(ctx context.Context, f *content.Form) string {
	g, err := e.opts.Guides.Guide(ctx, f.Guide)
	if err != nil || len(g.Locations) == 0 {
		return ""
	}
	return g.Locations[0].Hours
}

// say is a reply with the current frame.
func (e *Engine) say(sess *Session, f *content.Form, text string) Reply {
	return e.frameReply(sess, f, nil, text)
}

func (e *Engine) frameReply(sess *Session, f *content.Form, _ *content.Field, text string) Reply {
	fr := Frame{Code: f.Code, Version: f.Version, Title: f.Title, State: sess.State, Progress: progress(f, sess.Values),
		ApplicationID: sess.ApplicationID}
	if sess.State == StateAsking {
		if fl := fieldOf(f, sess.Field); fl != nil {
			ff := &Field{Name: fl.Key, Label: fl.Label, Kind: Kind(fl.Type), Required: fl.Required, Hint: hint(*fl)}
			for _, o := range fl.Options {
				ff.Options = append(ff.Options, Option{Value: o.Value, Label: o.Label})
			}
			fr.Field = ff
		}
	}
	for _, fl := range f.Fields {
		if v, ok := sess.Values[fl.Key]; ok && visible(fl, sess.Values) {
			fr.Values = append(fr.Values, Value{Name: fl.Key, Label: fl.Label, Value: frameValue(fl, v)})
		}
	}
	return Reply{Text: text, Frame: fr}
}

// hint is the example shown under a field.
func hint(fl content.Field) string {
	switch fl.Type {
	case content.FieldDate:
		return "例如 1953年3月5日"
	case content.FieldYearMonth:
		return "例如 1953年3月"
	case content.FieldPhone:
		return "11位手机号"
	case content.FieldIDNumber:
		return "18位身份证号"
	case content.FieldBankCard:
		return "卡面上的16到19位数字"
	}
	return ""
}
