package content

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/dbtest"
)

// TestSeedFormsIfMissing: a store that holds the seed guides but not their forms (seeded before
// the forms shipped) gets them, once.
func TestSeedFormsIfMissing(t *testing.T) {
	d := dbtest.SQLite(t)
	s, _ := newTestService(t, d)
	ctx := context.Background()
	gs, err := LoadSeed(SeedFS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, gs, nil, System, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishedForm(ctx, "F-SBK-003"); err == nil {
		t.Fatal("the form is there before it was seeded")
	}
	n, err := s.SeedFormsIfMissing(ctx)
	if err != nil || n == 0 {
		t.Fatalf("seeded %d forms: %v", n, err)
	}
	if f, err := s.PublishedForm(ctx, "F-SBK-003"); err != nil || f.Guide != "SX-SBK-003" {
		t.Fatalf("form = %+v, %v", f, err)
	}
	if n, err := s.SeedFormsIfMissing(ctx); n != 0 || err != nil {
		t.Fatalf("seeded again: %d %v", n, err)
	}
}

func seedForm(t *testing.T, code string) *Form {
	t.Helper()
	b, err := LoadSeedBundle(SeedFS())
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.Forms {
		if b.Forms[i].Code == code {
			return &b.Forms[i]
		}
	}
	t.Fatalf("no %s in the seed forms", code)
	return nil
}

func TestCheckValues(t *testing.T) {
	f := seedForm(t, "F-SBK-003")
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	good := map[string]string{"name": "王小明", "id_number": "11010519491231002x", "loss": "遗失", "phone": "138 1234 5678"}
	got, err := CheckValues(f, good, today)
	if err != nil {
		t.Fatal(err)
	}
	if got["loss"] != "lost" || got["phone"] != "13812345678" || got["id_number"] != "11010519491231002X" || len(got) != 4 {
		t.Fatalf("canonical = %v", got)
	}
	for _, tc := range []struct {
		name   string
		change map[string]string
		field  string
	}{
		{"missing required", map[string]string{"phone": ""}, "phone"},
		{"bad phone", map[string]string{"phone": "2381234567"}, "phone"},
		{"unknown option", map[string]string{"loss": "burnt"}, "loss"},
		{"id check digit", map[string]string{"id_number": "110105194912310021"}, "id_number"},
		{"not a name", map[string]string{"name": "x"}, "name"},
		{"unknown field", map[string]string{"colour": "red"}, "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := maps.Clone(good)
			maps.Copy(vals, tc.change)
			_, err := CheckValues(f, vals, today)
			e := wantKind(t, err, apperr.FormValuesInvalid)
			if ps := e.Details.([]Problem); len(ps) != 1 || ps[0].Field != tc.field {
				t.Fatalf("problems %+v", ps)
			}
			if strings.Contains(e.Message, "2381234567") || strings.Contains(e.Message, "110105194912310021") {
				t.Fatalf("message repeats the value: %s", e.Message)
			}
		})
	}
	// A condition: a field shown only for one answer must not be given for another.
	f2 := seedForm(t, "F-SY-001")
	for _, fl := range f2.Fields {
		if fl.ShowIf != nil {
			vals := map[string]string{fl.ShowIf.Field: "__never__", fl.Key: "x"}
			_, err := CheckValues(f2, vals, today)
			if e, ok := apperr.As(err); !ok || !strings.Contains(e.Message, fl.Label) {
				t.Fatalf("conditional field %s: %v", fl.Key, err)
			}
			break
		}
	}
}

// TestCheckValueCanonical: dates and year-months are taken as written or as said, and the
// personal-number and name fields come back in the spoken-answer parser's canonical form.
func TestCheckValueCanonical(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		typ       FieldType
		in, want  string
		wantError string // part of the message when an error is wanted
	}{
		{FieldDate, "1953-03-05", "1953-03-05", ""}, {FieldDate, "一九五三年三月五日", "1953-03-05", ""},
		{FieldDate, "五三年三月", "", "请填写具体到日的日期"}, {FieldDate, "年底", "", "出生日期："},
		{FieldYearMonth, "2024-07", "2024-07", ""}, {FieldYearMonth, "去年十月", "2025-10", ""},
		{FieldYearMonth, "1953年3月5号", "1953-03", ""}, {FieldName, "王小明", "王小明", ""},
		{FieldIDNumber, "11010519491231002x", "11010519491231002X", ""},
		{FieldPhone, "幺三八 幺二三四 五六七八", "13812345678", ""},
		{FieldBankCard, "6217 0012 3456 7893", "6217001234567893", ""}, {FieldBankCard, "6217001234567894", "", "银行卡"},
	} {
		got, err := CheckValue(Field{Key: "k", Label: "出生日期", Type: tc.typ}, tc.in, today)
		if tc.wantError != "" {
			if e, ok := apperr.As(err); !ok || e.Code != "form_values_invalid" || !strings.Contains(e.Message, tc.wantError) {
				t.Errorf("%s %q: err = %v, want form_values_invalid with %q", tc.typ, tc.in, err, tc.wantError)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q = %q, %v; want %q", tc.typ, tc.in, got, err, tc.want)
		}
	}
}
