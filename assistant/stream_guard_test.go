package assistant

import (
	"context"
	"strings"
	"testing"
	"time"
)

// guardPassages are two passages a model was given as P1 and P2.
func guardPassages() map[string]*Passage {
	p1 := &Passage{Code: "SX-SY-001", Title: "失业保险金申领", Element: ElemFAQ, Text: "累计缴费满10年的，最长领24个月。"}
	p2 := &Passage{Code: "SX-SY-001", Title: "失业保险金申领", Element: ElemTimeLimit, Text: "法定时限：10个工作日。"}
	return map[string]*Passage{"P1": p1, "P2": p2}
}

// The guard passes on only whole, checked sentences, whatever the chunking: a number split
// across chunks is checked whole, a citation split across chunks is read whole, an invented
// figure, a figure without a citation, a citation of a passage not given and an element code
// are never passed on; a last sentence without a sentence end is judged at the end.
func TestSentenceGuard(t *testing.T) {
	t.Parallel()
	answer := "您每月可以领取9999元[P1]。缴费满10年的，最长领24个月[P1]。办理时限是99个工作日[P2]。" +
		"办理时限是10个工作日。最长领24个月[P7]。最长领24个月[SX-SY-001#faq]。法定时限是10个工作日[P2]。" +
		"有疑问请拨打12333"
	want := []string{"缴费满10年的，最长领24个月。", "法定时限是10个工作日。", "有疑问请拨打12333"}
	for _, chunk := range []int{1, 2, 3, 7, 1000} {
		var sent []string
		g := &sentenceGuard{given: guardPassages(), emit: func(s string) { sent = append(sent, s) }}
		rs := []rune(answer)
		for i := 0; i < len(rs); i += chunk {
			g.feed(string(rs[i:min(i+chunk, len(rs))]))
			// Nothing is passed on before its sentence is complete: never a bare "9".
			for _, s := range sent {
				if strings.Contains(s, "9") || strings.Contains(s, "[") {
					t.Fatalf("chunk %d: passed on %q", chunk, s)
				}
			}
		}
		g.finish()
		if strings.Join(sent, "|") != strings.Join(want, "|") {
			t.Errorf("chunk %d: passed on %q, want %q", chunk, sent, want)
		}
		if g.text() != strings.Join(want, "") {
			t.Errorf("chunk %d: text %q", chunk, g.text())
		}
		if len(g.dropped) != 5 || len(g.badCites) != 2 || len(g.unsourced) != 3 {
			t.Errorf("chunk %d: dropped %q bad cites %q unsourced %v", chunk, g.dropped, g.badCites, g.unsourced)
		}
		if len(g.cited) != 2 {
			t.Errorf("chunk %d: cited %d passages", chunk, len(g.cited))
		}
	}
}

// A marker after the full stop belongs to the sentence before it; a sentence end followed by
// nothing yet is held until the next piece shows whether a marker follows.
func TestSentenceGuardMarkerAfterStop(t *testing.T) {
	t.Parallel()
	var sent []string
	g := &sentenceGuard{given: guardPassages(), emit: func(s string) { sent = append(sent, s) }}
	g.feed("最长领24个月。")
	if len(sent) != 0 {
		t.Fatalf("passed on before its citation could arrive: %q", sent)
	}
	g.feed("[P1]下一句")
	if len(sent) != 1 || sent[0] != "最长领24个月。" {
		t.Fatalf("sent %q", sent)
	}
	g.finish()
	if len(sent) != 2 || sent[1] != "下一句" {
		t.Errorf("sent %q", sent)
	}
}

// adversarialReply is a model that quotes the materials passage correctly but invents figures
// mid-stream, cites a passage it was not given and an element code, and ends without a
// sentence end.
func adversarialReply(req map[string]any) string {
	return toolArgs("您每月可以领取9999元[[居民身份证或社会保障卡]]。办理时限为99个工作日[[居民身份证或社会保障卡]]。" +
		"要带居民身份证或社会保障卡，原件1份[[居民身份证或社会保障卡]]。另需户口本3份[P42]。" +
		"每月补助8888元[SX-YL-001#materials]。手机上刷脸认证的不用提交")
}

// askStreamed sends text over a new WebSocket to s and returns the answer, the events before
// it, and the deltas among them.
func askStreamed(t *testing.T, s *Service, text string) (ans serverEvent, before []serverEvent, deltas []string) {
	t.Helper()
	srv := newTestHTTPServer(t, s)
	c := dial(t, wsURL(srv), nil)
	c.hello(nil)
	c.send(map[string]any{"type": "message", "id": "m1", "text": text})
	ans, before = c.until(EventAnswer)
	for _, ev := range before {
		if ev.Type == EventDelta {
			deltas = append(deltas, ev.Text)
		}
	}
	return ans, before, deltas
}

// Over a WebSocket, with numbers and citations split across one-character chunks: every delta
// is a checked sentence, nothing invented reaches the client, and the answer is exactly the
// deltas.
func TestStreamingCannotLeak(t *testing.T) {
	t.Parallel()
	f := newFakeModel(t)
	f.reply = adversarialReply
	f.chunkRunes = 1
	s, logs := modelService(t, f, nil)
	ans, _, deltas := askStreamed(t, s, "养老金认证要带什么材料")
	streamed := strings.Join(deltas, "")
	for _, bad := range []string{"9999", "99个", "8888", "户口本", "[", "P42"} {
		if strings.Contains(streamed, bad) || strings.Contains(ans.Text, bad) {
			t.Errorf("%q reached the client: deltas %q answer %q", bad, deltas, ans.Text)
		}
	}
	want := []string{"要带居民身份证或社会保障卡，原件1份。", "手机上刷脸认证的不用提交", offerHotline}
	if strings.Join(deltas, "|") != strings.Join(want, "|") {
		t.Errorf("deltas %q, want %q", deltas, want)
	}
	if ans.Text != streamed || len(ans.Citations) != 1 || ans.Citations[0].Element != "materials" {
		t.Errorf("answer %s", ans.raw)
	}
	want = []string{"model cited something not given to it", "P42", "figures not in the cited passages", "9999"}
	mustContain(t, logs.Await(10*time.Second, want...), want...)
}

// A model that streams a figure and then cites an element it was not given: nothing of that
// sentence reaches the client, and the turn still ends with an answer (here the extractive
// one, since nothing else was said).
func TestStreamingFigureThenForeignCitation(t *testing.T) {
	t.Parallel()
	f := newFakeModel(t)
	f.answer = toolArgs("办理认证要带身份证原件1份[SX-YB-001#materials]。")
	f.chunkRunes = 2
	s, logs := modelService(t, f, nil)
	ans, _, deltas := askStreamed(t, s, "养老金认证要带什么材料")
	streamed := strings.Join(deltas, "")
	if strings.Contains(streamed, "身份证原件1份") || strings.Contains(streamed, "SX-YB-001") {
		t.Errorf("the uncited sentence was streamed: %q", streamed)
	}
	if ans.Text != streamed || len(ans.Citations) == 0 || ans.Citations[0].Code != "SX-YL-001" || !strings.Contains(ans.Text, "居民身份证") {
		t.Errorf("answer %s", ans.raw)
	}
	// The turn's log line is written after its answer frame is sent.
	want := []string{"model cited something not given to it", `"fell_back":true`}
	mustContain(t, logs.Await(10*time.Second, want...), want...)
}

// Buffering to sentence ends holds the first delta until its sentence is complete: with a model
// that writes slowly, the first delta comes after the first sentence end, not before.
func TestFirstDeltaWaitsForSentence(t *testing.T) {
	t.Parallel()
	f := newFakeModel(t)
	f.answer = toolArgs(materialsAnswerCited)
	f.chunkRunes = 4
	f.delay = 2 * time.Millisecond
	s, _ := modelService(t, f, nil)
	var pieces []string
	at := &activeTurn{msgID: "m1", cancel: func() {}}
	sess, _, err := s.openSessionTrusted(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.runTurn(context.Background(), sess, at, "养老金认证要带什么材料", func(p string) { pieces = append(pieces, p) }); err != nil {
		t.Fatal(err)
	}
	if len(pieces) == 0 || pieces[0] != "办理养老金领取资格认证，要带居民身份证或社会保障卡，原件1份。" {
		t.Errorf("first delta %q", pieces)
	}
}

// The answer frame says when the guides do not answer the question.
func TestNoAnswerFrame(t *testing.T) {
	t.Parallel()
	s, _ := testService(t, nil)
	srv := newTestHTTPServer(t, s)
	c := dial(t, wsURL(srv), nil)
	c.hello(nil)
	c.send(map[string]any{"type": "message", "id": "m1", "text": "你们社保中心主任叫什么"})
	ans, _ := c.until(EventAnswer)
	if !strings.Contains(ans.raw, `"no_answer":true`) || !strings.Contains(ans.Text, Hotline) {
		t.Errorf("answer %s", ans.raw)
	}
}
