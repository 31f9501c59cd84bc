package assistant

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"shebao/content"
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

// modelAnswer is the tool call's arguments.
type modelAnswer struct {
	Answer    string `json:"answer"`
	Citations []struct {
		Code    string `json:"code"`
		Element string `json:"element"`
	} `json:"citations"`
	Suggestions []string `json:"suggestions"`
}

// modelComposed is a model answer that passed the checks.
type modelComposed struct {
	Composed
	Suggestions []string
	dropped     int
}

// buildMessages writes the prompt of one turn: the system prompt, and the guides and the
// question each between their own random boundaries.
func (p *promptSet) buildMessages(question string, guides []content.Guide, elems []Element, elder bool) []openai.ChatCompletionMessage {
	gb, ub := newBoundary("GUIDE"), newBoundary("USER")
	var gs strings.Builder
	for i := range guides {
		g := &guides[i]
		fmt.Fprintf(&gs, "【事项编码 %s】%s\n", quoteSafe(g.Code), quoteSafe(g.Name))
		for _, e := range Elements {
			if t := ElementText(g, e); t != "" {
				fmt.Fprintf(&gs, "<%s %s> %s\n", e, e.Label(), quoteSafe(t))
			}
		}
		gs.WriteString("\n")
	}
	var hint []string
	if len(elems) > 0 {
		var names []string
		for _, e := range elems {
			names = append(names, string(e)+"（"+e.Label()+"）")
		}
		hint = append(hint, "用户问的可能是这些要素："+strings.Join(names, "、")+"。")
	}
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
	}
}

// composeWithModel asks the model for an answer over the retrieved guides and checks it: the
// citations must name elements of those guides, the text must not echo the system prompt, and
// every figure must be in a cited element (sentences with other figures are dropped). It
// reports false when the answer cannot be used; the caller then answers extractively.
func (t *turn) composeWithModel(guides []content.Guide, elems []Element) (modelComposed, bool) {
	s := t.svc
	m := s.model
	if !m.available() {
		return modelComposed{}, false
	}
	msgs := m.prompts.buildMessages(t.masked.Text, guides, elems, t.state.ElderMode)
	var ex answerExtractor
	var shown strings.Builder
	leaked := false
	onArgs := func(piece string) {
		if t.stream == nil || leaked {
			return
		}
		if d := ex.feed(piece); d != "" {
			shown.WriteString(d)
			if m.prompts.echoesSystemPrompt(shown.String()) {
				leaked = true // stop showing; the answer event will replace what was shown
				return
			}
			t.streamed = true
			t.stream(d)
		}
	}
	out, err := m.stream(t.ctx, msgs, m.prompts.tool, onArgs)
	if err != nil {
		s.log.Warn("model unavailable; answering without it", "session", shortID(t.sessID), "err", err)
		return modelComposed{}, false
	}
	if out.Usage != nil {
		s.log.Info("model usage", "session", shortID(t.sessID), "prompt_tokens", out.Usage.PromptTokens,
			"completion_tokens", out.Usage.CompletionTokens, "prompt_version", m.prompts.version)
	}
	if len(out.Calls) == 0 || out.Calls[0].Name != "answer" {
		s.log.Warn("model did not call the answer tool", "session", shortID(t.sessID), "content_chars", len(out.Content))
		return modelComposed{}, false
	}
	var ma modelAnswer
	if err := json.Unmarshal([]byte(out.Calls[0].Args.String()), &ma); err != nil {
		s.log.Warn("model tool arguments are not valid JSON", "session", shortID(t.sessID), "err", err)
		return modelComposed{}, false
	}
	text := strings.TrimSpace(Sanitize(ma.Answer).Text)
	if text == "" {
		return modelComposed{}, false
	}
	if m.prompts.echoesSystemPrompt(text) {
		s.log.Warn("model answer echoes the system prompt; replaced", "session", shortID(t.sessID))
		return modelComposed{}, false
	}
	// The model names codes and elements; titles and texts come from the guides, never from it.
	var c modelComposed
	byCode := map[string]*content.Guide{}
	for i := range guides {
		byCode[guides[i].Code] = &guides[i]
	}
	for _, ci := range ma.Citations {
		g, e := byCode[ci.Code], Element(ci.Element)
		if g == nil || !e.Valid() {
			s.log.Warn("model cited something not given to it", "session", shortID(t.sessID), "code", excerpt(ci.Code, 20), "element", excerpt(ci.Element, 20))
			continue
		}
		c.cite(g, e)
	}
	if len(c.Citations) == 0 {
		return modelComposed{}, false
	}
	check := CheckNumbers(text, c.Sources...)
	if !check.OK() {
		s.log.Warn("model answer has figures not in the cited guides; sentences dropped",
			"session", shortID(t.sessID), "unsourced", figureTexts(check.Unsourced))
		if check.Text == "" || len(leakRunes(check.Text)) < 6 {
			return modelComposed{}, false
		}
	}
	c.Text, c.dropped = check.Text, len(check.Dropped)
	for _, sg := range ma.Suggestions {
		if sg = Sanitize(sg).Text; sg != "" && len(Figures(sg)) == 0 && len(c.Suggestions) < 3 {
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
