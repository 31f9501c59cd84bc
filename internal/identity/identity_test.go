package identity

import (
	"net/http"
	"testing"

	"shebao/internal/apperr"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Role
		wantErr bool
	}{
		{"user", RoleUser, false},
		{"editor", RoleEditor, false},
		{"reviewer", RoleReviewer, false},
		{"publisher", RolePublisher, false},
		{"admin", RoleAdmin, false},
		{" Admin ", RoleAdmin, false},
		{"", "", true},
		{"root", "", true},
		{"offline_access", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRole(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !apperr.Is(err, apperr.InvalidParameter) {
			t.Errorf("ParseRole(%q) error %v is not invalid_parameter", tt.in, err)
		}
	}
}

func TestPrincipalHas(t *testing.T) {
	t.Parallel()
	editor := Principal{Subject: "e", Roles: []Role{RoleEditor}}
	multi := Principal{Subject: "m", Roles: []Role{RoleReviewer, RolePublisher}}
	admin := Principal{Subject: "a", Roles: []Role{RoleAdmin}}
	nobody := Principal{Subject: "n"}
	tests := []struct {
		name string
		p    Principal
		role Role
		want bool
	}{
		{"editor is editor", editor, RoleEditor, true},
		{"editor is not reviewer", editor, RoleReviewer, false},
		{"editor is not user", editor, RoleUser, false},
		{"editor is not admin", editor, RoleAdmin, false},
		{"multi is reviewer", multi, RoleReviewer, true},
		{"multi is publisher", multi, RolePublisher, true},
		{"multi is not editor", multi, RoleEditor, false},
		{"no roles", nobody, RoleUser, false},
	}
	for _, r := range Roles() {
		tests = append(tests, struct {
			name string
			p    Principal
			role Role
			want bool
		}{"admin implies " + string(r), admin, r, true})
	}
	for _, tt := range tests {
		if got := tt.p.Has(tt.role); got != tt.want {
			t.Errorf("%s: Has(%s) = %v", tt.name, tt.role, got)
		}
	}
	if !multi.HasAny(RoleEditor, RolePublisher) {
		t.Error("HasAny(editor, publisher) = false for a publisher")
	}
	if multi.HasAny(RoleEditor, RoleAdmin) {
		t.Error("HasAny(editor, admin) = true for a reviewer+publisher")
	}
	if admin.HasAny() {
		t.Error("HasAny() with no roles = true; want false (deny by default)")
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	editor := Principal{Subject: "e", Roles: []Role{RoleEditor}}
	admin := Principal{Subject: "a", Roles: []Role{RoleAdmin}}

	if err := Authorize(editor, RoleReviewer, RoleEditor); err != nil {
		t.Errorf("editor for editor|reviewer: %v", err)
	}
	if err := Authorize(admin, RolePublisher); err != nil {
		t.Errorf("admin for publisher: %v", err)
	}

	for name, err := range map[string]error{
		"editor for publisher": Authorize(editor, RolePublisher),
		"no roles required":    Authorize(editor),
	} {
		ae, ok := apperr.As(err)
		if !ok || ae.Code != "forbidden" || ae.Status != http.StatusForbidden || ae.Message != "您没有权限进行此操作。" {
			t.Errorf("%s: got %v, want 403 forbidden", name, err)
		}
	}

	requireUnauthenticated(t, Authorize(Principal{}, RoleUser), "")
}
