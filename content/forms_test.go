package content

import (
	"strings"
	"testing"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
)

func testForm(code, guide string) Form {
	return Form{Code: code, Title: "退休申请表", Guide: guide, Fields: []Field{
		{Key: "name", Type: FieldText, Label: "姓名", Required: true},
		{Key: "id_no", Type: FieldIDNumber, Label: "身份证号", Required: true},
		{Key: "has_flex", Type: FieldYesNo, Label: "是否有灵活就业缴费"},
		{Key: "flex_months", Type: FieldNumber, Label: "灵活就业缴费月数", Min: ptr(1.0), Max: ptr(600.0),
			ShowIf: &Condition{Field: "has_flex", Equals: "yes"}},
		{Key: "bank", Type: FieldChoice, Label: "开户银行", Options: []Option{{"icbc", "工商银行"}, {"ccb", "建设银行"}}},
		{Key: "card", Type: FieldBankCard, Label: "银行卡号", ShowIf: &Condition{Field: "bank", In: []string{"icbc", "ccb"}}},
	}}
}

func ptr[T any](v T) *T { return &v }

func TestValidateForm(t *testing.T) {
	cases := []struct {
		name   string
		change func(f *Form)
		want   []string // substrings of the problems, in order; nil means valid
	}{
		{"valid", func(f *Form) {}, nil},
		{"condition on a later field", func(f *Form) {
			f.Fields[0].ShowIf = &Condition{Field: "has_flex", Equals: "yes"}
		}, []string{"第1个字段“姓名”的显示条件", "不在本字段之前"}},
		{"condition on a missing field", func(f *Form) {
			f.Fields[3].ShowIf = &Condition{Field: "nope", Equals: "yes"}
		}, []string{"引用的字段 nope 不存在"}},
		{"condition on itself", func(f *Form) {
			f.Fields[3].ShowIf = &Condition{Field: "flex_months", Equals: "1"}
		}, []string{"不在本字段之前"}},
		{"condition value the field cannot take", func(f *Form) {
			f.Fields[5].ShowIf = &Condition{Field: "bank", In: []string{"boc"}}
		}, []string{"不可能取值"}},
		{"condition with both equals and in", func(f *Form) {
			f.Fields[3].ShowIf = &Condition{Field: "has_flex", Equals: "yes", In: []string{"no"}}
		}, []string{"必须且只能填写一个"}},
		{"unknown type and blank label", func(f *Form) {
			f.Fields[1].Type = "email"
			f.Fields[1].Label = ""
		}, []string{"类型", "标题"}},
		{"duplicate key", func(f *Form) { f.Fields[1].Key = "name" }, []string{"重复"}},
		{"bad key", func(f *Form) { f.Fields[1].Key = "Id-No" }, []string{"字段名"}},
		{"choice without options", func(f *Form) {
			f.Fields[4].Options = nil
			f.Fields[5].ShowIf = nil
		}, []string{"至少要有一个选项"}},
		{"min above max", func(f *Form) { f.Fields[3].Min = ptr(700.0) }, []string{"最小值不能大于最大值"}},
		{"bad pattern", func(f *Form) { f.Fields[0].Pattern = "([" }, []string{"正则表达式不正确"}},
		{"range on a date", func(f *Form) { f.Fields[2].Type = FieldDate; f.Fields[2].Min = ptr(1.0); f.Fields[3].ShowIf = nil }, []string{"取值范围"}},
		{"no guide, no title, no fields", func(f *Form) { f.Guide, f.Title, f.Fields = "", "", nil }, []string{"表单名称", "所属事项", "表单字段"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testForm("F-1", "G-1")
			tc.change(&f)
			err := ValidateForm(&f)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want problems")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestConditionHolds(t *testing.T) {
	f := testForm("F-1", "G-1")
	cases := []struct {
		field   int
		answers map[string]string
		want    bool
	}{
		{0, nil, true},
		{3, map[string]string{"has_flex": "yes"}, true},
		{3, map[string]string{"has_flex": "no"}, false},
		{3, map[string]string{}, false},
		{5, map[string]string{"bank": "ccb"}, true},
		{5, map[string]string{"bank": "boc"}, false},
	}
	for _, tc := range cases {
		if got := f.Fields[tc.field].ShowIf.Holds(tc.answers); got != tc.want {
			t.Errorf("field %d with %v: %v", tc.field, tc.answers, got)
		}
	}
}

func TestFormWorkflowAndPinnedVersions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.publishNew(t, testGuide("G-1", "退休"))
		f := testForm("F-1", "G-1")
		v := mustf(e.s.CreateForm(e.ctx, editorA, f))(t)
		mustf(e.s.Submit(e.ctx, KindForm, editorA, "F-1", v.Version))(t)
		_, err := e.s.Approve(e.ctx, KindForm, editorA2, "F-1", 1, 0, "")
		wantKind(t, err, apperr.Forbidden) // an editor is not a reviewer
		mustf(e.s.Approve(e.ctx, KindForm, reviewerB, "F-1", 1, 0, ""))(t)
		mustf(e.s.Publish(e.ctx, KindForm, publisherC, "F-1", 1))(t)
		got := mustf(e.s.PublishedForm(e.ctx, "F-1"))(t)
		if got.Version != 1 || len(got.Fields) != 6 || got.Status != StatusPublished {
			t.Fatalf("published form: %+v", got)
		}
		// Version 2 removes a field; version 1 stays readable for applications that started on it.
		v = mustf(e.s.NewDraft(e.ctx, KindForm, editorA, "F-1"))(t)
		f.Fields = f.Fields[:5]
		v = mustf(e.s.SaveForm(e.ctx, editorA, "F-1", Edit{Version: v.Version, Revision: v.Revision, ChangeNote: "删除银行卡号", Major: true}, f))(t)
		mustf(e.s.Submit(e.ctx, KindForm, editorA, "F-1", 2))(t)
		mustf(e.s.Approve(e.ctx, KindForm, reviewerB, "F-1", 2, v.Revision, ""))(t)
		mustf(e.s.Publish(e.ctx, KindForm, publisherC, "F-1", 2))(t)
		if got := mustf(e.s.PublishedForm(e.ctx, "F-1"))(t); got.Version != 2 || len(got.Fields) != 5 {
			t.Fatalf("latest: %+v", got)
		}
		old := mustf(e.s.FormVersion(e.ctx, "F-1", 1))(t)
		if old.Version != 1 || len(old.Fields) != 6 || old.Status != StatusSuperseded {
			t.Fatalf("pinned v1: %+v", old)
		}
		_, err = e.s.FormVersion(e.ctx, "F-1", 3)
		wantKind(t, err, apperr.FormNotFound)
		var forms int
		for _, tp := range e.topics() {
			if tp == event.FormPublished+":F-1" {
				forms++
			}
		}
		if forms != 2 {
			t.Fatalf("form events: %v", e.topics())
		}
		diff := mustf(e.s.Diff(e.ctx, KindForm, "F-1", 1, 2))(t)
		if len(diff.Changes) != 1 || diff.Changes[0].Op != OpRemoved || !strings.Contains(diff.Changes[0].Element, "表单字段") {
			t.Fatalf("form diff: %+v", diff.Changes)
		}
		noErr(t, e.s.Unpublish(e.ctx, KindForm, publisherC, "F-1", "停用", ""))
		_, err = e.s.PublishedForm(e.ctx, "F-1")
		wantKind(t, err, apperr.FormNotFound)
		if got := mustf(e.s.FormVersion(e.ctx, "F-1", 2))(t); got.Status != StatusUnpublished {
			t.Fatalf("unpublished version still readable by number: %+v", got)
		}
	})
}

func TestFormWithBadConditionCannotBePublished(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		e.publishNew(t, testGuide("G-1", "退休"))
		f := testForm("F-1", "G-1")
		f.Fields[0].ShowIf = &Condition{Field: "card", Equals: "x"}
		f.Fields[1].ShowIf = &Condition{Field: "missing", Equals: "x"}
		mustf(e.s.CreateForm(e.ctx, editorA, f))(t)
		for _, try := range []func() error{
			func() error { _, err := e.s.Submit(e.ctx, KindForm, editorA, "F-1", 1); return err },
			func() error { _, err := e.s.ForcePublish(e.ctx, KindForm, publisherC, "F-1", 1, "急"); return err },
		} {
			ae := wantKind(t, try(), apperr.FormInvalid)
			if ps, _ := ae.Details.([]Problem); len(ps) != 2 {
				t.Fatalf("problems %+v", ae.Details)
			}
		}
		// A form for a guide that does not exist.
		g := testForm("F-2", "NO-GUIDE")
		mustf(e.s.CreateForm(e.ctx, editorA, g))(t)
		_, err := e.s.Submit(e.ctx, KindForm, editorA, "F-2", 1)
		if ae := wantKind(t, err, apperr.FormInvalid); !strings.Contains(ae.Message, "NO-GUIDE") {
			t.Fatal(ae.Message)
		}
	})
}

func TestImportBundleAndExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		yamlDoc := "guides:\n" + strings.Replace(minimalGuideYAML, "CODE", "I-1", 1) + `forms:
  - code: IF-1
    title: 申请表
    guide: I-1
    fields:
      - {key: name, type: text, label: 姓名, required: true}
      - {key: ok, type: yesno, label: 是否同意}
      - {key: why, type: text, label: 原因, show_if: {field: ok, equals: "no"}}
`
		b, err := ParseBundle([]byte(yamlDoc))
		if err != nil {
			t.Fatal(err)
		}
		// A bad form stops the whole import, guides included.
		bad := b
		bad.Forms = append([]Form{}, b.Forms...)
		bad.Forms[0].Fields = append([]Field{}, b.Forms[0].Fields...)
		bad.Forms[0].Fields[2].ShowIf = &Condition{Field: "later", Equals: "x"}
		_, _, err = e.s.ImportBundle(e.ctx, bad, editorA, false)
		wantKind(t, err, apperr.FormInvalid)
		if n, _ := e.s.Count(e.ctx); n != 0 {
			t.Fatalf("half-imported %d guides", n)
		}
		_, _, err = e.s.ImportBundle(e.ctx, b, editorA, true)
		wantKind(t, err, apperr.Forbidden)
		gr, fr, err := e.s.ImportBundle(e.ctx, b, editorA, false)
		if err != nil || gr.Created != 1 || fr.Created != 1 {
			t.Fatalf("%+v %+v %v", gr, fr, err)
		}
		// Imports land as drafts that go through review.
		if w := mustf(e.s.WorkingVersion(e.ctx, KindForm, "IF-1"))(t); w.Status != StatusDraft {
			t.Fatalf("%+v", w)
		}
		noErr(t, e.s.Archive(e.ctx, KindForm, publisherC, "IF-1"))
		noErr(t, e.s.Archive(e.ctx, KindGuide, publisherC, "I-1"))
		resetContent(t, d)
		e = newWF(t, d)
		_, _, err = e.s.ImportBundle(e.ctx, b, adminE, true)
		if err != nil {
			t.Fatal(err)
		}
		out := mustf(e.s.Export(e.ctx))(t)
		if len(out.Guides) != 1 || len(out.Forms) != 1 || out.Guides[0].Version != 0 || out.Forms[0].Fields[2].ShowIf.Equals != "no" {
			t.Fatalf("export: %+v", out)
		}
		if _, err := ParseBundle([]byte(`{"guides": [], "extra": 1}`)); !apperr.Is(err, apperr.InvalidBody) {
			t.Fatalf("unknown key: %v", err)
		}
	})
}
