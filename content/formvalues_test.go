package content

import (
	"context"
	"strings"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/dbtest"
)

// TestSeedPublishesTheCardLossForm: the 社保卡挂失 form ships with the seed corpus, published,
// and a store seeded before it existed gets it at the next start.
func TestSeedPublishesTheCardLossForm(t *testing.T) {
	d := dbtest.SQLite(t)
	s, _ := newTestService(t, d)
	ctx := context.Background()
	if _, err := s.SeedIfEmpty(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := s.PublishedForm(ctx, "SX-SBK-003-GS")
	if err != nil || f.Guide != "SX-SBK-003" || f.Version != 1 {
		t.Fatalf("form = %+v, %v", f, err)
	}
	if n, err := s.SeedFormsIfMissing(ctx); n != 0 || err != nil {
		t.Fatalf("seeded again: %d %v", n, err)
	}
}

func cardLossForm(t *testing.T) *Form {
	t.Helper()
	gs, err := LoadSeed(SeedFS())
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, g := range gs {
		known[g.Code] = true
	}
	fs, err := LoadSeedForms(SeedFS(), known)
	if err != nil {
		t.Fatal(err)
	}
	for i := range fs {
		if fs[i].Code == "SX-SBK-003-GS" {
			return &fs[i]
		}
	}
	t.Fatal("no SX-SBK-003-GS in the seed forms")
	return nil
}

func TestCheckValues(t *testing.T) {
	f := cardLossForm(t)
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	good := map[string]string{"holder": "本人", "loss_type": "lost", "lost_date": "2026-12-01", "bank_reported": "是的",
		"phone": "138 1234 5678", "reissue": "no"}
	got, err := CheckValues(f, good, today)
	if err != nil {
		t.Fatal(err)
	}
	if got["holder"] != "self" || got["phone"] != "13812345678" || got["bank_reported"] != "yes" || len(got) != 6 {
		t.Fatalf("canonical = %v", got)
	}
	for _, tc := range []struct {
		name   string
		change map[string]string
		field  string
	}{
		{"missing required", map[string]string{"phone": ""}, "phone"},
		{"bad phone", map[string]string{"phone": "2381234567"}, "phone"},
		{"unknown option", map[string]string{"loss_type": "burnt"}, "loss_type"},
		{"impossible date", map[string]string{"lost_date": "2026-02-30"}, "lost_date"},
		{"field not shown", map[string]string{"child_name": "王小明"}, "child_name"},
		{"unknown field", map[string]string{"colour": "red"}, "colour"},
		{"child without id", map[string]string{"holder": "child", "child_name": "王小明"}, "child_id_number"},
		{"child id check digit", map[string]string{"holder": "child", "child_name": "王小明", "child_id_number": "110105201512310021"}, "child_id_number"},
	} {
		vals := map[string]string{}
		for k, v := range good {
			vals[k] = v
		}
		for k, v := range tc.change {
			vals[k] = v
		}
		_, err := CheckValues(f, vals, today)
		e, ok := apperr.As(err)
		if !ok || e.Code != "form_values_invalid" {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ps := e.Details.([]Problem)
		if len(ps) != 1 || ps[0].Field != tc.field {
			t.Fatalf("%s: problems %+v", tc.name, ps)
		}
		if strings.Contains(e.Message, "2381234567") || strings.Contains(e.Message, "110105201512310021") {
			t.Fatalf("%s: message repeats the value: %s", tc.name, e.Message)
		}
	}
}
