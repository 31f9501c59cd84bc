package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestProgressReachesAnotherReplica: a person follows their applications over the SSE stream of
// replica B while the 经办 system's signed webhook for their application arrives at replica A;
// the progress event reaches B's stream (through the shared event log and its wake-ups), in the
// order of the steps.
func TestProgressReachesAnotherReplica(t *testing.T) {
	secret := []byte("cluster-upstream-secret-0123456789")
	c := newCluster(t, "redis")
	c.env = append(c.env, "SHEBAO_UPSTREAM_SECRET="+string(secret), "SHEBAO_SIMULATOR_STEP=24h")
	c.Start(2)
	a, b := c.Replicas[0], c.Replicas[1]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a hang detector
	defer cancel()
	token := c.userTokens([]string{"cl-progress-1"})[0]
	app := want(t, "submit", do2(ctx, "POST", a.Base+"/api/v1/me/applications", token, json.RawMessage(
		`{"form_code":"F-SBK-003","form_version":1,"values":{"name":"王小明","id_number":"11010519491231002X","loss":"lost","phone":"13812345678"}}`)))(201)
	id := app.body["id"].(string)

	req, err := http.NewRequestWithContext(ctx, "GET", b.Base+"/api/v1/me/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream on B: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") {
				events <- strings.TrimPrefix(l, "data: ")
			}
		}
	}()

	// The 经办 system numbers its own events per application (1, 2, …); the stream carries our
	// timeline's steps, which begin with the submission (已提交) made on A.
	for i, status := range []string{"accepted", "reviewing"} {
		seq := i + 1
		want(t, "webhook on A", func() (reply, error) { return webhook(ctx, a.Base, secret, id, seq, status) })(200)
		for got := false; !got; {
			select {
			case data, ok := <-events:
				if !ok {
					t.Fatalf("B's stream ended before step %d (%s) of %s arrived", seq, status, id)
				}
				var st struct {
					ApplicationID string `json:"application_id"`
					Seq           int    `json:"seq"`
					Status        string `json:"status"`
				}
				if json.Unmarshal([]byte(data), &st) == nil && st.ApplicationID == id && st.Status == status {
					got = true
				}
			case <-ctx.Done():
				t.Fatalf("step %d (%s) of %s posted to A never reached B's stream", seq, status, id)
			}
		}
	}
}
