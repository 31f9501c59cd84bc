package assistant

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckElderRules: each rule catches the reply that breaks it, and a reply within the
// rules passes.
func TestCheckElderRules(t *testing.T) {
	t.Parallel()
	ok := Answer{Text: "办理社保卡挂失，可以打电话。也可以到网点办。还想了解什么，或者转人工？"}
	if issues := CheckElder(ok); len(issues) != 0 {
		t.Errorf("good reply flagged: %+v", issues)
	}
	for _, c := range []struct {
		rule string
		a    Answer
	}{
		{"sentence_too_long", Answer{Text: "办理社会保障卡挂失的时候请您带上本人有效身份证件原件到就近的社保卡服务网点窗口办理相关手续。要转人工吗？"}},
		{"too_many_sentences", Answer{Text: "第一句。第二句。第三句。要转人工吗？"}},
		{"too_many_sentences", Answer{Text: "第一句。第二句。第三句，转人工请说。"}},
		{"question_not_last", Answer{Text: "您是哪年出生的？转人工请说转人工。"}},
		{"question_not_last", Answer{Text: "您是哪年出生的？男的还是女的？转人工"}},
		{"list_too_long", Answer{Text: "需要准备：身份证；户口本；照片；社保卡。要转人工吗？"}},
		{"list_too_long", Answer{Text: "带身份证、户口本、照片、社保卡。要转人工吗？"}},
		{"no_handoff_offer", Answer{Text: "好的。还想了解什么？"}},
	} {
		found := false
		for _, is := range CheckElder(c.a) {
			found = found || is.Rule == c.rule
		}
		if !found {
			t.Errorf("%s not caught in %q: %+v", c.rule, c.a.Text, CheckElder(c.a))
		}
	}
	// a person offered by a suggestion or a handoff counts
	if is := CheckElder(Answer{Text: "好的。还想了解什么？", Suggestions: []string{"转人工"}}); len(is) != 0 {
		t.Errorf("suggestion offer: %+v", is)
	}
}

// elderSession opens a session in elder mode for in-process turns.
func elderSession(t *testing.T, s *Service) string {
	t.Helper()
	sess, _, err := s.openSession(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	sess.mu.Lock()
	sess.state.ElderMode = true
	sess.mu.Unlock()
	return sess.id
}

// elderFigures asks every question of the golden set (and the fixed routes) in elder mode,
// following every "要听吗" to the end, and counts the replies within the rules; raw counts the
// same answers without elder mode.
func elderFigures(t *testing.T) (within, total, rawWithin, rawTotal int, failures []string) {
	corpus := seedCorpus(t)
	s, _ := testService(t, func(o *Options) { o.Retriever, o.Guides = corpus, corpus })
	set, err := LoadGolden(filepath.Join("testdata", "golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range set.Cases {
		elder, plain := elderSession(t, s), ""
		for _, tc := range append([]GoldenCase{c}, c.Then...) {
			a, err := s.Answer(ctx, elder, tc.Q)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				total++
				if is := CheckElder(a); len(is) == 0 {
					within++
				} else {
					failures = append(failures, fmt.Sprintf("%s %q → %q: %+v", c.ID, tc.Q, a.Text, is))
				}
				if !strings.HasSuffix(a.Text, "要听吗？") && !strings.HasSuffix(a.Text, "要接着听吗？") || i > 10 {
					break
				}
				if a, err = s.Answer(ctx, elder, "要"); err != nil {
					t.Fatal(err)
				}
			}
			p, err := s.Answer(ctx, plain, tc.Q)
			if err != nil {
				t.Fatal(err)
			}
			plain = p.SessionID
			rawTotal++
			if len(CheckElder(p)) == 0 {
				rawWithin++
			}
		}
	}
	return
}

// TestElderRepliesWithinLimits: every reply of elder mode to the golden set's questions, the
// fixed replies included, keeps every elder rule.
func TestElderRepliesWithinLimits(t *testing.T) {
	t.Parallel()
	within, total, rawWithin, rawTotal, failures := elderFigures(t)
	t.Logf("elder mode: %d/%d replies within the elder limits (%.1f%%); the same questions without elder mode: %d/%d (%.1f%%)",
		within, total, 100*float64(within)/float64(total), rawWithin, rawTotal, 100*float64(rawWithin)/float64(rawTotal))
	for _, f := range failures {
		t.Error(f)
	}
	if total < 80 {
		t.Errorf("only %d replies checked", total)
	}
}

// TestElderListReadThreeAtATime: a long list is read three items at a time, the rest on "要",
// and anything else drops the rest.
func TestElderListReadThreeAtATime(t *testing.T) {
	t.Parallel()
	s, _ := testService(t, nil)
	ctx := context.Background()
	id := elderSession(t, s)
	a, err := s.Answer(ctx, id, "医疗费用手工报销要带什么材料")
	if err != nil {
		t.Fatal(err)
	}
	g := testGuide(t, "SX-YB-002")
	n := len(g.Materials)
	if n <= 3 {
		t.Fatalf("fixture has %d materials", n)
	}
	mustContain(t, a.Text, materialText(g.Materials[0]), "还有", "项，要听吗？")
	if strings.Contains(a.Text, materialText(g.Materials[3])) || !a.Asks || len(a.Citations) == 0 {
		t.Errorf("first reply %q asks=%v", a.Text, a.Asks)
	}
	b, err := s.Answer(ctx, id, "要听")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, b.Text, materialText(g.Materials[3]))
	if b.Route != RouteGuide || len(b.Citations) == 0 {
		t.Errorf("continuation %q route %s citations %v", b.Text, b.Route, b.Citations)
	}
	// something else: the rest is dropped and the question answered
	id2 := elderSession(t, s)
	if _, err := s.Answer(ctx, id2, "医疗费用手工报销要带什么材料"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Answer(ctx, id2, "社保卡丢了怎么办")
	if err != nil || strings.Contains(c.Text, materialText(g.Materials[3])) || !strings.Contains(c.Text, "社") {
		t.Errorf("moved on: %q %v", c.Text, err)
	}
}
