package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shebao/content"
)

// invoke runs the binary's entry point in-process with the given environment variables.
func invoke(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environment{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestHelpOnEveryCommand(t *testing.T) {
	for name := range commands() {
		code, out, _ := invoke(t, nil, "", name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: shebao "+name) {
			t.Errorf("%s --help: code %d, out %q", name, code, out)
		}
	}
	if code, out, _ := invoke(t, nil, "", "--help"); code != 0 || !strings.Contains(out, "serve") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, errs := invoke(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
}

// TestStartupFailuresAreOneLine checks that bad storage ends the process with one clear line that
// names the path or host, never a panic or stack trace.
func TestStartupFailuresAreOneLine(t *testing.T) {
	dir := t.TempDir()
	corruptDir := filepath.Join(dir, "corrupt")
	os.MkdirAll(corruptDir, 0o700)
	os.WriteFile(filepath.Join(corruptDir, "shebao.db"), bytes.Repeat([]byte("garbage!"), 1000), 0o600)
	fileAsDir := filepath.Join(dir, "iamafile")
	os.WriteFile(fileAsDir, []byte("x"), 0o600)
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"corrupt sqlite", map[string]string{"SHEBAO_DATA_DIR": corruptDir, "SHEBAO_ADDR": "127.0.0.1:0"}, filepath.Join(corruptDir, "shebao.db")},
		{"data dir is a file", map[string]string{"SHEBAO_DATA_DIR": fileAsDir, "SHEBAO_ADDR": "127.0.0.1:0"}, fileAsDir},
		{"unreachable postgres", map[string]string{"SHEBAO_DATA_DIR": dir, "SHEBAO_ADDR": "127.0.0.1:0",
			"DATABASE_URL": "postgres://u@127.0.0.1:1/db?connect_timeout=2"}, "127.0.0.1:1"},
		{"bad config", map[string]string{"SHEBAO_ADDR": "nonsense"}, "SHEBAO_ADDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"serve", "migrate"} {
				code, _, errs := invoke(t, tc.vars, "", cmd)
				if code == 0 {
					t.Fatalf("%s: exit 0", cmd)
				}
				lines := strings.Split(strings.TrimSpace(errs), "\n")
				if len(lines) != 1 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "goroutine") {
					t.Errorf("%s: want one line naming %q, got %q", cmd, tc.want, errs)
				}
			}
		})
	}
}

// TestExportImportRoundTrip: `shebao export | shebao import --publish -` into an empty data dir
// gives identical content.
func TestExportImportRoundTrip(t *testing.T) {
	src := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_LOG_LEVEL": "error"}
	code, exported, errs := invoke(t, src, "", "export")
	if code != 0 {
		t.Fatalf("export: %s", errs)
	}
	lines := strings.Split(strings.TrimSpace(exported), "\n")
	if len(lines) < 60 {
		t.Fatalf("exported %d guides", len(lines))
	}
	for _, l := range lines[:3] {
		var g content.Guide
		if err := json.Unmarshal([]byte(l), &g); err != nil || g.Code == "" || g.Version != 1 || g.Status != "published" {
			t.Fatalf("export line is not a full guide: %v %.200s", err, l)
		}
	}

	dst := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_SEED": "false", "SHEBAO_LOG_LEVEL": "error"}
	code, _, errs = invoke(t, dst, exported, "import", "--publish", "-")
	if code == 0 || !strings.Contains(errs, "--token") {
		t.Fatalf("publish without an admin token: code %d, %q", code, errs)
	}
	code, tok, errs := invoke(t, dst, "", "token", "--subject", "ops", "--role", "admin")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	edTok := mint(t, dst, "editor")
	if code, _, errs = invoke(t, dst, exported, "import", "--publish", "--token", edTok, "-"); code == 0 || !strings.Contains(errs, "admin") {
		t.Fatalf("publish with an editor token: %d %q", code, errs)
	}
	code, out, errs := invoke(t, dst, exported, "import", "--publish", "--token", strings.TrimSpace(tok), "-")
	if code != 0 {
		t.Fatalf("import: %s", errs)
	}
	if !strings.Contains(out, "published") {
		t.Errorf("import output %q", out)
	}
	_, again, _ := invoke(t, dst, "", "export")
	if strip(t, again) != strip(t, exported) {
		t.Error("round trip changed the content")
	}
}

func mint(t *testing.T, vars map[string]string, role string) string {
	t.Helper()
	code, tok, errs := invoke(t, vars, "", "token", "--subject", role+"-1", "--role", role)
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	return strings.TrimSpace(tok)
}

// strip removes the store's timestamps, which differ between two stores by design.
func strip(t *testing.T, export string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(export), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "updated_at")
		delete(m, "public_updated_at")
		out, _ := json.Marshal(m)
		b.Write(out)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestImportRejectsBadFilesWhole(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"SHEBAO_DATA_DIR": dir, "SHEBAO_SEED": "false", "SHEBAO_LOG_LEVEL": "error"}
	good := `{"code":"T-1","name":"测试","aliases":[],"category":"pension","audience":["person"],"region":"陕西省","item_type":"公共服务","summary":"s","basis":[{"law":"法"}],"conditions":["c"],"materials":[{"name":"身份证","form":"原件","copies":1,"source":"自备"}],"steps":[{"title":"t","detail":"d"}],"channels":[{"type":"window","where":"窗口"}],"locations":[{"name":"大厅","hours":"工作日"}],"time_limit":{"statutory":"10个工作日","promised":"即时"},"visits":1,"fee":{"charged":false,"standard":"不收费"},"delivery":"当场","phone":"12333","complaint":"12345","faq":[]}`
	cases := []struct {
		name, file, want string
	}{
		{"duplicate code", good + "\n" + good, "重复"},
		{"missing element", good + "\n" + strings.Replace(strings.Replace(good, `"summary":"s",`, "", 1), "T-1", "T-2", 1), "简述"},
		{"invalid yaml", "guides:\n  - code: [\n", "YAML"},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, "in.txt")
		os.WriteFile(p, []byte(tc.file), 0o600)
		code, _, errs := invoke(t, vars, "", "import", p)
		if code == 0 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "in.txt") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: code %d, stderr %q", tc.name, code, errs)
		}
	}
	_, out, _ := invoke(t, vars, "", "export")
	if strings.TrimSpace(out) != "" {
		t.Errorf("a rejected import left guides behind: %.200s", out)
	}
}

func TestRetireCommand(t *testing.T) {
	code, out, _ := invoke(t, nil, "", "retire", "--category", "male", "--birth", "1970-01")
	if code != 0 || !strings.Contains(out, "61岁4个月") || !strings.Contains(out, "2031年5月") {
		t.Errorf("sentence: %d %q", code, out)
	}
	code, out, _ = invoke(t, nil, "", "retire", "--category", "female50", "--birth", "1975-03", "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["retirement_month"] != "2025-05" {
		t.Errorf("json: %d %q", code, out)
	}
	for _, args := range [][]string{{"--category", "x", "--birth", "1970-01"}, {"--category", "male", "--birth", "1970-13"}, {"--category", "male"}} {
		code, _, errs := invoke(t, nil, "", append([]string{"retire"}, args...)...)
		if code == 0 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: code %d %q", args, code, errs)
		}
	}
}

// --config is read after the flags are parsed, by every command that takes it.
func TestConfigFlag(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "shebao.yaml")
	os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\nlog_level: error\n"), 0o600)
	code, out, errs := invoke(t, nil, "", "migrate", "--config", cfg)
	if code != 0 || !strings.Contains(out, filepath.Join(dir, "data", "shebao.db")) {
		t.Fatalf("migrate --config: %d %q %q", code, out, errs)
	}
	missing := filepath.Join(dir, "missing.yaml")
	for _, args := range [][]string{{"migrate", "--config", missing}, {"export", "--config", missing},
		{"serve", "--config", missing}, {"eval", "search", "--config", missing, "x.tsv"}} {
		code, _, errs := invoke(t, nil, "", args...)
		if code == 0 || !strings.Contains(errs, "missing.yaml") {
			t.Errorf("%v with a missing config file: %d %q", args, code, errs)
		}
	}
}

// `import --publish` with the same content already waiting as a draft fails and says why, rather
// than printing "1 unchanged" and leaving the draft offline.
func TestImportPublishNeverQuietlySkips(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"SHEBAO_DATA_DIR": dir, "SHEBAO_SEED": "false", "SHEBAO_LOG_LEVEL": "error"}
	admin := mint(t, vars, "admin")
	guide := `{"code":"T-1","name":"原名","aliases":[],"category":"pension","audience":["person"],"region":"陕西省","item_type":"公共服务","summary":"s","basis":[{"law":"法"}],"conditions":["c"],"materials":[{"name":"身份证","form":"原件","copies":1,"source":"自备"}],"steps":[{"title":"t","detail":"d"}],"channels":[{"type":"window","where":"窗口"}],"locations":[{"name":"大厅","hours":"工作日"}],"time_limit":{"statutory":"10个工作日","promised":"即时"},"visits":1,"fee":{"charged":false,"standard":"不收费"},"delivery":"当场","phone":"12333","complaint":"12345","faq":[]}`
	changed := strings.Replace(guide, "原名", "新名", 1)
	if code, _, errs := invoke(t, vars, guide, "import", "--publish", "--token", admin, "-"); code != 0 {
		t.Fatalf("first publish: %s", errs)
	}
	if code, out, errs := invoke(t, vars, changed, "import", "-"); code != 0 || !strings.Contains(out, "1 new versions") {
		t.Fatalf("draft import: %d %q %s", code, out, errs)
	}
	code, out, errs := invoke(t, vars, changed, "import", "--publish", "--token", admin, "-")
	if code == 0 || strings.Contains(out, "unchanged") || !strings.Contains(errs, "第2版") {
		t.Fatalf("publish over an identical draft: code %d, stdout %q, stderr %q", code, out, errs)
	}
	_, exported, _ := invoke(t, vars, "", "export")
	if !strings.Contains(exported, "原名") || strings.Contains(exported, "新名") {
		t.Errorf("online content changed: %.200s", exported)
	}
	// Publishing what is online is a true no-op.
	if code, out, errs := invoke(t, vars, guide, "import", "--publish", "--token", admin, "-"); code != 0 || !strings.Contains(out, "1 unchanged") {
		t.Fatalf("publish of the online content: %d %q %s", code, out, errs)
	}
}

// TestCommandsSayWhichDataDirTheyCreate checks the stderr line a data command prints when its
// data dir does not exist yet, and its absence when it does.
func TestCommandsSayWhichDataDirTheyCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	vars := map[string]string{"SHEBAO_DATA_DIR": dir, "SHEBAO_LOG_LEVEL": "error"}
	code, _, errs := invoke(t, vars, "", "export")
	if code != 0 || !strings.Contains(errs, "data dir "+dir+" does not exist; creating it") {
		t.Errorf("first export: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "shebao.db")); err != nil {
		t.Errorf("no database created: %v", err)
	}
	if code, _, errs := invoke(t, vars, "", "export"); code != 0 || strings.Contains(errs, "creating") {
		t.Errorf("second export: %d %q", code, errs)
	}
}

// TestHelpTexts checks what the help of two commands promises: every retirement category, and
// the import token flag named TOKEN-like rather than after a backquoted command.
func TestHelpTexts(t *testing.T) {
	_, out, _ := invoke(t, nil, "", "retire", "--help")
	for _, c := range []string{"male", "female50", "female55", "--birth 1980-06"} {
		if !strings.Contains(out, c) {
			t.Errorf("retire --help lacks %q:\n%s", c, out)
		}
	}
	_, out, _ = invoke(t, nil, "", "import", "--help")
	if strings.Contains(out, "-token shebao") || !strings.Contains(out, "-token string") {
		t.Errorf("import --help:\n%s", out)
	}
}
