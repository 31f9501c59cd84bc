package assistant

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
)

//go:embed prompts/*.txt prompts/*.json
var promptFS embed.FS

// promptSet is one version of the prompts.
type promptSet struct {
	version  string
	system   string
	turn     string
	tool     openai.Tool
	shingles map[string]bool // leakShingle-rune pieces of the system prompt
}

// leakShingle is the length of a run of the system prompt that, found in an answer, counts as
// the prompt being echoed.
const leakShingle = 14

func loadPrompts(version string) (*promptSet, error) {
	read := func(name string) (string, error) {
		b, err := promptFS.ReadFile("prompts/" + name)
		if err != nil {
			return "", fmt.Errorf("prompt %s (version %s): %w", name, version, err)
		}
		return string(b), nil
	}
	p := &promptSet{version: version}
	var err error
	if p.system, err = read("system." + version + ".txt"); err != nil {
		return nil, err
	}
	if p.turn, err = read("turn." + version + ".txt"); err != nil {
		return nil, err
	}
	toolJSON, err := read("answer_tool." + version + ".json")
	if err != nil {
		return nil, err
	}
	var def openai.FunctionDefinition
	if err := json.Unmarshal([]byte(toolJSON), &def); err != nil {
		return nil, fmt.Errorf("prompt answer_tool.%s.json: %w", version, err)
	}
	p.tool = openai.Tool{Type: openai.ToolTypeFunction, Function: &def}
	p.shingles = shingles(p.system, leakShingle)
	return p, nil
}

// shingles returns every n-rune window of the letters and digits of s.
func shingles(s string, n int) map[string]bool {
	rs := leakRunes(s)
	out := map[string]bool{}
	for i := 0; i+n <= len(rs); i++ {
		out[string(rs[i:i+n])] = true
	}
	return out
}

func leakRunes(s string) []rune {
	var rs []rune
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// echoesSystemPrompt reports whether text contains a run of leakShingle letters of the system
// prompt.
func (p *promptSet) echoesSystemPrompt(text string) bool {
	rs := leakRunes(text)
	for i := 0; i+leakShingle <= len(rs); i++ {
		if p.shingles[string(rs[i:i+leakShingle])] {
			return true
		}
	}
	return false
}

// boundary is a pair of per-turn random markers around quoted text. The marker characters
// ⟪ ⟫ are removed from everything quoted, so no quoted text can close a boundary.
type boundary struct{ open, close string }

func newBoundary(kind string) boundary {
	var b [6]byte
	_, _ = rand.Read(b[:])
	tag := strings.ToUpper(hex.EncodeToString(b[:]))
	return boundary{open: "⟪" + kind + "-" + tag + "⟫", close: "⟪/" + kind + "-" + tag + "⟫"}
}

var boundaryChars = strings.NewReplacer("⟪", "", "⟫", "")

// quoteSafe removes the boundary characters from text that goes between boundaries.
func quoteSafe(s string) string {
	if !strings.Contains(s, "⟪") && !strings.Contains(s, "⟫") {
		return s
	}
	return boundaryChars.Replace(s)
}

// modelAnswer is the tool call's arguments. Citations are inside the answer, one or more
// passage ids in square brackets at the end of each sentence.
type modelAnswer struct {
	Answer      string   `json:"answer"`
	Suggestions []string `json:"suggestions"`
}

// modelComposed is a model answer that passed the checks.
type modelComposed struct {
	Composed
	Suggestions []string
	dropped     int
}

// maxModelPassages bounds the passages one prompt quotes.
const maxModelPassages = 16

// modelPassages chooses the passages the model is given, best first: those that can answer
// each figure asked, those of the elements asked about, then the closest to the question.
func modelPassages(q question, gps []*guidePassages, elems []Element) []*Passage {
	var out []*Passage
	seen := map[*Passage]bool{}
	add := func(p *Passage) {
		if !seen[p] && len(out) < maxModelPassages {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, k := range q.asks {
		for i, sp := range rankPassages(q, gps, k, 0) {
			if i == 4 {
				break
			}
			add(sp.p)
		}
	}
	if len(gps) > 0 {
		for _, e := range elems {
			for i := range gps[0].passages {
				if p := &gps[0].passages[i]; p.Element == e {
					add(p)
				}
			}
		}
	}
	for i, sp := range rankPassages(q, gps, "", 0) {
		if i == 8 {
			break
		}
		add(sp.p)
	}
	return out
}

// buildMessages writes the prompt of one turn: the system prompt, and the numbered passages
// and the question each between their own random boundaries. It returns the passage ids.
func (p *promptSet) buildMessages(question string, passages []*Passage, elder bool) ([]openai.ChatCompletionMessage, map[string]*Passage) {
	gb, ub := newBoundary("GUIDE"), newBoundary("USER")
	ids := make(map[string]*Passage, len(passages))
	var gs strings.Builder
	for i, ps := range passages {
		id := "P" + strconv.Itoa(i+1)
		ids[id] = ps
		lead := ""
		if ps.Lead != "" {
			lead = quoteSafe(ps.Lead) + "："
		}
		fmt.Fprintf(&gs, "[%s] 《%s》%s（%s）%s%s\n", id, quoteSafe(ps.Title), ps.Element.Label(), quoteSafe(ps.Code), lead, quoteSafe(ps.Text))
	}
	var hint []string
	if elder {
		hint = append(hint, "用户是老年人，请用更短、更口语的句子。")
	}
	turn := p.turn
	for _, kv := range [][2]string{
		{"{{GUIDE_OPEN}}", gb.open}, {"{{GUIDE_CLOSE}}", gb.close}, {"{{USER_OPEN}}", ub.open}, {"{{USER_CLOSE}}", ub.close},
		{"{{HINT}}", strings.Join(hint, "")}, {"{{QUESTION}}", quoteSafe(question)},
		{"{{GUIDES}}", strings.TrimSpace(gs.String())}, // last: guide text may hold anything
	} {
		turn = strings.ReplaceAll(turn, kv[0], kv[1])
	}
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: p.system},
		{Role: openai.ChatMessageRoleUser, Content: turn},
	}, ids
}

// composeWithModel asks the model for an answer over the ranked passages of the retrieved
// guides. Its text passes through a sentenceGuard: each sentence is streamed only after its
// citations (passage ids it was given) and figures (in the passages it cites) are checked;
// other sentences are dropped and never sent. It reports false when nothing usable was said
// (and nothing was streamed); the caller then answers extractively.
func (t *turn) composeWithModel(q question, gps []*guidePassages, elems []Element, plan answerPlan) (modelComposed, bool) {
	s := t.svc
	m := s.model
	if !m.available() {
		return modelComposed{}, false
	}
	msgs, ids := m.prompts.buildMessages(t.masked.Text, modelPassages(q, gps, elems), t.state.ElderMode)
	var ex answerExtractor
	guard := &sentenceGuard{given: ids, echoes: m.prompts.echoesSystemPrompt}
	if t.stream != nil {
		guard.emit = func(sent string) {
			t.streamed = true
			t.stream(sent)
		}
	}
	onArgs := func(piece string) {
		if d := ex.feed(piece); d != "" {
			guard.feed(d)
		}
	}
	out, err := m.stream(t.ctx, msgs, m.prompts.tool, onArgs)
	guard.finish()
	logGuard := func() {
		if len(guard.badCites) > 0 {
			s.log.Warn("model cited something not given to it; sentences dropped", "session", shortID(t.sessID), "cited", strings.Join(guard.badCites, ","))
		}
		if len(guard.unsourced) > 0 {
			s.log.Warn("model answer has figures not in the cited passages; sentences dropped",
				"session", shortID(t.sessID), "unsourced", figureTexts(guard.unsourced))
		}
		if guard.stopped {
			s.log.Warn("model answer echoes the system prompt; stopped", "session", shortID(t.sessID))
		}
	}
	logGuard()
	var c modelComposed
	c.Text, c.dropped = guard.text(), len(guard.dropped)
	for _, p := range guard.cited {
		c.citePassage(p)
	}
	// A passage of another guide that says the same figure as one the model cited is cited with
	// it, as in the extractive answer (planAnswer's corroborating passages).
	for _, fa := range plan.figures {
		if len(fa.cited) > 1 && slices.Contains(guard.cited, fa.cited[0]) {
			for _, p := range fa.cited[1:] {
				c.citePassage(p)
			}
		}
	}
	// What was streamed is the answer: a later failure cannot take it back, only end it.
	usable := t.streamed || len(leakRunes(c.Text)) >= 6 && len(c.Citations) > 0
	if err != nil {
		s.log.Warn("model unavailable; answering without it", "session", shortID(t.sessID), "err", err)
		return c, t.streamed
	}
	if out.Usage != nil {
		s.log.Info("model usage", "session", shortID(t.sessID), "prompt_tokens", out.Usage.PromptTokens,
			"completion_tokens", out.Usage.CompletionTokens, "prompt_version", m.prompts.version)
	}
	if len(out.Calls) == 0 || out.Calls[0].Name != "answer" {
		s.log.Warn("model did not call the answer tool", "session", shortID(t.sessID), "content_chars", len(out.Content))
		return c, t.streamed
	}
	var ma modelAnswer
	if err := json.Unmarshal([]byte(out.Calls[0].Args.String()), &ma); err != nil {
		s.log.Warn("model tool arguments are not valid JSON", "session", shortID(t.sessID), "err", err)
		return c, t.streamed
	}
	if !usable {
		return modelComposed{}, false
	}
	for _, sg := range ma.Suggestions {
		if sg = Sanitize(sg).Text; sg != "" && len(Figures(sg)) == 0 && !m.prompts.echoesSystemPrompt(sg) && len(c.Suggestions) < 3 {
			c.Suggestions = append(c.Suggestions, excerpt(sg, 30))
		}
	}
	return c, true
}

// answerExtractor pulls the value of the top-level "answer" string out of tool-call arguments
// arriving in pieces, so that it can be shown while the model writes it.
type answerExtractor struct {
	depth    int
	inString bool
	escape   []byte // pending escape sequence, starting with '\\'
	key      strings.Builder
	lastKey  string
	expect   bool // after "answer": the value comes next
	emitting bool
	done     bool
	pending  []byte // incomplete UTF-8 at the end of the last piece
}

// feed consumes a piece of the arguments and returns the answer text it completes.
func (x *answerExtractor) feed(piece string) string {
	if x.done {
		return ""
	}
	var out []byte
	for i := 0; i < len(piece); i++ {
		c := piece[i]
		if x.inString {
			if x.escape != nil {
				x.escape = append(x.escape, c)
				r, complete, bad := decodeEscape(x.escape)
				if bad {
					x.escape = nil
					continue
				}
				if complete {
					x.escape = nil
					if x.emitting {
						out = utf8.AppendRune(out, r)
					} else if x.depth == 1 {
						x.key.WriteRune(r)
					}
				}
				continue
			}
			switch c {
			case '\\':
				x.escape = []byte{c}
			case '"':
				x.inString = false
				if x.emitting {
					x.emitting, x.done = false, true
					return x.flush(out)
				}
				if x.depth == 1 {
					x.lastKey = x.key.String()
				}
			default:
				if x.emitting {
					out = append(out, c)
				} else if x.depth == 1 && x.key.Len() < 32 {
					x.key.WriteByte(c)
				}
			}
			continue
		}
		switch c {
		case '{', '[':
			x.depth++
			x.expect = false
		case '}', ']':
			x.depth--
		case '"':
			x.inString = true
			if x.expect {
				x.emitting, x.expect = true, false
			} else {
				x.key.Reset()
			}
		case ':':
			x.expect = x.depth == 1 && x.lastKey == "answer"
			x.lastKey = ""
		case ' ', '\n', '\r', '\t':
		default:
			x.expect = false
		}
	}
	return x.flush(out)
}

// flush returns out as a string, holding back an incomplete UTF-8 sequence at its end.
func (x *answerExtractor) flush(out []byte) string {
	if len(x.pending) > 0 {
		out = append(x.pending, out...)
		x.pending = nil
	}
	cut := len(out)
	for i := len(out) - 1; i >= 0 && i >= len(out)-3; i-- {
		if utf8.RuneStart(out[i]) {
			if !utf8.FullRune(out[i:]) {
				cut = i
			}
			break
		}
	}
	x.pending = append(x.pending, out[cut:]...)
	return string(out[:cut])
}

// decodeEscape decodes a JSON escape sequence (with a following low surrogate for pairs). It
// reports whether the sequence is complete, or bad.
func decodeEscape(e []byte) (rune, bool, bool) {
	if len(e) < 2 {
		return 0, false, false
	}
	switch e[1] {
	case '"', '\\', '/':
		return rune(e[1]), true, false
	case 'n':
		return '\n', true, false
	case 't':
		return '\t', true, false
	case 'r':
		return '\r', true, false
	case 'b':
		return '\b', true, false
	case 'f':
		return '\f', true, false
	case 'u':
		if len(e) < 6 {
			return 0, false, false
		}
		v, err := strconv.ParseUint(string(e[2:6]), 16, 32)
		if err != nil {
			return 0, false, true
		}
		r := rune(v)
		if r >= 0xD800 && r < 0xDC00 { // high surrogate: wait for \uDCxx
			if len(e) < 12 {
				if len(e) >= 7 && e[6] != '\\' || len(e) >= 8 && e[7] != 'u' {
					return utf8.RuneError, true, false
				}
				return 0, false, false
			}
			lo, err := strconv.ParseUint(string(e[8:12]), 16, 32)
			if err != nil {
				return utf8.RuneError, true, false
			}
			return ((r - 0xD800) << 10) + (rune(lo) - 0xDC00) + 0x10000, true, false
		}
		return r, true, false
	}
	return 0, false, true
}
