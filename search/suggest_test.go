package search

import (
	"context"
	"testing"

	"shebao/internal/apperr"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	s := openFixture(t, nil)
	ctx := context.Background()
	tests := []struct {
		q    string
		want string // first suggestion
	}{
		{"社会保障卡挂", "社会保障卡挂失与解挂"},
		{"社保卡挂", "社保卡挂失"},
		{"shebaoka", "社保卡丢了"},
		{"shebaokag", "社保卡挂失"},
		{"sbkg", "社保卡挂失"},
		{"社保ka", "社保卡丢了"},
		{"失业", "失业保险金申领"},
		{"ＳＨＩＹＥ", "失业保险金申领"},
	}
	for _, tt := range tests {
		got, err := s.Suggest(ctx, tt.q, 5)
		if err != nil {
			t.Fatalf("%s: %v", tt.q, err)
		}
		if len(got) == 0 || got[0].Text != tt.want {
			t.Errorf("Suggest(%q) = %+v, want %q first", tt.q, got, tt.want)
		}
	}
	if got, _ := s.Suggest(ctx, "   ", 5); len(got) != 0 {
		t.Errorf("blank: %+v", got)
	}
	if _, err := s.Suggest(ctx, "社保", 21); !apperr.Is(err, apperr.InvalidParameter) {
		t.Errorf("limit 21: %v", err)
	}
	// New guides become suggestions.
	if err := s.Upsert(ctx, fixture()[0]); err != nil {
		t.Fatal(err)
	}
	g := fixture()[1]
	g.Code, g.Name, g.Aliases = "SX-GS-001", "工伤认定申请", []string{"报工伤"}
	if err := s.Upsert(ctx, g); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if got, _ := s.Suggest(ctx, "gongshang", 5); len(got) > 0 && got[0].Code == "SX-GS-001" {
			return
		}
		s.suggestMu.Lock() // wait for the background refresh
		s.suggestMu.Unlock()
	}
	t.Errorf("new guide never suggested")
}
