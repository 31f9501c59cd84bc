package assistant

import (
	"shebao/assistant/formflow"
	"shebao/content"
)

// RouteForm is a turn of a guided form: the reply is a form event.
const RouteForm Route = "form"

// form runs the turn through the guided-form engine when the person is filling a form or asks
// to start one. The engine reads values from the unmasked text; only masked text leaves it.
func (t *turn) form() (Answer, bool) {
	e := t.svc.opts.Forms
	if e == nil {
		return Answer{}, false
	}
	r, ok, err := e.Turn(t.ctx, formflow.Who{Subject: t.subject, Chat: t.sessID}, t.san.Text, t.masked.Text)
	if err != nil {
		t.svc.log.Error("form turn", "session", shortID(t.sessID), "err", err)
		return Answer{}, false
	}
	if !ok {
		return Answer{}, false
	}
	t.state.Pending = nil // a retirement question asked back is over once a form speaks
	asks := r.Frame.State == formflow.StateAsking || r.Frame.State == formflow.StateConfirming
	// The engine's phrasing already keeps the elder rules (formflow/phrasing.go): elder mode must
	// not cut a question about a value in two.
	a := Answer{Route: RouteForm, Text: r.Text, Asks: asks, form: &r, shaped: true}
	if asks {
		a.Suggestions = formSuggestions
	}
	for _, c := range r.Citations {
		a.Citations = append(a.Citations, Citation{Code: c.Code, Title: c.Title, Element: c.Element, Label: Element(c.Element).Label()})
	}
	if r.Handoff != nil {
		a.Handoff = &Handoff{Phone: r.Handoff.Phone, Reason: r.Handoff.Reason}
	}
	return a, true
}

// formSuggestions are the buttons under a form question: a person is always one tap away.
var formSuggestions = []string{"再说一遍", "这是什么意思", "转人工"}

// formEvent is the form frame of a form turn.
func formEvent(replyTo string, a Answer) *FormEvent {
	r := a.form
	st := FormState{Code: r.Frame.Code, Version: r.Frame.Version, Title: r.Frame.Title, State: r.Frame.State,
		Progress: r.Frame.Progress, ApplicationID: r.Frame.ApplicationID}
	if f := r.Frame.Field; f != nil {
		ff := &FormField{Name: f.Name, Label: f.Label, Kind: f.Kind, Required: f.Required, Hint: f.Hint}
		for _, o := range f.Options {
			ff.Options = append(ff.Options, FormOption{Value: o.Value, Label: o.Label})
		}
		st.Field = ff
	}
	for _, v := range r.Frame.Values {
		st.Values = append(st.Values, FormValue{Name: v.Name, Label: v.Label, Value: v.Value})
	}
	return &FormEvent{eventHeader: eventHeader{Type: EventForm}, ReplyTo: replyTo, Form: st, Text: a.Text,
		Speakable: a.Speakable, Citations: a.Citations, Suggestions: a.Suggestions}
}

// PublishedForms is what the guided forms need of content beyond FormVersion; content.Service
// has both.
var _ formflow.Forms = (*content.Service)(nil)
