package assistant

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// sentenceGuard stands between a model's streamed answer and the client: it buffers the text
// to sentence ends, checks each whole sentence — its citations name passages the model was
// given, every figure in it is in the passages it cites, it does not echo the system prompt —
// and only then passes it on. A sentence that fails is never sent. So every delta is final
// text, and a figure split across chunks ("9" then "999") is checked whole.
type sentenceGuard struct {
	given  map[string]*Passage // passage ids of this turn → passages
	echoes func(string) bool   // reports an echo of the system prompt
	emit   func(string)        // receives each accepted sentence; may be nil

	pending  strings.Builder // text not yet judged
	accepted strings.Builder // the sentences passed on, markers removed
	cited    []*Passage      // passages cited by accepted sentences, in order
	stopped  bool            // the prompt was echoed: nothing more is passed on

	dropped   []string // rejected sentences (for the log, masked text only)
	unsourced []Figure // figures not in the cited passages
	badCites  []string // citations of passages not given
}

// citeMarker finds a citation the model writes in a sentence: [P3], 【P3、P5】, or anything else
// in square brackets made of letters, digits and separators (a code#element the model was told
// not to use counts as a citation of something it was not given).
var citeMarker = regexp.MustCompile(`[\[【]\s*([A-Za-z0-9#_./:\-]+(?:\s*[,，、;；]\s*[A-Za-z0-9#_./:\-]+)*)\s*[\]】]`)

// citeSeparator separates the ids of one citation ([P2、P5]).
var citeSeparator = regexp.MustCompile(`[,，、;；]`)

// passageID is the form of a passage id given to the model.
var passageID = regexp.MustCompile(`^P\d{1,3}$`)

// sentenceEnds end a sentence of a model answer. ；does not: a rule with tiers is one
// sentence with one citation.
const sentenceEnds = "。！？!?\n"

// feed takes the next piece of the answer and passes on every sentence it completes.
func (g *sentenceGuard) feed(piece string) {
	g.pending.WriteString(piece)
	g.drain(false)
}

// finish judges what is left: a last sentence without a sentence end.
func (g *sentenceGuard) finish() { g.drain(true) }

// drain judges each complete sentence in pending. A sentence is complete at a sentence end
// followed by something that is neither a closing quote nor a citation marker (which belong to
// the sentence), or at the end of the answer.
func (g *sentenceGuard) drain(final bool) {
	for {
		s := g.pending.String()
		end := sentenceEnd(s, final)
		if end < 0 {
			return
		}
		g.pending.Reset()
		g.pending.WriteString(s[end:])
		g.judge(s[:end])
	}
}

// sentenceEnd returns the length of the first complete sentence of s, or -1.
func sentenceEnd(s string, final bool) int {
	for i, r := range s {
		if !strings.ContainsRune(sentenceEnds, r) {
			continue
		}
		j := i + utf8.RuneLen(r)
		// trailing closing quotes, brackets and citation markers belong to the sentence
		for j < len(s) {
			c, n := utf8.DecodeRuneInString(s[j:])
			if c == '”' || c == '」' || c == '）' || c == '"' || c == ' ' {
				j += n
				continue
			}
			if c == '[' || c == '【' {
				k := strings.IndexAny(s[j:], "]】")
				if k < 0 {
					if final {
						return len(s)
					}
					return -1 // the marker is still arriving
				}
				_, cn := utf8.DecodeRuneInString(s[j+k:])
				j += k + cn
				continue
			}
			return j
		}
		if final {
			return len(s)
		}
		return -1 // a marker or a quote may still follow
	}
	if final && strings.TrimSpace(s) != "" {
		return len(s)
	}
	return -1
}

// judge checks one sentence and passes it on if it holds.
func (g *sentenceGuard) judge(raw string) {
	if g.stopped {
		return
	}
	var cites []*Passage
	bad := false
	for _, m := range citeMarker.FindAllStringSubmatch(raw, -1) {
		for _, id := range citeSeparator.Split(m[1], -1) {
			id = strings.ToUpper(strings.TrimSpace(id))
			p := g.given[id]
			if p == nil || !passageID.MatchString(id) {
				g.badCites = append(g.badCites, excerpt(id, 24))
				bad = true
				continue
			}
			cites = append(cites, p)
		}
	}
	text := citeMarker.ReplaceAllString(raw, "")
	text = strings.TrimSpace(Sanitize(text).Text)
	if len(leakRunes(text)) == 0 {
		return
	}
	if bad {
		g.dropped = append(g.dropped, text)
		return
	}
	sources := []string{Hotline}
	for _, p := range cites {
		sources = append(sources, p.Source())
	}
	if chk := CheckNumbers(text, sources...); !chk.OK() {
		g.unsourced = append(g.unsourced, chk.Unsourced...)
		g.dropped = append(g.dropped, text)
		return
	}
	if g.echoes != nil && g.echoes(g.accepted.String()+text) {
		g.stopped = true
		g.dropped = append(g.dropped, text)
		return
	}
	g.accepted.WriteString(text)
	for _, p := range cites {
		dup := false
		for _, c := range g.cited {
			dup = dup || c == p
		}
		if !dup {
			g.cited = append(g.cited, p)
		}
	}
	if g.emit != nil {
		g.emit(text)
	}
}

// text is the accepted answer: exactly what was passed on.
func (g *sentenceGuard) text() string { return g.accepted.String() }
