package assistant

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRunTerminal(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	in := strings.NewReader("社保卡丢了怎么办\n\n我哪年退休\n七零年一月的男职工\n转人工\n")
	if err := RunTerminal(ctx, wsURL(srv), "", false, in, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	mustContain(t, got, "已连接陕西社保智能助手", "社会保障卡挂失", "来源：社会保障卡挂失 · 办理流程（SX-SBK-001）",
		"哪年哪月出生", "61岁4个月", "☎ 人工服务：请拨打 12333", "您还可以问：")
	if strings.Index(got, "61岁4个月") > strings.Index(got, "人工服务") {
		t.Error("answers out of order")
	}
}

func TestRunTerminalJSON(t *testing.T) {
	t.Parallel()
	_, srv, _ := testServer(t, nil)
	var out bytes.Buffer
	err := RunTerminal(context.Background(), wsURL(srv), "", true, strings.NewReader("养老金认证要带什么材料\n转人工\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev struct{ Type string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line is not JSON: %q", line)
		}
		types[ev.Type]++
	}
	if types[EventReady] != 1 || types[EventAnswer] != 2 || types[EventDelta] == 0 || types[EventHandoff] != 1 {
		t.Errorf("event types %v", types)
	}
}

func TestRunTerminalBadURL(t *testing.T) {
	t.Parallel()
	err := RunTerminal(context.Background(), "ws://127.0.0.1:1/api/v1/chat", "", false, strings.NewReader("hi\n"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "连接") {
		t.Errorf("err = %v", err)
	}
}
