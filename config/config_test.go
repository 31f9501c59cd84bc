package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsRunWithNoFile(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.DatabaseURL != "" || !c.Seed {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestEnvOverridesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("addr: 127.0.0.1:9000\ndata_dir: /tmp/x\nshutdown_timeout: 3s\n"), 0o600)
	c, err := Load(p, env(map[string]string{"SHEBAO_ADDR": "0.0.0.0:7000", "SHEBAO_ALLOWED_ORIGINS": "https://a.cn, https://b.cn"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:7000" || c.DataDir != "/tmp/x" || c.ShutdownTimeout != 3*time.Second {
		t.Errorf("got %+v", c)
	}
	if len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "https://b.cn" {
		t.Errorf("origins %q", c.AllowedOrigins)
	}
}

func TestValidationNamesTheSetting(t *testing.T) {
	cases := []struct {
		env  map[string]string
		file string
		want string
	}{
		{env: map[string]string{"SHEBAO_ADDR": "nonsense"}, want: "SHEBAO_ADDR"},
		{env: map[string]string{"DATABASE_URL": "mysql://x"}, want: "DATABASE_URL"},
		{env: map[string]string{"SHEBAO_LOG_LEVEL": "loud"}, want: "SHEBAO_LOG_LEVEL"},
		{env: map[string]string{"SHEBAO_SEED": "maybe"}, want: "SHEBAO_SEED"},
		{env: map[string]string{"SHEBAO_SHUTDOWN_TIMEOUT": "forever"}, want: "SHEBAO_SHUTDOWN_TIMEOUT"},
		{env: map[string]string{"SHEBAO_MODEL_BASE_URL": "http://127.0.0.1:8000/v1"}, want: "SHEBAO_MODEL_NAME"},
		{env: map[string]string{"SHEBAO_MODEL_MAX_TOKENS": "0"}, want: "SHEBAO_MODEL_MAX_TOKENS"},
		{env: map[string]string{"SHEBAO_SQLITE_MAX_CONNS": "0"}, want: "SHEBAO_SQLITE_MAX_CONNS"},
		{env: map[string]string{"SHEBAO_CHAT_MAX_CONNS_PER_IP": "0"}, want: "SHEBAO_CHAT_MAX_CONNS_PER_IP"},
		{env: map[string]string{"SHEBAO_CHAT_MAX_CONNS_PER_USER": "-1"}, want: "SHEBAO_CHAT_MAX_CONNS_PER_USER"},
		{env: map[string]string{"SHEBAO_TOKEN_MAX_TTL": "876000h"}, want: "SHEBAO_TOKEN_MAX_TTL"},
		{env: map[string]string{"SHEBAO_TOKEN_REVOCATION_REFRESH": "1ns"}, want: "SHEBAO_TOKEN_REVOCATION_REFRESH"},
		{env: map[string]string{"SHEBAO_QUEUE_LEASE": "10ms"}, want: "SHEBAO_QUEUE_LEASE"},
		{file: "addr: [1,2\n", want: "config file"},
		{file: "colour: red\n", want: "colour"},
	}
	for _, tc := range cases {
		path := ""
		if tc.file != "" {
			path = filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(tc.file), 0o600)
		}
		_, err := Load(path, env(tc.env))
		if err == nil {
			t.Errorf("%v %q: want error", tc.env, tc.file)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("error %q should be one line naming %s", msg, tc.want)
		}
	}
}

func TestSampleConfigListsEveryOptionAndParses(t *testing.T) {
	s := SampleYAML()
	for _, o := range Options() {
		if !strings.Contains(s, "# "+o.YAML+":") || !strings.Contains(s, o.Env) {
			t.Errorf("sample config lacks %s", o.YAML)
		}
	}
	// Uncommenting every option line gives a file that loads to the defaults.
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "# ") && strings.Contains(line, ": ") && !strings.Contains(line, "(env ") {
			b.WriteString(strings.TrimPrefix(line, "# ") + "\n")
		}
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(b.String()), 0o600)
	c, err := Load(p, env(nil))
	if err != nil {
		t.Fatalf("uncommented sample does not load: %v\n%s", err, b.String())
	}
	if c.Addr != Default().Addr || c.ShutdownTimeout != Default().ShutdownTimeout {
		t.Errorf("sample defaults differ: %+v", c)
	}
}

// Dev mode hands out sign-ins without a password: it must never be on unless asked for.
func TestDevModeIsOffByDefault(t *testing.T) {
	if Default().Dev {
		t.Fatal("dev mode is on by default")
	}
	c, err := Load("", func(k string) string {
		if k == "SHEBAO_DEV" {
			return "true"
		}
		return ""
	})
	if err != nil || !c.Dev {
		t.Fatalf("SHEBAO_DEV=true: dev %v, %v", c.Dev, err)
	}
}
