package application

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/queue"
)

// Simulator is the built-in 经办 system of the embedded default. It accepts a submission (once
// per application id), then moves it through realistic steps, one every Step: most are 受理,
// 审核中, 办结 (and 待遇已发放 for benefits); a share asks for 补正 and waits for it; a share is
// refused with a reason drawn from the guide's 受理条件. Each step is posted as a signed webhook
// over HTTP to WebhookURL — this server's own /api/v1/upstream/events — so the path the
// simulator exercises is the one a real 经办 system uses. Its steps are queue jobs, so they
// survive restarts and are posted until the webhook accepts them.
type Simulator struct {
	DB         *db.DB
	Jobs       *queue.Queue
	Secret     []byte
	Step       time.Duration // between two steps
	WebhookURL func() string // where to post; read at each post (the port may be chosen at start)
	Guides     GuideNames
	Client     *http.Client
	Log        *slog.Logger
	Now        func() time.Time
	// Wake, when set, is called after a step was scheduled.
	Wake func()
}

// The simulator's share of outcomes, in percent of applications.
const (
	simSupplementShare = 15
	simRejectShare     = 10
)

// JobSimStep is the queue job kind of one simulated step.
const JobSimStep = "upstream.sim.step"

// simOffices are the handling offices the simulator names.
var simOffices = []string{"西安市社会保险经办中心", "宝鸡市社会保险经办中心", "咸阳市社会保险经办中心", "渭南市社会保险经办中心",
	"汉中市社会保险经办中心", "榆林市社会保险经办中心", "延安市社会保险经办中心", "陕西省社会保险经办中心"}

func (sm *Simulator) now() time.Time {
	if sm.Now != nil {
		return sm.Now()
	}
	return time.Now()
}

// plan is the steps an application will go through, decided by its id so that a restart does
// not change it.
func (sm *Simulator) plan(id, guide string) []UpstreamEvent {
	h := sha256.Sum256([]byte(id))
	roll := int(binary.BigEndian.Uint32(h[:4]) % 100)
	office := simOffices[int(h[4])%len(simOffices)]
	name, conds := "", []string(nil)
	if sm.Guides != nil {
		name, conds = sm.Guides(guide)
	}
	ev := func(status, detail string) UpstreamEvent {
		return UpstreamEvent{ApplicationID: id, Status: status, Detail: detail, Office: office}
	}
	var steps []UpstreamEvent
	switch {
	case roll < simRejectShare:
		reason := "经审核，不符合该事项的受理条件。"
		if len(conds) > 0 {
			reason = "经审核，不符合受理条件：" + strings.TrimRight(conds[int(h[5])%len(conds)], "。") + "。"
		}
		steps = append(steps, ev(event.StatusRejected, reason))
	case roll < simRejectShare+simSupplementShare:
		steps = append(steps, ev(event.StatusAccepted, "材料已接收。"),
			ev(event.StatusNeedsSupplement, "请补充提供：本人有效身份证件的清晰照片（正反面）。"),
			ev(event.StatusReviewing, "补正材料已收到，正在审核。"), ev(event.StatusCompleted, "已办结。"))
	default:
		steps = append(steps, ev(event.StatusAccepted, "材料已接收。"), ev(event.StatusReviewing, "正在审核。"), ev(event.StatusCompleted, "已办结。"))
	}
	if steps[len(steps)-1].Status == event.StatusCompleted && isBenefit(name) {
		steps = append(steps, ev(event.StatusBenefitPaid, "待遇已按月发放至本人社会保障卡银行账户。"))
	}
	for i := range steps {
		steps[i].Seq = i + 1
		steps[i].EventID = fmt.Sprintf("sim-%s-%d", id, i+1)
	}
	return steps
}

func isBenefit(guideName string) bool {
	for _, w := range []string{"保险金", "待遇", "津贴", "补助", "丧葬", "抚恤"} {
		if strings.Contains(guideName, w) {
			return true
		}
	}
	return false
}

type simStep struct {
	ID  string `json:"id"`
	Seq int    `json:"seq"`
}

// Submit accepts a submission; the same application id a second time changes nothing.
func (sm *Simulator) Submit(ctx context.Context, o Outgoing) error {
	return sm.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO upstream_sim_cases (id, guide_code, form_code, next_seq, created_at) VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (id) DO NOTHING`, o.ApplicationID, o.GuideCode, o.FormCode, sm.now().UnixMicro())
		if err != nil {
			return fmt.Errorf("simulator: accept: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return sm.schedule(ctx, tx, o.ApplicationID, 1)
	})
}

// Supplement takes the answer to a 补正 request and resumes the plan.
func (sm *Simulator) Supplement(ctx context.Context, id string, seq int, note string) error {
	return sm.DB.InTx(ctx, func(tx *db.Tx) error {
		var next, waiting int
		if err := tx.QueryRow(ctx, `SELECT next_seq, waiting FROM upstream_sim_cases WHERE id = ?`, id).Scan(&next, &waiting); err != nil {
			return fmt.Errorf("simulator: supplement for %s: %w", id, err)
		}
		if waiting == 0 {
			return nil // already resumed (a retried call)
		}
		if _, err := tx.Exec(ctx, `UPDATE upstream_sim_cases SET waiting = 0, supplements = supplements + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		return sm.schedule(ctx, tx, id, next)
	})
}

func (sm *Simulator) schedule(ctx context.Context, tx *db.Tx, id string, seq int) error {
	payload, _ := json.Marshal(simStep{ID: id, Seq: seq})
	_, err := sm.Jobs.Enqueue(ctx, tx, queue.Job{Kind: JobSimStep, Key: fmt.Sprintf("%s:%s:%d", JobSimStep, id, seq), Payload: payload,
		RunAt: sm.now().Add(sm.Step), MaxAttempts: deliveryAttempts})
	return err
}

// JobHandlers are the simulator's queue handlers.
func (sm *Simulator) JobHandlers() map[string]queue.Handler {
	return map[string]queue.Handler{JobSimStep: sm.runStep}
}

// runStep posts step seq of an application as a webhook, then schedules the next one (unless
// the plan ends or waits for a 补正).
func (sm *Simulator) runStep(ctx context.Context, j queue.Job) error {
	var p simStep
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return queue.Permanent(err)
	}
	var guide string
	if err := sm.DB.QueryRow(ctx, `SELECT guide_code FROM upstream_sim_cases WHERE id = ?`, p.ID).Scan(&guide); err != nil {
		return fmt.Errorf("simulator: case %s: %w", p.ID, err)
	}
	steps := sm.plan(p.ID, guide)
	if p.Seq > len(steps) {
		return nil
	}
	ev := steps[p.Seq-1]
	ev.At = sm.now().UTC()
	if err := sm.post(ctx, ev); err != nil {
		return err
	}
	return sm.DB.InTx(ctx, func(tx *db.Tx) error {
		wait := ev.Status == event.StatusNeedsSupplement
		if _, err := tx.Exec(ctx, `UPDATE upstream_sim_cases SET next_seq = ?, waiting = ? WHERE id = ? AND next_seq <= ?`,
			p.Seq+1, boolInt(wait), p.ID, p.Seq+1); err != nil {
			return err
		}
		if wait || p.Seq == len(steps) {
			return nil
		}
		return sm.schedule(ctx, tx, p.ID, p.Seq+1)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// post sends one signed webhook; any answer but 2xx is an error (the job retries).
func (sm *Simulator) post(ctx context.Context, ev UpstreamEvent) error {
	body, _ := json.Marshal(ev)
	now := sm.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sm.WebhookURL(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(sm.Secret, now, body))
	c := sm.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("simulator: post webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("simulator: webhook answered %d", resp.StatusCode)
	}
	return nil
}

// Handler serves the simulator as a 经办 system over HTTP (POST /applications and
// POST /applications/{id}/supplements, signed like the webhooks), for HTTPClient and its tests.
func (sm *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	read := func(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return nil, false
		}
		if err := Verify(sm.Secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, sm.now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return nil, false
		}
		return body, true
	}
	mux.HandleFunc("POST /applications", func(w http.ResponseWriter, r *http.Request) {
		body, ok := read(w, r)
		if !ok {
			return
		}
		var o Outgoing
		if err := json.Unmarshal(body, &o); err != nil || o.ApplicationID == "" || o.ApplicationID != r.Header.Get(HeaderIdempotency) {
			http.Error(w, "bad submission", http.StatusBadRequest)
			return
		}
		if err := sm.Submit(r.Context(), o); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /applications/{id}/supplements", func(w http.ResponseWriter, r *http.Request) {
		body, ok := read(w, r)
		if !ok {
			return
		}
		var p struct {
			Seq  int    `json:"seq"`
			Note string `json:"note"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad supplement", http.StatusBadRequest)
			return
		}
		if err := sm.Supplement(r.Context(), r.PathValue("id"), p.Seq, p.Note); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	return mux
}

// Accepted counts the submissions the simulator has accepted for an application id (0 or 1;
// for tests that check a submission is sent exactly once).
func (sm *Simulator) Accepted(ctx context.Context, id string) (int, error) {
	var n int
	err := sm.DB.QueryRow(ctx, `SELECT count(*) FROM upstream_sim_cases WHERE id = ?`, id).Scan(&n)
	return n, err
}
