package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shebao/content"
)

// TestRunningServerSeesImportFromAnotherProcess is issue #18.3: `shebao import --publish` into the
// data dir of a running server publishes a new version; the server then serves it and finds it by
// its new words (through the event log's poll), and so does the server after a restart.
func TestRunningServerSeesImportFromAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	vars := map[string]string{"SHEBAO_DATA_DIR": dir, "SHEBAO_ADDR": addr, "SHEBAO_LOG_LEVEL": "error"}
	stop := startServer(t, vars)
	base := "http://" + addr
	waitFor(t, "server ready", func() bool { return get(t, base+"/readyz", nil) == http.StatusOK })

	// The other process: export one guide, change it, import and publish it.
	code, exported, errs := invoke(t, vars, "", "export")
	if code != 0 {
		t.Fatalf("export: %s", errs)
	}
	var g content.Guide
	for _, l := range strings.Split(strings.TrimSpace(exported), "\n") {
		if err := json.Unmarshal([]byte(l), &g); err != nil {
			t.Fatal(err)
		}
		if g.Version == 1 {
			break
		}
	}
	const word = "犀牛镜湖"
	g.Aliases = append(g.Aliases, word)
	g.Summary += "（另一进程修改）"
	g.ChangeNote = "增加别名"
	line, _ := json.Marshal(g)
	file := filepath.Join(dir, "change.json")
	os.WriteFile(file, line, 0o600)
	code, _, errs = invoke(t, vars, "", "import", "--publish", "--token", mint(t, vars, "admin"), file)
	if code != 0 {
		t.Fatalf("import --publish: %s", errs)
	}

	served := func() bool {
		var body struct {
			Version int `json:"version"`
		}
		return get(t, base+"/api/v1/guides/"+g.Code, &body) == http.StatusOK && body.Version == 2
	}
	found := func() bool {
		var body struct {
			Results []struct {
				Code string `json:"code"`
			} `json:"results"`
		}
		return get(t, base+"/api/v1/search?q="+url.QueryEscape(word), &body) == http.StatusOK &&
			len(body.Results) > 0 && body.Results[0].Code == g.Code
	}
	waitFor(t, "the running server serves version 2", served)
	waitFor(t, "the running server finds the new alias", found)
	stop()

	// After a restart the index starts from its recorded position, not from nothing.
	stop = startServer(t, vars)
	defer stop()
	waitFor(t, "server ready after restart", func() bool { return get(t, base+"/readyz", nil) == http.StatusOK })
	if !served() || !found() {
		t.Fatalf("after restart: served v2 %v, found %v", served(), found())
	}
}

// startServer runs `shebao serve` in this process and returns a function that stops it.
func startServer(t *testing.T, vars map[string]string) (stop func()) {
	t.Helper()
	out, done, cancel := serveBackground(vars)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		stopServe(t, cancel, done, out)
	}
	t.Cleanup(stop)
	return stop
}

// get fetches u and decodes a JSON body into v (when not nil); it returns the status, 0 when
// the server did not answer.
func get(t *testing.T, u string, v any) int {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if v != nil {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// waitFor polls cond until it holds, failing the test after a generous minute (a deadline for a
// hung test, not a speed check: speed is in the benchmarks).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
