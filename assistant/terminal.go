package assistant

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// RunTerminal is the terminal chat client behind `shebao chat`: it connects to url (ws://…/api/v1/chat),
// sends hello with token (may be empty), then sends each non-empty line read from in as a
// message and prints the replies to out — streamed text, the final answer with its sources,
// handoffs and errors, in Chinese. With jsonOut it prints every server event as one JSON line
// instead. It returns when in ends (after the last answer) or ctx is cancelled. A dropped
// connection is resumed with the session id and last seq, up to three times.
func RunTerminal(ctx context.Context, url, token string, jsonOut bool, in io.Reader, out io.Writer) error {
	t := &terminal{url: url, token: token, json: jsonOut, out: out}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := t.connect(ctx); err != nil {
		return err
	}
	defer func() { t.ws.Close() }()
	n := 0
	waiting := "" // id of the message whose answer is awaited
	in2 := lines
	for {
		if waiting != "" {
			in2 = nil
		} else {
			in2 = lines
		}
		select {
		case <-ctx.Done():
			t.goodbye()
			return ctx.Err()
		case line, ok := <-in2:
			if !ok {
				t.goodbye()
				return nil
			}
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			n++
			waiting = fmt.Sprintf("t%d-%d", time.Now().Unix()%100000, n)
			t.pending = map[string]any{"type": FrameMessage, "id": waiting, "text": line}
			if err := t.ws.WriteJSON(t.pending); err != nil {
				if err := t.reconnect(ctx); err != nil {
					return err
				}
			}
		case ev, ok := <-t.events:
			if !ok {
				if err := t.reconnect(ctx); err != nil {
					return err
				}
				continue
			}
			if t.show(ev) == waiting && waiting != "" {
				waiting, t.pending = "", nil
			}
		}
	}
}

type terminal struct {
	url, token string
	json       bool
	out        io.Writer
	ws         *websocket.Conn
	events     chan []byte
	sessionID  string
	lastSeq    int64
	streamed   strings.Builder
	pending    map[string]any // message sent and not answered, resent after a reconnect
	tries      int
}

func (t *terminal) connect(ctx context.Context) error {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	ws, resp, err := d.DialContext(ctx, t.url, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("连接 %s 失败（HTTP %d）: %w", t.url, resp.StatusCode, err)
		}
		return fmt.Errorf("连接 %s 失败: %w", t.url, err)
	}
	hello := map[string]any{"type": FrameHello, "token": t.token, "session_id": t.sessionID, "last_seq": t.lastSeq, "locale": "zh-CN"}
	if err := ws.WriteJSON(hello); err != nil {
		ws.Close()
		return fmt.Errorf("发送 hello 失败: %w", err)
	}
	t.ws = ws
	t.events = make(chan []byte, 16)
	go func(ws *websocket.Conn, ch chan []byte) {
		defer close(ch)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code != websocket.CloseNormalClosure && !t.json {
					fmt.Fprintf(t.out, "[连接关闭 %d] %s\n", ce.Code, ce.Text)
				}
				return
			}
			ch <- data
		}
	}(ws, t.events)
	return nil
}

// reconnect resumes the session after the connection dropped and resends the unanswered message.
func (t *terminal) reconnect(ctx context.Context) error {
	t.ws.Close()
	for {
		t.tries++
		if t.tries > 3 {
			return errors.New("连接已断开，重连失败")
		}
		select {
		case <-time.After(time.Duration(t.tries) * 500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := t.connect(ctx); err != nil {
			continue
		}
		if t.pending != nil {
			if err := t.ws.WriteJSON(t.pending); err != nil {
				continue
			}
		}
		return nil
	}
}

// goodbye prints what is still on its way (a handoff follows its answer), then closes the
// connection politely.
func (t *terminal) goodbye() {
	for quiet := false; !quiet; {
		select {
		case ev, ok := <-t.events:
			if !ok {
				return
			}
			t.show(ev)
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}
	_ = t.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	timeout := time.After(2 * time.Second)
	for {
		select {
		case ev, ok := <-t.events:
			if !ok {
				return
			}
			t.show(ev)
		case <-timeout:
			return
		}
	}
}

// show prints one event and returns the message id it finishes (answer or error), if any.
func (t *terminal) show(data []byte) string {
	var ev struct {
		Type        string     `json:"type"`
		Seq         int64      `json:"seq"`
		SessionID   string     `json:"session_id"`
		Resumed     bool       `json:"resumed"`
		ReplyTo     string     `json:"reply_to"`
		Text        string     `json:"text"`
		Citations   []Citation `json:"citations"`
		Suggestions []string   `json:"suggestions"`
		Phone       string     `json:"phone"`
		Reason      string     `json:"reason"`
		Code        string     `json:"code"`
		Message     string     `json:"message"`
		Form        *FormState `json:"form"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ""
	}
	if ev.Seq > t.lastSeq {
		t.lastSeq = ev.Seq
	}
	t.tries = 0
	if t.json {
		fmt.Fprintf(t.out, "%s\n", data)
	}
	switch ev.Type {
	case EventReady:
		t.sessionID = ev.SessionID
		if !t.json && !ev.Resumed {
			fmt.Fprintf(t.out, "已连接陕西社保智能助手（会话 %s）。请输入问题，按 Ctrl-D 退出。\n", ev.SessionID)
		}
	case EventDelta:
		if !t.json {
			t.streamed.WriteString(ev.Text)
			fmt.Fprint(t.out, ev.Text)
		}
	case EventAnswer, EventForm: // a form turn is answered by its form event
		if !t.json {
			if t.streamed.String() != ev.Text {
				if t.streamed.Len() > 0 {
					fmt.Fprint(t.out, "\n（更正）")
				}
				fmt.Fprint(t.out, ev.Text)
			}
			fmt.Fprintln(t.out)
			for _, c := range ev.Citations {
				fmt.Fprintf(t.out, "  来源：%s · %s（%s）\n", c.Title, c.Label, c.Code)
			}
			if f := ev.Form; f != nil {
				fmt.Fprintf(t.out, "  %s：第%d项，共%d项", f.Title, min(f.Progress[0]+1, f.Progress[1]), f.Progress[1])
				if f.ApplicationID != "" {
					fmt.Fprintf(t.out, "，申请编号 %s", f.ApplicationID)
				}
				fmt.Fprintln(t.out)
			} else if len(ev.Suggestions) > 0 {
				fmt.Fprintf(t.out, "  您还可以问：%s\n", strings.Join(ev.Suggestions, " / "))
			}
		}
		t.streamed.Reset()
		return ev.ReplyTo
	case EventHandoff:
		if !t.json {
			fmt.Fprintf(t.out, "  ☎ 人工服务：请拨打 %s\n", ev.Phone)
		}
	case EventNotice:
		if !t.json {
			fmt.Fprintf(t.out, "[通知] %s\n", ev.Text)
		}
	case EventError:
		if !t.json {
			t.streamed.Reset()
			fmt.Fprintf(t.out, "[%s] %s\n", ev.Code, ev.Message)
		}
		return ev.ReplyTo
	}
	return ""
}
