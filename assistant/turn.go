package assistant

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"shebao/content"
	"shebao/internal/beijing"
	"shebao/internal/pii"
	policy "shebao/internal/retirement"
)

// errDuplicate means a message id was already received in the session.
var errDuplicate = errors.New("duplicate message id")

// errEmpty means the message had no text after sanitising.
var errEmpty = errors.New("empty message")

// Answer runs one turn in process — the same pipeline as a chat message, without a connection —
// and returns the answer, which is also stored in the session's event log. An empty sessionID
// starts a new session; Answer.SessionID names it.
func (s *Service) Answer(ctx context.Context, sessionID, text string) (Answer, error) {
	sess, _, err := s.openSessionTrusted(ctx, sessionID)
	if err != nil {
		return Answer{}, err
	}
	sess.mu.Lock()
	if sess.turn != nil {
		sess.mu.Unlock()
		return Answer{}, errors.New("assistant: a turn is already running in this session")
	}
	ctx, cancel := context.WithTimeout(ctx, s.limits.TurnTimeout)
	defer cancel()
	at := &activeTurn{msgID: "local-" + newSessionID()[2:14], cancel: cancel}
	sess.turn = at
	sess.mu.Unlock()
	defer sess.endTurn(at)
	a, err := s.runTurn(ctx, sess, at, text, nil)
	a.SessionID = sess.id
	return a, err
}

// openSessionTrusted opens a session for an in-process caller, whoever owns it.
func (s *Service) openSessionTrusted(ctx context.Context, id string) (*session, bool, error) {
	if id != "" {
		s.mu.Lock()
		sess := s.sessions[id]
		s.mu.Unlock()
		if sess != nil {
			return sess, true, nil
		}
		if row, err := s.store.session(ctx, id); err == nil {
			return s.openSession(ctx, id, row.Subject)
		}
	}
	return s.openSession(ctx, id, "")
}

// runTurn is the pipeline: sanitise → mask → route → retrieve → compose → check → emit. stream
// receives deltas as they are ready; it may be nil.
func (s *Service) runTurn(ctx context.Context, sess *session, at *activeTurn, text string, stream func(string)) (Answer, error) {
	msgID := at.msgID
	start := time.Now()
	san := Sanitize(text)
	masked := pii.Mask(san.Text)
	if san.Text == "" && san.Hidden == "" {
		return Answer{}, errEmpty
	}
	// Message ids are checked in memory (loaded from the store with the session) and the message
	// is stored with its answer: nothing is written before the answer is composed.
	sess.mu.Lock()
	fresh := sess.markSeen(msgID)
	st := sess.state
	sess.mu.Unlock()
	if !fresh {
		return Answer{}, errDuplicate
	}

	t := &turn{svc: s, ctx: ctx, state: &st, san: san, masked: masked, stream: stream, sessID: sess.id, subject: sess.subject}
	a := t.respond()
	if errors.Is(ctx.Err(), context.Canceled) {
		return Answer{}, ctx.Err() // cancelled by the user or by shutdown: nothing is said
	}
	if st.ElderMode {
		a = shapeElder(a, &st)
	}
	if a.Speakable == "" {
		a.Speakable = Speakable(a.Text)
	}
	s.attachAudio(ctx, &st, &a)
	if a.Citations == nil {
		a.Citations = []Citation{}
	}
	if a.Suggestions == nil {
		a.Suggestions = []string{}
	}
	if stream != nil && !t.streamed && a.Text != "" {
		for _, part := range splitSentences(a.Text) {
			stream(part)
		}
	}

	sess.mu.Lock()
	sess.state = st
	sess.mu.Unlock()
	ev := &AnswerEvent{eventHeader: eventHeader{Type: EventAnswer}, ReplyTo: msgID, Route: a.Route, Text: a.Text,
		Citations: a.Citations, Speakable: a.Speakable, Suggestions: a.Suggestions, Asks: a.Asks,
		Voice: a.Voice, AudioURL: a.AudioURL, AudioError: a.AudioError}
	evs := []event{ev}
	if a.Handoff != nil {
		evs = append(evs, &HandoffEvent{eventHeader: eventHeader{Type: EventHandoff}, ReplyTo: msgID, Phone: a.Handoff.Phone, Reason: a.Handoff.Reason})
	}
	// The turn ends as its events are sent: a client that sends its next message as soon as it
	// has the answer must not be told the session is busy.
	if err := s.emit(ctx, sess, at, &receivedMessage{clientID: msgID, masked: masked.Text}, evs...); err != nil {
		sess.unmarkSeen(msgID)
		return a, err
	}
	a.Seq = ev.Seq
	s.log.Info("turn",
		"session", shortID(sess.id), "msg", msgID, "route", string(a.Route), "model", a.Model,
		"citations", citationCodes(a.Citations), "dropped", a.Dropped, "fell_back", a.FellBack,
		"pii", piiKinds(masked.Found), "chars", len([]rune(san.Text)), "ms", time.Since(start).Milliseconds())
	return a, nil
}

// turn holds what one run of the pipeline works on.
type turn struct {
	svc      *Service
	ctx      context.Context
	sessID   string
	subject  string // the signed-in person, "" if anonymous
	state    *sessionState
	san      Sanitized
	masked   pii.Masked
	stream   func(string)
	streamed bool // deltas were already sent while composing
}

// respond routes the message and builds the answer.
func (t *turn) respond() Answer {
	s, text := t.svc, t.masked.Text
	hidden := pii.String(t.san.Hidden)
	if t.san.Hidden != "" || IsInjection(text) {
		t.state.Pending = nil
		s.log.Warn("injection attempt", "session", shortID(t.sessID), "hidden_tag_text", t.san.Hidden != "",
			"text", excerpt(text, 80), "hidden", excerpt(hidden, 80))
		return Answer{Route: RouteInjection, Text: replyInjection, Suggestions: startSuggestions}
	}
	if IsDistress(text) {
		t.state.Pending = nil
		s.log.Warn("distress", "session", shortID(t.sessID))
		return Answer{Route: RouteDistress, Text: replyDistress, Handoff: &Handoff{Phone: Hotline, Reason: "distress"}}
	}
	if IsHandoffRequest(text) {
		t.state.Pending, t.state.More = nil, nil
		return Answer{Route: RouteHandoff, Text: replyHandoff, Handoff: &Handoff{Phone: Hotline, Reason: "requested"}}
	}
	if a, ok := t.voiceSettings(); ok {
		return a
	}
	if a, ok := t.continuation(); ok {
		return a
	}
	if a, ok := t.retirement(); ok {
		return a
	}
	switch {
	case IsAccountQuestion(text):
		return Answer{Route: RouteAccount, Text: replyAccount, Suggestions: accountSuggestions}
	case IsGreeting(text):
		return Answer{Route: RouteGreeting, Text: replyGreeting, Suggestions: startSuggestions}
	case IsOffTopic(text):
		return Answer{Route: RouteOutOfScope, Text: replyOutOfScope, Suggestions: startSuggestions}
	}
	return t.guide()
}

// retirement answers retirement-age questions, and answers to the question asked back.
func (t *turn) retirement() (Answer, bool) {
	now := beijing.In(t.svc.now())
	text := t.masked.Text
	facts := ParseRetirementFacts(text, now)
	if t.masked.Birth.Valid() && facts.Year == 0 {
		facts.Year, facts.Month = t.masked.Birth.Year, t.masked.Birth.Month
	}
	if t.masked.Male != nil && facts.Sex == "" {
		facts.Sex = map[bool]string{true: "male", false: "female"}[*t.masked.Male]
		facts = facts.resolve()
	}
	// "七二年五月的男职工，啥时候能退": a birth year and a person, with 退, is about retiring too.
	isQuestion := IsRetirementQuestion(text) ||
		strings.Contains(text, "退") && facts.Year != 0 && (facts.Sex != "" || facts.Signal != "")
	p := t.state.Pending
	switch {
	case p != nil:
		if m := parseMonthOnly(text); m != 0 && facts.Month == 0 {
			facts.Month = m
		}
		if !isQuestion && facts.empty() {
			t.state.Pending = nil // the user moved on
			return Answer{}, false
		}
		if !isQuestion {
			facts.Ask = ""
		}
		facts = p.merge(facts)
	case !isQuestion:
		return Answer{}, false
	}
	if facts.Ask == "" {
		facts.Ask = AskWhen
	}
	r := answerRetirement(facts, now)
	t.state.Pending = r.pending
	a := Answer{Route: RouteRetirement, Text: r.text, Asks: r.pending != nil, sources: r.sources}
	if len(r.sources) > 0 {
		a.Citations = append(a.Citations, t.decisionCitation(r.result))
		if g, err := t.svc.opts.Guides.Guide(t.ctx, RetirementGuideCode); err == nil {
			a.Citations = append(a.Citations, Citation{Code: g.Code, Title: g.Name, Element: string(ElemSummary), Label: ElemSummary.Label()})
		}
	}
	// Only computed figures and the provisions are sources of the figures said.
	if check := CheckNumbers(a.Text, r.sources...); !check.OK() {
		t.svc.log.Error("retirement answer has unsourced figures", "unsourced", figureTexts(check.Unsourced))
		a.Text, a.Dropped = check.Text, len(check.Dropped)
	}
	a.Suggestions = []string{"能提前退休吗？", "最低要交多少年？"}
	if r.result == nil {
		a.Suggestions = nil
	}
	return a, true
}

// decisionCitation cites the decision and the annexed table or article a result comes from.
func (t *turn) decisionCitation(r *policy.Retirement) Citation {
	title := "《" + policy.LawDecision + "》《" + policy.LawMeasures + "》"
	if r != nil && len(r.Basis) > 2 {
		title = "《" + policy.LawMeasures + "》" + r.Basis[2].Article
	}
	return Citation{Code: RetirementDecisionCode, Title: title, Element: string(ElemDecision), Label: ElemDecision.Label()}
}

// guide answers a question about a service guide.
func (t *turn) guide() Answer {
	s, text := t.svc, t.masked.Text
	elems := DetectElements(text)
	var hits []Hit
	if t.state.LastGuide != "" && len(elems) > 0 && followUp(text) {
		hits = []Hit{{Code: t.state.LastGuide, Score: 1}}
	} else {
		var err error
		hits, err = s.opts.Retriever.Retrieve(t.ctx, text, 3)
		if err != nil {
			s.log.Error("retrieve", "session", shortID(t.sessID), "err", err)
		}
	}
	var guides []content.Guide
	for _, h := range hits {
		g, err := s.opts.Guides.Guide(t.ctx, h.Code)
		if err != nil {
			s.log.Warn("retrieved guide not available", "code", h.Code, "err", err)
			continue
		}
		guides = append(guides, g)
	}
	if len(guides) == 0 {
		if !MentionsSocialInsurance(text) {
			return Answer{Route: RouteOutOfScope, Text: replyOutOfScope, Suggestions: startSuggestions}
		}
		t.state.Misses++
		if t.state.Misses >= 2 {
			t.state.Misses = 0
			return Answer{Route: RouteGuide, Text: replyRepeatedMiss, Handoff: &Handoff{Phone: Hotline, Reason: "no_answer"}}
		}
		return Answer{Route: RouteGuide, Text: replyNotFound, Suggestions: startSuggestions}
	}
	t.state.Misses = 0
	g := &guides[0]
	t.state.LastGuide = g.Code
	a := Answer{Route: RouteGuide, Suggestions: guideSuggestions(g, elems)}

	if s.model != nil {
		if c, ok := t.composeWithModel(guides, elems); ok {
			a.Text, a.Citations, a.Model, a.Dropped = c.Text, c.Citations, true, c.dropped
			if len(c.Suggestions) > 0 {
				a.Suggestions = c.Suggestions
			}
			return a
		}
		a.FellBack = true
	}
	c := ComposeExtractive(g, text, elems, t.state.ElderMode)
	check := CheckNumbers(c.Text, c.Sources...)
	if !check.OK() { // cannot happen for text taken from the element itself; kept as a guard
		s.log.Error("extractive answer has unsourced figures", "code", g.Code, "unsourced", figureTexts(check.Unsourced))
		c.Text = check.Text
		a.Dropped = len(check.Dropped)
	}
	a.Text, a.Citations = c.Text, c.Citations
	return a
}

// followUp reports whether a question names no topic of its own ("那要带什么材料？", "在哪里办"),
// so that it is about the guide of the previous turn.
func followUp(q string) bool {
	for _, ec := range elementCues {
		for _, c := range append(ec.strong, ec.weak...) {
			q = strings.ReplaceAll(q, c, "")
		}
	}
	n := 0
	for _, r := range q {
		if unicode.Is(unicode.Han, r) && !strings.ContainsRune(followUpFiller, r) {
			n++
		}
	}
	return n <= 1
}

const followUpFiller = "那这要需还呢吗啊呀的了我们您你请问就是个都也再又办理弄去到得可以能吧么什怎哪里儿些还有带准备样时候多少长间"

func excerpt(s string, n int) string {
	rs := []rune(s)
	if len(rs) > n {
		return string(rs[:n]) + "…"
	}
	return s
}

func citationCodes(cs []Citation) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Code+"#"+c.Element)
	}
	return strings.Join(parts, ",")
}

func piiKinds(ks []pii.Kind) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, string(k))
	}
	return strings.Join(parts, ",")
}

func figureTexts(fs []Figure) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Text)
	}
	return strings.Join(parts, ",")
}
