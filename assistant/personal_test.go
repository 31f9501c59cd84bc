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
