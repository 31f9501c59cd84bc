package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"shebao/config"
	"shebao/internal/dbtest"
)

// TestTokenLimitsAndRevocation: the token command refuses a lifetime over token_max_ttl, and a
// token revoked with --revoke (or its person with --revoke-subject) is refused by a server
// already running on the same data dir once it re-reads the list.
func TestTokenLimitsAndRevocation(t *testing.T) {
	vars := map[string]string{"SHEBAO_DATA_DIR": t.TempDir(), "SHEBAO_TOKEN_REVOCATION_REFRESH": "100ms"}
	if code, _, errs := invoke(t, vars, "", "token", "--subject", "a", "--role", "editor", "--ttl", "876000h"); code != 2 || !strings.Contains(errs, "--ttl") {
		t.Errorf("100-year token: exit %d %q", code, errs)
	}
	vars["SHEBAO_TOKEN_MAX_TTL"] = "1h"
	if code, _, _ := invoke(t, vars, "", "token", "--subject", "a", "--role", "editor", "--ttl", "2h"); code == 0 {
		t.Error("minted a token over SHEBAO_TOKEN_MAX_TTL")
	}
	delete(vars, "SHEBAO_TOKEN_MAX_TTL")

	addr, _ := startServe(t, vars)
	status := func(tok string) int { return editorStatus(t, addr, tok) }
	// eventually polls the running server until it answers want.
	eventually := func(tok string, want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for status(tok) != want {
			if time.Now().After(deadline) {
				t.Fatalf("still %d, want %d", status(tok), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	editor := func(sub string) string {
		_, tok, errs := invoke(t, vars, "", "token", "--subject", sub, "--role", "editor")
		if tok == "" {
			t.Fatal(errs)
		}
		return strings.TrimSpace(tok)
	}
	a1, a2, b1 := editor("a"), editor("a"), editor("b")
	for _, tok := range []string{a1, a2, b1} {
		if s := status(tok); s != 200 {
			t.Fatalf("fresh token: %d", s)
		}
	}
	if code, out, errs := invoke(t, vars, "", "token", "--revoke", a1, "--reason", "lost laptop"); code != 0 || !strings.Contains(out, "revoked token") {
		t.Fatalf("--revoke: %d %q %q", code, out, errs)
	}
	eventually(a1, 401)
	if s := status(a2); s != 200 {
		t.Errorf("the person's other token: %d", s)
	}
	if code, _, errs := invoke(t, vars, "", "token", "--revoke-subject", "a"); code != 0 {
		t.Fatalf("--revoke-subject: %d %q", code, errs)
	}
	eventually(a2, 401)
	if s := status(b1); s != 200 {
		t.Errorf("someone else's token: %d", s)
	}
}

// editorStatus is the status a running server answers an editor's request with tok.
func editorStatus(t *testing.T, addr, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/admin/guides", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestFileKeysMoveToPostgres: a server that signed with its data dir's key files opens its
// verifier with DATABASE_URL for the first time (as serve and the token command do). The tokens
// it issued stay valid there and on a second replica with a data dir of its own, and the files are
// imported once (the token command's second open adds no key).
func TestFileKeysMoveToPostgres(t *testing.T) {
	pg := dbtest.Postgres(t)
	if pg == nil {
		t.Skip("set " + dbtest.EnvVar + " to run against PostgreSQL")
	}
	ctx := context.Background()
	first := t.TempDir()
	old := mint(t, map[string]string{"SHEBAO_DATA_DIR": first}, "editor")
	for _, dir := range []string{first, t.TempDir()} {
		cfg := config.Default()
		cfg.DataDir, cfg.DatabaseURL = dir, pg.PostgresURL()
		v, err := openVerifier(ctx, cfg, pg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, old); err != nil {
			t.Fatalf("replica with data dir %s refuses a token signed with the file keys before DATABASE_URL: %v", dir, err)
		}
	}
	if code, _, errs := invoke(t, map[string]string{"SHEBAO_DATA_DIR": first, "DATABASE_URL": pg.PostgresURL()}, "", "token", "--subject", "x", "--role", "user"); code != 0 {
		t.Fatal(errs)
	}
	var keys, imports int
	if err := pg.QueryRow(ctx, `SELECT COUNT(*) FROM identity_keys`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if err := pg.QueryRow(ctx, `SELECT COUNT(*) FROM identity_key_imports`).Scan(&imports); err != nil {
		t.Fatal(err)
	}
	if keys != 1 || imports != 1 {
		t.Fatalf("%d keys, %d imports: want the one file key, imported once", keys, imports)
	}
}
