package assistant

import (
	"context"
	"errors"
	"regexp"
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
	// Every answer ends with the offer of 12333; a streamed answer gets it as its last delta. In
	// elder mode the short offer keeps the one question last (withElderOffer).
	switch {
	case a.Route == RouteSettings, a.form != nil:
		// an acknowledgment of "说慢一点", or a form's one question (its 转人工 is on every
		// step and offered with 12333 after two failed tries): not an answer to add to
	case st.ElderMode:
		a.Text = withElderOffer(a.Text)
	default:
		offered := withOffer(a.Text, st.ElderMode)
		offer := strings.TrimPrefix(offered, strings.TrimSpace(a.Text))
		a.Text = offered
		if stream != nil && t.streamed && offer != "" {
			stream(offer)
		}
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
	var ev event = &AnswerEvent{eventHeader: eventHeader{Type: EventAnswer}, ReplyTo: msgID, Route: a.Route, Text: a.Text,
		Citations: a.Citations, Speakable: a.Speakable, Suggestions: a.Suggestions, Asks: a.Asks, NoAnswer: a.NoAnswer,
		Voice: a.Voice, AudioURL: a.AudioURL, AudioError: a.AudioError}
	if a.form != nil {
		ev = formEvent(msgID, a)
	}
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
	a.Seq = ev.header().Seq
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
	streamed bool      // deltas were already sent while composing
	onlyAsks []askKind // when set, the kinds of figure to answer (the rest are the person's own)
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
	if a, ok := t.form(); ok {
		return a
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
	if a, ok := t.personal(); ok {
		return a
	}
	hadPending := t.state.Pending != nil
	if a, ok := t.retirementUnlessOtherInsurance(hadPending); ok {
		// "今年退休人员的养老金涨多少", "提前退休值不值": the calculator cannot answer what will
		// happen or which choice pays off, and the guides do not say it.
		if ks := figureAsks(text); !hadPending && len(ks) == 1 && neverInGuides(ks[0]) {
			t.state.Pending = nil
			return t.guide()
		}
		// A question that mentions retiring but asks for a figure of a guide ("个人账户按几个月
		// 算", "离退休不足多久可以领到退休") is answered from the guide's passage when one answers
		// it; the calculator keeps the questions it can compute or must ask about.
		if !hadPending && (a.Asks || len(a.sources) == 0) && len(figureAsks(text)) > 0 &&
			ParseRetirementFacts(text, beijing.In(t.svc.now())).Year == 0 {
			st := *t.state
			// A figure beyond the calculator, or one a guide other than the retirement-age
			// guide holds plainly (退休金在最后参保地领要交满10年).
			// A question about the rule rather than the person's own retirement (最多能往后延
			// 几年) is answered by the rule too.
			if g := t.guide(); g.figure && (asksBeyondRetirement(figureAsks(text)) || beyondCalculator.MatchString(text) ||
				g.figureTopic >= 0.5 && len(g.Citations) > 0 && g.Citations[0].Code != RetirementGuideCode ||
				g.figureTopic >= 0.4 && !aboutOneself(text)) {
				t.state.Pending = nil
				return g
			} else if g.NoAnswer && asksBeyondRetirement(figureAsks(text)) {
				// the figure asked is beyond the calculator (公示几天, 计发月数) and no guide
				// gives it: the calculator's general answer would not say it either
				t.state.Pending = nil
				return g
			}
			*t.state = st
		}
		return a
	}
	switch {
	case IsAccountQuestion(text):
		// A question that starts from the person's own records but asks for something no
		// record holds (a time limit, a date, a phone number) is answered from the guides.
		ks := impersonalAsks(figureAsks(text))
		if len(ks) == 0 && gradesIn(text) != 0 {
			// a disability grade told (我评了五级伤残…给我发多少): the rule for that grade is in
			// the guides, not in the person's records
			ks = figureAsks(text)
		}
		if len(ks) > 0 {
			st := *t.state
			t.onlyAsks = ks // answer only what no record holds
			if g := t.guide(); g.figure {
				return g
			}
			t.onlyAsks = nil
			*t.state = st
		}
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
	follow := t.state.LastGuide != "" && len(elems) > 0 && followUp(text)
	if follow {
		hits = []Hit{{Code: t.state.LastGuide, Score: 1}}
	} else {
		var err error
		hits, err = s.opts.Retriever.Retrieve(t.ctx, text, retrieveGuides)
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
		t.unanswered(nil, text)
		t.state.Misses++
		if t.state.Misses >= 2 {
			t.state.Misses = 0
			return Answer{Route: RouteGuide, Text: replyRepeatedMiss, NoAnswer: true, Handoff: &Handoff{Phone: Hotline, Reason: "no_answer"}}
		}
		return Answer{Route: RouteGuide, Text: replyNotFound, NoAnswer: true, Suggestions: startSuggestions}
	}
	t.state.Misses = 0
	g := &guides[0]
	t.state.LastGuide = g.Code
	gps := make([]*guidePassages, len(guides))
	for i := range guides {
		gps[i] = s.passages.get(&guides[i])
	}
	q := newQuestion(text)
	if w, ok := s.opts.Retriever.(GuideWording); ok {
		q.alternate(w.GuideTerms(text))
	}
	if t.onlyAsks != nil {
		q.asks = t.onlyAsks
	}
	// Words are weighed by the retrieved guides alone: the linked ones added below are
	// candidates for the answer, not evidence of what the question is about.
	q.weigh(gps)
	if len(q.asks) > 0 && !follow {
		// A figure may be in a guide the editors linked to a retrieved one (认证 → 办理退休,
		// 稳岗返还 → 失业保险金申领): search finds guides by their names, and the guide that
		// grants a benefit is often named otherwise than the question says it. The linked guides
		// join the candidates after the retrieved ones; the passages decide.
		if more := t.relatedGuides(guides); len(more) > 0 {
			q.retrieved = len(gps)
			gps = append(gps, more...)
		}
	}
	plan := planAnswer(q, gps, follow)
	a := Answer{Route: RouteGuide, Suggestions: guideSuggestions(g, elems)}
	if plan.none {
		t.unanswered(g, text)
		a.Text, a.NoAnswer = notInGuides(g), true
		return a
	}

	if s.model != nil {
		if c, ok := t.composeWithModel(q, gps, elems, plan); ok {
			a.Text, a.Citations, a.Model, a.Dropped = c.Text, c.Citations, true, c.dropped
			if len(c.Suggestions) > 0 {
				a.Suggestions = c.Suggestions
			}
			return a
		}
		a.FellBack = true
	}
	c := plan.compose(g, text, elems, t.state.ElderMode)
	check := CheckNumbers(c.Text, c.Sources...)
	if !check.OK() { // cannot happen for text taken from the guide itself; kept as a guard
		s.log.Error("extractive answer has unsourced figures", "code", g.Code, "unsourced", figureTexts(check.Unsourced))
		c.Text = check.Text
		a.Dropped = len(check.Dropped)
	}
	a.Text, a.Citations, a.Asks = c.Text, c.Citations, plan.asksBack
	a.figure = len(plan.figures) > 0
	a.figureTopic = plan.topic
	return a
}

// maxRelated bounds the linked guides added to the retrieved ones.
const maxRelated = 6

// relatedGuides returns the passages of the guides the retrieved ones link to (the best
// guide's links first) that are not among those retrieved.
func (t *turn) relatedGuides(have []content.Guide) []*guidePassages {
	var out []*guidePassages
	seen := map[string]bool{}
	for _, h := range have {
		seen[h.Code] = true
	}
	for _, h := range have {
		for _, code := range h.Related {
			if len(out) == maxRelated {
				return out
			}
			if seen[code] {
				continue
			}
			seen[code] = true
			rg, err := t.svc.opts.Guides.Guide(t.ctx, code)
			if err != nil {
				continue
			}
			out = append(out, t.svc.passages.get(&rg))
		}
	}
	return out
}

// unanswered records a question the guides could not answer, for the 办事堵点 report.
func (t *turn) unanswered(closest *content.Guide, question string) {
	code := ""
	if closest != nil {
		code = closest.Code
	}
	if err := t.svc.store.recordUnanswered(t.ctx, code, question, t.svc.now()); err != nil {
		t.svc.log.Warn("record unanswered question", "session", shortID(t.sessID), "err", err)
	}
}

// beyondCalculator finds what the retirement calculator knows nothing of: where the pension is
// paid (在最后参保地领, 户口在河南), moving or joining records (转移, 并进职工), the residents'
// scheme (农村养老). A guide passage that answers such a question answers it, not the calculator.
var beyondCalculator = regexp.MustCompile(`参保地|户籍|户口|领取地|在哪(里|儿)?领|转移|转到|转过来|转回|并进|合并|衔接|农村|城乡居民|居民养老`)

// otherInsurance names an insurance other than the pension: "医保要交够多少年" is not the
// pension's minimum years the retirement calculator knows.
var otherInsurance = []string{"医保", "医疗保险", "失业保险", "工伤保险", "生育保险"}

// retirementUnlessOtherInsurance runs the retirement route, except for a new question about
// another insurance that does not mention the pension or the retirement age.
func (t *turn) retirementUnlessOtherInsurance(pending bool) (Answer, bool) {
	text := t.masked.Text
	if !pending && containsAny(text, otherInsurance) && !containsAny(text, []string{"养老", "退休年龄", "退休金", "哪年退", "几岁退", "啥时候退", "什么时候退"}) {
		return Answer{}, false
	}
	return t.retirement()
}

// aboutOneself reports whether a question is about the asker's own (or a relative's) case.
func aboutOneself(q string) bool {
	return strings.ContainsAny(q, "我俺咱") || strings.Contains(q, "本人")
}

// retrieveGuides is how many guides a question's passages are ranked from.
const retrieveGuides = 5

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

// personal answers questions about the person's own affairs from their data (Options.Personal).
func (t *turn) personal() (Answer, bool) {
	pd := t.svc.opts.Personal
	if pd == nil {
		return Answer{}, false
	}
	route, reply, ok, err := pd.Answer(t.ctx, t.subject, t.masked.Text, t.svc.now())
	if err != nil {
		t.svc.log.Error("personal data", "session", shortID(t.sessID), "err", err)
		return Answer{}, false
	}
	if !ok {
		return Answer{}, false
	}
	t.state.Pending = nil
	a := Answer{Route: Route(route), Text: reply, Suggestions: []string{}}
	if a.Route == RouteRetirement && t.subject == "" {
		// Asked to sign in, an anonymous person may instead say their birth month: the
		// calculator takes the reply as the answer to its question.
		f := ParseRetirementFacts(t.masked.Text, beijing.In(t.svc.now()))
		t.state.Pending, a.Asks = &f, true
	}
	return a, true
}
