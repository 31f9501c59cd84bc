package formflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"shebao/content"
)

// The states of a form session, as the form frame carries them.
const (
	StateAsking     = "asking"
	StateConfirming = "confirming"
	StateSubmitted  = "submitted"
	StateCancelled  = "cancelled"
)

// maxFails is how many refused answers at one field bring the offer of a person.
const maxFails = 2

var zeroTime time.Time

// Session is one person filling one form: stored after every turn.
type Session struct {
	ID      string            `json:"id"`
	Subject string            `json:"subject"`
	Chat    string            `json:"chat"` // the chat session of the last turn (a new one means the person came back)
	Code    string            `json:"code"`
	Version int               `json:"version"` // pinned: the session finishes on the version it started with
	State   string            `json:"state"`
	Values  map[string]string `json:"values"` // committed answers; "" is a skipped optional field
	Order   []string          `json:"order"`  // keys in the order they were committed, for back
	Field   string            `json:"field"`  // the field being asked
	Pending *Pending          `json:"pending,omitempty"`
	Fails   int               `json:"fails,omitempty"` // refused answers at Field in a row
	Page    int               `json:"page,omitempty"`  // summary page being read (confirming)
	Read    bool              `json:"read,omitempty"`  // the whole summary was read back: confirm may submit
	Turns   int               `json:"turns"`

	ApplicationID string `json:"application_id,omitempty"`
	NextStep      string `json:"next_step,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Pending is a value read back and waiting for a yes or a no.
type Pending struct {
	Value     string `json:"value"`
	Prefilled bool   `json:"prefilled,omitempty"` // from the profile, not said in this session
}

func newFormSessionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "fs_" + hex.EncodeToString(b[:])
}

// visible reports whether field fl is asked given the answers so far.
func visible(fl content.Field, values map[string]string) bool { return fl.ShowIf.Holds(values) }

// prune drops the answers of fields no longer asked (after a controlling answer changed), in
// form order so that a chain of conditions falls together.
func prune(f *content.Form, sess *Session) {
	for _, fl := range f.Fields {
		if _, ok := sess.Values[fl.Key]; ok && !visible(fl, sess.Values) {
			delete(sess.Values, fl.Key)
		}
	}
	order := sess.Order[:0]
	for _, k := range sess.Order {
		if _, ok := sess.Values[k]; ok {
			order = append(order, k)
		}
	}
	sess.Order = order
}

// nextField is the first visible field without an answer, or nil when all are answered.
func nextField(f *content.Form, values map[string]string) *content.Field {
	for i, fl := range f.Fields {
		if _, ok := values[fl.Key]; !ok && visible(fl, values) {
			return &f.Fields[i]
		}
	}
	return nil
}

// progress is fields answered and fields asked in all, given the answers so far.
func progress(f *content.Form, values map[string]string) [2]int {
	var p [2]int
	for _, fl := range f.Fields {
		if !visible(fl, values) {
			continue
		}
		p[1]++
		if _, ok := values[fl.Key]; ok {
			p[0]++
		}
	}
	return p
}

// commit records the value of the field being asked.
func commit(sess *Session, key, v string) {
	if sess.Values == nil {
		sess.Values = map[string]string{}
	}
	sess.Values[key] = v
	sess.Order = append(removeKey(sess.Order, key), key)
	sess.Pending, sess.Fails = nil, 0
}

func removeKey(ks []string, k string) []string {
	out := ks[:0]
	for _, x := range ks {
		if x != k {
			out = append(out, x)
		}
	}
	return out
}

// summary is the values read back, in form order.
func summary(f *content.Form, values map[string]string) []summaryItem {
	var items []summaryItem
	for _, fl := range f.Fields {
		v, ok := values[fl.Key]
		if !ok || !visible(fl, values) {
			continue
		}
		d := saySkippedValue
		if v != "" {
			d = display(fl, v)
		}
		items = append(items, summaryItem{label: strings.TrimPrefix(fl.Label, "您的"), value: d})
	}
	return items
}

// summaryPages cuts the summary sentences into pages of two, the most said before a question.
func summaryPages(f *content.Form, values map[string]string) [][]string {
	ss := summarySentences(summary(f, values))
	var pages [][]string
	for i := 0; i < len(ss); i += 2 {
		pages = append(pages, ss[i:min(i+2, len(ss))])
	}
	return pages
}

// startWords are the words with which a person asks to do something, not to ask about it.
var startWords = []string{"我要", "我想", "帮我", "替我", "给我", "帮我妈", "帮我爸", "我来", "要办", "想办", "办一下", "开始", "在线办", "现在办", "帮老人", "替老人", "替家人", "帮家人", "给老人", "给我妈", "给我爸", "帮我儿子", "帮我女儿"}

// askWords mark a question about a service rather than a request to do it.
var askWords = []string{"怎么", "如何", "什么", "哪里", "哪儿", "多少", "几天", "吗", "？", "?", "能不能", "可以不", "需要带", "要带"}

// wantsForm returns the published form the utterance asks to fill in, or nil.
func (e *Engine) wantsForm(ctx context.Context, text string) (*content.Form, error) {
	if !containsAny(text, startWords) || containsAny(text, askWords) {
		return nil, nil
	}
	forms, err := e.opts.Forms.PublishedForms(ctx)
	if err != nil {
		return nil, err
	}
	// The longest name said wins; a name said with words in between (养老认证 in 养老金认证)
	// counts for less than one said whole.
	var best *content.Form
	bestScore := 0
	for i := range forms {
		f := &forms[i]
		names := []string{f.Title}
		if g, err := e.opts.Guides.Guide(ctx, f.Guide); err == nil {
			names = append(names, g.Name)
			names = append(names, g.Aliases...)
		}
		for _, n := range names {
			score := 0
			switch l := len([]rune(n)); {
			case l >= 2 && strings.Contains(text, n):
				score = 2 * l
			case l >= 4 && inOrder(text, n):
				score = l
			}
			if score > bestScore {
				best, bestScore = f, score
			}
		}
	}
	return best, nil
}

// inOrder reports whether every character of name appears in text, in order.
func inOrder(text, name string) bool {
	rest := text
	for _, r := range name {
		i := strings.IndexRune(rest, r)
		if i < 0 {
			return false
		}
		rest = rest[i+len(string(r)):]
	}
	return true
}
