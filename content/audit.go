package content

import (
	"context"
	"fmt"
	"strings"
	"time"

	"shebao/internal/db"
)

// AuditEntry is one record of the append-only audit log: who did what to which version, when and
// from where. Nothing updates or deletes these rows.
type AuditEntry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	ActionName string    `json:"action_name"`
	Kind       string    `json:"kind"`
	Code       string    `json:"code"`
	Version    int       `json:"version,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

var actionNames = map[string]string{
	"create": "新建", "new_draft": "新建草稿", "rollback": "恢复旧版本", "save": "保存", "discard": "放弃草稿",
	"submit": "提交审核", "approve": "审核通过", "send_back": "退回修改", "publish": "发布",
	"schedule": "定时发布", "unschedule": "取消定时", "publish_scheduled": "按计划发布", "schedule_failed": "定时发布失败",
	"force_publish": "紧急发布", "retro_review": "补充审核", "unpublish": "下线", "archive": "归档",
	"import_draft": "导入草稿", "import_publish": "导入并发布",
	"synonym_put": "设置同义词", "synonym_delete": "删除同义词", "bestbet_put": "设置推荐结果", "bestbet_delete": "删除推荐结果",
}

// ActionName returns the Chinese label of an audit action (the action itself if unknown).
func ActionName(action string) string {
	if n, ok := actionNames[action]; ok {
		return n
	}
	return action
}

// AuditFilter selects audit records. Every set field must match; Before pages backwards.
type AuditFilter struct {
	Kind   Kind   // guide or form; empty for both
	Code   string // one document
	Actor  string // one person
	Before int64  // only records with a smaller id (the previous page's last id)
	Limit  int    // default 50, at most 500
}

// Audit returns audit records matching f, newest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.Code != "" {
		where, args = append(where, "code = ?"), append(args, f.Code)
	}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	q := `SELECT id, at, actor, action, kind, code, version, ip, detail FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	return db.AppendRows([]AuditEntry{}, rows, func(r db.Scanner, e *AuditEntry) error {
		var at string
		err := r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Kind, &e.Code, &e.Version, &e.IP, &e.Detail)
		e.At, e.ActionName = parseTime(at), ActionName(e.Action)
		return err
	})
}

// RecordAudit appends a record for an action taken outside the content workflow (e.g. an editor
// changing search synonyms), so the log stays the one place to trace every change.
func (s *Service) RecordAudit(ctx context.Context, a Actor, action, kind, what string) error {
	if err := rememberPerson(ctx, s.db, a, fmtTime(s.now())); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `INSERT INTO audit_log (at, actor, action, kind, code, version, ip, detail) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
		fmtTime(s.now()), a.ID, action, kind, "", a.IP, what)
	return err
}
