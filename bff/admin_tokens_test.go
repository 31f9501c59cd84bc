package bff

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/dbtest"
	"shebao/internal/identity"
)

// TestAdminRevokesTokens: an admin revokes one token, then a person, through the API; the
// server refuses them at once; only an admin may revoke.
func TestAdminRevokesTokens(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	cs, err := content.New(ctx, content.Options{DB: d})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	rev, err := identity.OpenRevocations(ctx, d, identity.RevocationOptions{Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Deps{Content: cs, Auth: identity.WithRevocations(keys.Verifier(), rev), Revocations: rev})
	mint := func(sub string, role identity.Role) string {
		tok, err := keys.Mint(sub, "", []identity.Role{role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	admin, ed1, ed2, other := mint("root", identity.RoleAdmin), mint("ed", identity.RoleEditor), mint("ed", identity.RoleEditor), mint("li", identity.RoleEditor)
	me := func(tok string) int {
		return do(t, srv.App(), "GET", "/api/v1/admin/me", nil, "Authorization", "Bearer "+tok).status
	}
	revoke := func(tok, body string) response {
		return do(t, srv.App(), "POST", "/api/v1/admin/tokens/revoke", strings.NewReader(body),
			"Authorization", "Bearer "+tok, "Content-Type", "application/json")
	}
	if r := revoke(ed1, `{"subject":"root"}`); r.status != 403 {
		t.Errorf("editor revoking: %d %s", r.status, r.body)
	}
	for _, body := range []string{`{}`, `{"jti":"a","subject":"b"}`, `{"jti":"a","before":"2026-01-01T00:00:00Z"}`, `{"token":"not a token"}`, `{"subject":"x","before":"yesterday"}`} {
		if r := revoke(admin, body); r.status != 400 || r.errorCode(t) != "invalid_parameter" {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	if r := revoke(admin, `{"token":"`+ed1+`","reason":"lost phone"}`); r.status != 200 {
		t.Fatalf("revoke token: %d %s", r.status, r.body)
	}
	if me(ed1) != 401 || me(ed2) != 200 {
		t.Errorf("after revoking one token: %d %d", me(ed1), me(ed2))
	}
	if r := revoke(admin, `{"subject":"ed"}`); r.status != 200 {
		t.Fatalf("revoke subject: %d %s", r.status, r.body)
	}
	if me(ed2) != 401 || me(other) != 200 {
		t.Errorf("after revoking the person: %d %d", me(ed2), me(other))
	}
}
