package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"shebao/content"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/queue"
)

// Follow registers notify's log consumers on l: application steps (each a message to the
// applicant) and major guide publications (an alert to the guide's followers). Both keep their
// position in the store and start at the head of the log the first time (history is not sent).
func (s *Service) Follow(ctx context.Context, l *eventlog.Log) (func(), error) {
	un1, err := l.Register(ctx, eventlog.Consumer{Name: "notify:applications", Topics: []string{event.ApplicationChanged},
		Handle: s.onApplication, Position: l.Stored("notify:applications"), Start: eventlog.FromHead})
	if err != nil {
		return nil, err
	}
	un2, err := l.Register(ctx, eventlog.Consumer{Name: "notify:guides", Topics: []string{event.GuidePublished},
		Handle: s.onGuide, Position: l.Stored("notify:guides"), Start: eventlog.FromHead})
	if err != nil {
		un1()
		return nil, err
	}
	return func() { un1(); un2() }, nil
}

// stepMessages are the messages for the step statuses a person is told about. The body is head
// (with the guide's name for %s), then detailSep and the step's detail when both are there, then
// tail.
var stepMessages = map[string]struct {
	kind                         Kind
	title, head, detailSep, tail string
	urgent                       bool
}{
	event.StatusAccepted:        {KindProgress, "申请已受理", "您办理的“%s”已受理，我们会尽快审核", "", "。", false},
	event.StatusNeedsSupplement: {KindProgress, "需要补正材料", "您办理的“%s”需要补正材料", "：", "。请尽快补充。", true},
	event.StatusReviewing:       {KindProgress, "申请审核中", "您办理的“%s”正在审核", "", "。", false},
	event.StatusCompleted:       {KindProgress, "申请已办结", "您办理的“%s”已办结", "", "。", false},
	event.StatusRejected:        {KindProgress, "申请未予受理", "您办理的“%s”未予受理", "，原因：", "。如有疑问请拨打12333。", false},
	event.StatusBenefitPaid:     {KindBenefit, "待遇已发放", "“%s”相关待遇已发放", "：", "。", false},
}

// stepText is what a person reads for a step: kind, title and body; ok false for steps that need
// no message (the person's own actions).
func stepText(st event.ApplicationStep) (k Kind, title, body string, urgent, ok bool) {
	m, ok := stepMessages[st.Status]
	if !ok {
		return "", "", "", false, false
	}
	name := st.GuideName
	if name == "" {
		name = "您的申请"
	}
	body = fmt.Sprintf(m.head, name)
	if m.detailSep != "" && st.Detail != "" {
		body += m.detailSep + st.Detail
	}
	return m.kind, m.title, body + m.tail, m.urgent, true
}

func (s *Service) onApplication(ctx context.Context, e event.Event) error {
	var st event.ApplicationStep
	if err := json.Unmarshal(e.Data, &st); err != nil {
		s.log.Error("notify: unreadable application event; skipped", "event", e.ID, "err", err)
		return nil
	}
	k, title, body, urgent, ok := stepText(st)
	if !ok || st.Person == "" || st.ApplicationID == "" {
		return nil
	}
	_, err := s.Notify(ctx, nil, Message{
		Key:    "app:" + st.ApplicationID + ":" + strconv.Itoa(st.Seq),
		Person: st.Person, Kind: k, Title: title, Body: body,
		Link:     "/applications/" + st.ApplicationID,
		Collapse: "app:" + st.ApplicationID, Urgent: urgent,
	})
	return err
}

func (s *Service) onGuide(ctx context.Context, e event.Event) error {
	var g content.GuideEvent
	if err := json.Unmarshal(e.Data, &g); err != nil {
		s.log.Error("notify: unreadable guide event; skipped", "event", e.ID, "err", err)
		return nil
	}
	if !g.Major || s.opts.Followers == nil {
		return nil
	}
	people, err := s.opts.Followers.Followers(ctx, g.Code)
	if err != nil {
		return err
	}
	body := "您关注的办事指南有重要更新。"
	if g.ChangeNote != "" {
		body = "修改说明：" + g.ChangeNote
	}
	for i := 0; i < len(people); i += 500 {
		chunk := people[i:min(i+500, len(people))]
		msgs := make([]Message, len(chunk))
		for j, p := range chunk {
			msgs[j] = Message{
				Key:    "guide:" + g.Code + ":v" + strconv.Itoa(g.Version) + ":" + p,
				Person: p, Kind: KindGuide, Title: "您关注的办事指南已更新", Body: body,
				Link: "/guides/" + g.Code,
			}
		}
		if _, err := s.Notify(ctx, nil, msgs...); err != nil {
			return err
		}
	}
	return nil
}

// Worker returns a queue worker with notify's handlers, concurrency from Options.
func (s *Service) Worker(name string) *queue.Worker {
	if name == "" {
		h, _ := os.Hostname()
		name = fmt.Sprintf("notify@%s:%d", h, os.Getpid())
	}
	w := s.q.NewWorker(queue.WorkerOptions{Name: name, Concurrency: s.opts.Concurrency, Log: s.log})
	s.Handle(w)
	return w
}

// Handle adds notify's job handlers to w (for a process that runs one worker for every kind).
func (s *Service) Handle(w *queue.Worker) {
	w.Handle(JobDeliver, s.deliver)
	w.Handle(JobCampaign, s.campaignStep)
	w.Handle(JobDeliverBatch, s.deliverBatch)
}

// Run expires unused subscriptions once an hour until ctx ends (the worker runs the sends).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := s.ExpireSubscriptions(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notify: expire subscriptions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
