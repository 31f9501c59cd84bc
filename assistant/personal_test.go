package assistant

import (
	"context"
	"strings"
	"testing"
	"time"
)

// recordingPersonal answers progress questions and records who asked.
type recordingPersonal struct{ subjects []string }

func (r *recordingPersonal) Answer(_ context.Context, subject, text string, _ time.Time) (string, string, bool, error) {
	if text == "我什么时候退休" && subject == "" {
		return "retirement", "查您本人的退休时间需要先登录。也可以告诉我出生年月和人员类别。", true, nil
	}
	if !strings.Contains(text, "到哪一步") {
		return "", "", false, nil
	}
	r.subjects = append(r.subjects, subject)
	if subject == "" {
		return "account", "请先登录。", true, nil
	}
	return "account", "您的失业保险金申请目前是“审核中”。", true, nil
}

// TestPersonalDataIsAskedFirstWithTheSessionsPerson: a signed-in session's question about its
// own application is answered by PersonalData with the session's subject, before the account
// route would point to the records screen; other questions still reach the guides.
func TestPersonalDataIsAskedFirstWithTheSessionsPerson(t *testing.T) {
	pd := &recordingPersonal{}
	s, _ := testService(t, func(o *Options) { o.Personal = pd })
	ctx := context.Background()
	sess, _, err := s.openSession(ctx, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Answer(ctx, sess.id, "我的失业金申请到哪一步了")
	if err != nil || a.Route != RouteAccount || !strings.Contains(a.Text, "审核中") {
		t.Fatalf("signed in: %+v %v", a, err)
	}
	a, err = s.Answer(ctx, "", "我的失业金申请到哪一步了")
	if err != nil || !strings.HasPrefix(a.Text, "请先登录。") {
		t.Fatalf("anonymous: %+v %v", a, err)
	}
	if strings.Join(pd.subjects, ",") != "alice," {
		t.Fatalf("subjects seen: %q", pd.subjects)
	}
	if a, _ := s.Answer(ctx, sess.id, "失业保险金怎么申请"); a.Route == RouteAccount || len(pd.subjects) != 2 {
		t.Fatalf("a guide question went to personal data: %+v", a)
	}
}

// TestAnonymousOwnRetirementAsksToSignInThenComputes: an anonymous "我什么时候退休" is told to
// sign in (PersonalData's answer), and a birth month said next is computed by the calculator as
// the answer to that question; a question with its own birth month never reaches the sign-in.
func TestAnonymousOwnRetirementAsksToSignInThenComputes(t *testing.T) {
	s, _ := testService(t, func(o *Options) { o.Personal = &recordingPersonal{} })
	ctx := context.Background()
	a, err := s.Answer(ctx, "", "我什么时候退休")
	if err != nil || a.Route != RouteRetirement || !a.Asks || !strings.Contains(a.Text, "登录") {
		t.Fatalf("anonymous: %+v %v", a, err)
	}
	b, err := s.Answer(ctx, a.SessionID, "七零年一月的，男的")
	if err != nil || b.Route != RouteRetirement || b.Asks {
		t.Fatalf("birth month after the sign-in answer: %+v %v", b, err)
	}
	mustContain(t, b.Text, "61岁4个月", "2031年5月")
	c, err := s.Answer(ctx, "", "六三年五月出生的男职工什么时候退休")
	if err != nil || c.Route != RouteRetirement || strings.Contains(c.Text, "登录") {
		t.Fatalf("own birth month: %+v %v", c, err)
	}
}
