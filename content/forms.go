package content

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/spoken"
)

// FieldType is the kind of answer a form field takes; the assistant validates each in Go.
type FieldType string

// The field types.
const (
	FieldText      FieldType = "text"
	FieldNumber    FieldType = "number"
	FieldDate      FieldType = "date"      // 2006-01-02
	FieldYearMonth FieldType = "yearmonth" // 2006-01
	FieldChoice    FieldType = "choice"    // one of Options
	FieldIDNumber  FieldType = "id_number" // 公民身份号码
	FieldPhone     FieldType = "phone"
	FieldBankCard  FieldType = "bank_card"
	FieldYesNo     FieldType = "yesno" // answers "yes" or "no"
	FieldName      FieldType = "name"  // a person's Chinese name (2–4 characters)
)

var fieldTypeNames = map[FieldType]string{
	FieldText: "文本", FieldNumber: "数字", FieldDate: "日期", FieldYearMonth: "年月", FieldChoice: "单选",
	FieldIDNumber: "身份证号", FieldPhone: "手机号", FieldBankCard: "银行卡号", FieldYesNo: "是/否",
	FieldName: "姓名",
}

// Personal reports whether answers of this type are personal data, shown and logged masked.
func (t FieldType) Personal() bool {
	return t == FieldIDNumber || t == FieldPhone || t == FieldBankCard || t == FieldName
}

// ProfileKeys are the values of the signed-in person's profile a field may be prefilled from
// (Field.Prefill), with the field type each fits.
var ProfileKeys = map[string]FieldType{"name": FieldName, "id_number": FieldIDNumber, "phone": FieldPhone}

// DateRules are the values of Field.When: whether a date must lie in the past or the future.
var DateRules = map[string]string{"past": "不能晚于今天", "future": "不能早于今天"}

// Name returns the Chinese label of the field type, or "" for an unknown one.
func (t FieldType) Name() string { return fieldTypeNames[t] }

// Form is the schema of one application form (申请表) behind a guide. Like a guide it has a stable
// code and immutable numbered versions; an application records the version it started with.
type Form struct {
	Code        string  `json:"code" yaml:"code"`
	Title       string  `json:"title" yaml:"title"`
	Guide       string  `json:"guide" yaml:"guide"` // code of the guide the form belongs to
	Description string  `json:"description,omitempty" yaml:"description,omitempty"`
	Fields      []Field `json:"fields" yaml:"fields"`

	// Metadata, set by the store; ignored on import except ChangeNote.
	Status     Status    `json:"status,omitempty" yaml:"status,omitempty"`
	Version    int       `json:"version,omitempty" yaml:"version,omitempty"`
	UpdatedAt  time.Time `json:"updated_at,omitzero" yaml:"updated_at,omitempty"`
	ChangeNote string    `json:"change_note,omitempty" yaml:"change_note,omitempty"`
}

// Field is one question of a form.
type Field struct {
	Key      string     `json:"key" yaml:"key"` // stable machine name, e.g. retire_date
	Type     FieldType  `json:"type" yaml:"type"`
	Label    string     `json:"label" yaml:"label"`
	Help     string     `json:"help,omitempty" yaml:"help,omitempty"`
	Required bool       `json:"required,omitempty" yaml:"required,omitempty"`
	Min      *float64   `json:"min,omitempty" yaml:"min,omitempty"`         // number: smallest value; text: fewest characters
	Max      *float64   `json:"max,omitempty" yaml:"max,omitempty"`         // number: largest value; text: most characters
	Pattern  string     `json:"pattern,omitempty" yaml:"pattern,omitempty"` // text: RE2 the whole answer must match
	Options  []Option   `json:"options,omitempty" yaml:"options,omitempty"` // choice: the allowed answers
	ShowIf   *Condition `json:"show_if,omitempty" yaml:"show_if,omitempty"` // asked only when this holds
	// When is a rule for dates and year-months: "past" (not after today) or "future" (not before).
	When string `json:"when,omitempty" yaml:"when,omitempty"`
	// Prefill names the profile value (ProfileKeys) offered for confirmation instead of asking.
	Prefill string `json:"prefill,omitempty" yaml:"prefill,omitempty"`
	// HelpFrom is the guide element the help paraphrases (conditions, materials, …), cited
	// when the help is read out.
	HelpFrom string `json:"help_from,omitempty" yaml:"help_from,omitempty"`
}

// Option is one allowed answer of a choice field.
type Option struct {
	Value string `json:"value" yaml:"value"`
	Label string `json:"label" yaml:"label"`
}

// Condition shows a field only when an earlier field's answer equals a value or is one of values.
type Condition struct {
	Field  string   `json:"field" yaml:"field"`
	Equals string   `json:"equals,omitempty" yaml:"equals,omitempty"`
	In     []string `json:"in,omitempty" yaml:"in,omitempty"`
}

// Holds reports whether the condition is met by answers (field key → answer).
func (c *Condition) Holds(answers map[string]string) bool {
	if c == nil {
		return true
	}
	got, ok := answers[c.Field]
	if !ok {
		return false
	}
	if c.Equals != "" {
		return got == c.Equals
	}
	for _, v := range c.In {
		if got == v {
			return true
		}
	}
	return false
}

var fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ValidateForm checks a form schema: required elements, known field types, sensible validation
// rules, and conditions that refer only to earlier fields. It returns a *ValidationError listing
// every problem (with Chinese element names), or nil.
func ValidateForm(f *Form) error {
	var ps []Problem
	add := func(field, element, msg string) { ps = append(ps, Problem{field, element, msg}) }
	blank := spoken.IsBlank
	switch {
	case blank(f.Code):
		add("code", "表单编码", "不能为空")
	case !ValidCode(f.Code):
		add("code", "表单编码", "只能包含字母、数字、“-”和“_”，且不超过64个字符")
	}
	if blank(f.Title) {
		add("title", "表单名称", "不能为空")
	}
	switch {
	case blank(f.Guide):
		add("guide", "所属事项", "不能为空")
	case !ValidCode(f.Guide):
		add("guide", "所属事项", "事项编码格式不正确")
	}
	if len(f.Fields) == 0 {
		add("fields", "表单字段", "至少填写一个字段")
	}
	pos := map[string]int{}
	for i, fl := range f.Fields {
		if fl.Key != "" {
			if _, dup := pos[fl.Key]; !dup {
				pos[fl.Key] = i
			}
		}
	}
	seen := map[string]bool{}
	for i, fl := range f.Fields {
		p := fmt.Sprintf("fields[%d]", i)
		name := fmt.Sprintf("第%d个字段", i+1)
		if fl.Label != "" {
			name += "“" + fl.Label + "”"
		}
		switch {
		case !fieldKeyPattern.MatchString(fl.Key):
			add(p+".key", name+"的字段名", "只能用小写字母开头，包含小写字母、数字和“_”，不超过64个字符")
		case seen[fl.Key]:
			add(p+".key", name+"的字段名", "字段名 "+fl.Key+" 重复")
		}
		seen[fl.Key] = true
		if fl.Type.Name() == "" {
			add(p+".type", name+"的类型", "必须是 text、number、date、yearmonth、choice、id_number、phone、bank_card、yesno、name 之一")
		}
		if fl.When != "" {
			if _, ok := DateRules[fl.When]; !ok {
				add(p+".when", name+"的日期要求", "只能是 past（不晚于今天）或 future（不早于今天）")
			} else if fl.Type != FieldDate && fl.Type != FieldYearMonth {
				add(p+".when", name+"的日期要求", "只有日期和年月字段可以设置")
			}
		}
		if fl.Prefill != "" {
			if t, ok := ProfileKeys[fl.Prefill]; !ok {
				add(p+".prefill", name+"的预填来源", "只能是 name、id_number、phone 之一")
			} else if t != fl.Type {
				add(p+".prefill", name+"的预填来源", "个人信息 "+fl.Prefill+" 与字段类型不符")
			}
		}
		if fl.HelpFrom != "" && !helpElements[fl.HelpFrom] {
			add(p+".help_from", name+"的说明出处", "必须是事项的要素名，如 conditions、materials、steps")
		}
		if blank(fl.Label) {
			add(p+".label", name+"的标题", "不能为空")
		}
		if (fl.Min != nil || fl.Max != nil) && fl.Type != FieldNumber && fl.Type != FieldText {
			add(p+".min", name+"的取值范围", "只有数字和文本字段可以设置最小值、最大值")
		}
		if fl.Min != nil && fl.Max != nil && *fl.Min > *fl.Max {
			add(p+".min", name+"的取值范围", "最小值不能大于最大值")
		}
		if fl.Type == FieldText && fl.Min != nil && *fl.Min < 0 {
			add(p+".min", name+"的取值范围", "文本长度不能为负数")
		}
		if fl.Pattern != "" {
			if fl.Type != FieldText {
				add(p+".pattern", name+"的格式要求", "只有文本字段可以设置格式")
			} else if _, err := regexp.Compile(fl.Pattern); err != nil {
				add(p+".pattern", name+"的格式要求", "正则表达式不正确："+err.Error())
			}
		}
		if fl.Type == FieldChoice {
			if len(fl.Options) == 0 {
				add(p+".options", name+"的选项", "单选字段至少要有一个选项")
			}
			vals := map[string]bool{}
			for j, o := range fl.Options {
				op := fmt.Sprintf("%s.options[%d]", p, j)
				if blank(o.Value) || blank(o.Label) {
					add(op, name+"的选项", "选项的值和名称都不能为空")
				}
				if vals[o.Value] {
					add(op, name+"的选项", "选项值 "+o.Value+" 重复")
				}
				vals[o.Value] = true
			}
		} else if len(fl.Options) > 0 {
			add(p+".options", name+"的选项", "只有单选字段可以设置选项")
		}
		if c := fl.ShowIf; c != nil {
			cp := p + ".show_if"
			j, ok := pos[c.Field]
			switch {
			case blank(c.Field):
				add(cp+".field", name+"的显示条件", "必须指定依据哪个字段")
			case !ok:
				add(cp+".field", name+"的显示条件", "引用的字段 "+c.Field+" 不存在")
			case j >= i:
				add(cp+".field", name+"的显示条件", "引用的字段 "+c.Field+" 不在本字段之前，只能依据前面已回答的字段")
			}
			if (c.Equals == "") == (len(c.In) == 0) {
				add(cp, name+"的显示条件", "equals（等于）和 in（属于）必须且只能填写一个")
			}
			if ok && j < i {
				ref := f.Fields[j]
				for _, v := range append([]string{c.Equals}, c.In...) {
					if v == "" {
						continue
					}
					if !answerPossible(ref, v) {
						add(cp, name+"的显示条件", fmt.Sprintf("字段 %s 不可能取值 %q", ref.Key, v))
					}
				}
			}
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Code: f.Code, Problems: ps}
}

// helpElements are the guide elements a field's help may paraphrase (Field.HelpFrom).
var helpElements = map[string]bool{"summary": true, "conditions": true, "materials": true, "steps": true,
	"channels": true, "locations": true, "time_limit": true, "delivery": true, "basis": true, "faq": true}

// answerPossible reports whether field f can ever hold the answer v (for conditions).
func answerPossible(f Field, v string) bool {
	switch f.Type {
	case FieldYesNo:
		return v == "yes" || v == "no"
	case FieldChoice:
		for _, o := range f.Options {
			if o.Value == v {
				return true
			}
		}
		return false
	}
	return true
}

// formInvalid turns a validation error into the 422 form_invalid with the problems as details.
func formInvalid(err error) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return apperr.Wrap(apperr.FormInvalid, fmt.Sprintf("表单校验未通过，共%d处问题：%s", len(ve.Problems), joinProblems(ve.Problems)), err).
		WithDetails(ve.Problems)
}

func joinProblems(ps []Problem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "；")
}

// checkFormBody validates a stored form and checks that its guide exists.
func checkFormBody(ctx context.Context, tx *db.Tx, code string, body []byte) error {
	var f Form
	if err := json.Unmarshal(body, &f); err != nil {
		return fmt.Errorf("form %s: stored body: %w", code, err)
	}
	err := ValidateForm(&f)
	var ve *ValidationError
	if err != nil && !errors.As(err, &ve) {
		return err
	}
	if ValidCode(f.Guide) {
		if ok, err := liveGuide(ctx, tx, f.Guide); err != nil {
			return err
		} else if !ok {
			if ve == nil {
				ve = &ValidationError{Code: f.Code}
			}
			ve.Problems = append(ve.Problems, Problem{"guide", "所属事项", "事项 " + f.Guide + " 不存在或已归档"})
		}
	}
	if ve == nil {
		return nil
	}
	return formInvalid(ve)
}

// FormEvent is the payload of the form.published and form.unpublished events.
type FormEvent struct {
	Code       string `json:"code"`
	Version    int    `json:"version"`
	Guide      string `json:"guide"`
	Major      bool   `json:"major"`
	ChangeNote string `json:"change_note,omitempty"`
}

func normalizeForm(f Form) Form {
	f.Status, f.Version, f.ChangeNote, f.UpdatedAt = "", 0, "", time.Time{}
	return f
}

// PublishedForm returns the latest published version of a form.
func (s *Service) PublishedForm(ctx context.Context, code string) (*Form, error) {
	sm, err := summary(ctx, s.db, formKind, code)
	if err != nil {
		return nil, err
	}
	if sm.State != "published" || sm.PublishedVersion == 0 {
		if sm.State == "unpublished" || sm.State == "archived" && sm.PublishedVersion > 0 {
			return nil, apperr.New(apperr.FormNotFound, "该表单已停用。").WithDetails(map[string]string{"code": code, "reason": sm.StateReason, "replacement": sm.Replacement})
		}
		return nil, apperr.New(apperr.FormNotFound, "")
	}
	return s.FormVersion(ctx, code, sm.PublishedVersion)
}

// FormVersion returns a version of a form that was published at some time (it may since have
// been superseded or unpublished): applications keep the version they started with.
func (s *Service) FormVersion(ctx context.Context, code string, version int) (*Form, error) {
	v, err := getVersion(ctx, s.db, formKind, code, version)
	if err != nil {
		return nil, err
	}
	if v == nil || v.PublishedAt.IsZero() {
		return nil, apperr.Newf(apperr.FormNotFound, "未找到表单 %s 已发布的第%d版。", code, version)
	}
	f, err := v.Form()
	if err != nil {
		return nil, fmt.Errorf("form %s v%d: stored body: %w", code, version, err)
	}
	f.UpdatedAt = v.PublishedAt
	return &f, nil
}

// PublishedForms returns the latest published version of every published form, by code, each
// with its version number.
func (s *Service) PublishedForms(ctx context.Context) ([]Form, error) {
	rows, err := s.db.Query(ctx, `SELECT v.version, v.body FROM documents d JOIN document_versions v
		ON v.kind = d.kind AND v.code = d.code AND v.version = d.published_version
		WHERE d.kind = ? AND d.state = 'published' ORDER BY d.code`, string(formKind.kind))
	if err != nil {
		return nil, fmt.Errorf("published forms: %w", err)
	}
	return db.AppendRows(nil, rows, func(r db.Scanner, f *Form) error {
		var version int
		var body string
		if err := r.Scan(&version, &body); err != nil {
			return fmt.Errorf("published forms: %w", err)
		}
		if err := json.Unmarshal([]byte(body), f); err != nil {
			return fmt.Errorf("published forms: stored body: %w", err)
		}
		f.Version, f.Status = version, StatusPublished
		return nil
	})
}

// Bundle is the bulk import/export file: guides and forms, as JSON or YAML.
type Bundle struct {
	Guides []Guide `json:"guides,omitempty" yaml:"guides,omitempty"`
	Forms  []Form  `json:"forms,omitempty" yaml:"forms,omitempty"`
}

// ParseBundle decodes an import file: a JSON object or YAML document with "guides" and/or
// "forms". Unknown fields are rejected so that a misspelt element is not silently dropped, and a
// file that would expand past DefaultImportLimits is refused (import_too_large) before decoding.
func ParseBundle(data []byte) (Bundle, error) {
	var b Bundle
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return b, apperr.New(apperr.InvalidBody, "导入文件为空。")
	}
	if trimmed[0] == '{' {
		if err := checkJSON(trimmed, DefaultImportLimits.forSize(len(data))); err != nil {
			return b, err
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return b, apperr.Wrap(apperr.InvalidBody, "JSON 格式错误："+err.Error(), err)
		}
	} else if err := decodeYAML(trimmed, &b, DefaultImportLimits.forSize(len(data))); err != nil {
		if _, ok := apperr.As(err); ok {
			return b, err
		}
		return b, apperr.Wrap(apperr.InvalidBody, "YAML 格式错误："+err.Error(), err)
	}
	if len(b.Guides) == 0 && len(b.Forms) == 0 {
		return b, apperr.New(apperr.InvalidBody, "导入文件中没有 guides 或 forms。")
	}
	return b, nil
}

// ImportBundle imports guides (through Import) and then forms, each as drafts or — for an admin
// with publish — published. Forms are checked before anything is written, so a bad form stops
// the whole import.
func (s *Service) ImportBundle(ctx context.Context, b Bundle, a Actor, publish bool) (guides, forms ImportResult, err error) {
	if err := MayImport(a, publish); err != nil {
		return guides, forms, err
	}
	inBundle := map[string]bool{}
	for _, g := range b.Guides {
		inBundle[g.Code] = true
	}
	if err := s.checkFormSet(ctx, b.Forms, inBundle); err != nil {
		return guides, forms, err
	}
	if len(b.Guides) > 0 {
		if guides, err = s.Import(ctx, b.Guides, nil, a, publish); err != nil {
			return guides, forms, err
		}
	}
	if len(b.Forms) > 0 {
		forms, err = s.importForms(ctx, b.Forms, a, publish)
	}
	return guides, forms, err
}

func (s *Service) checkFormSet(ctx context.Context, fs []Form, guidesInBundle map[string]bool) error {
	if len(fs) == 0 {
		return nil
	}
	known, err := codes(ctx, s.db, guideKind)
	if err != nil {
		return err
	}
	var all []Problem
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		prefix := fmt.Sprintf("forms[%d]", i)
		var ps []Problem
		if err := ValidateForm(f); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				return err
			}
			ps = ve.Problems
		}
		if f.Guide != "" && ValidCode(f.Guide) && !known[f.Guide] && !guidesInBundle[f.Guide] {
			ps = append(ps, Problem{"guide", "所属事项", "事项 " + f.Guide + " 不存在"})
		}
		if seen[f.Code] {
			ps = append(ps, Problem{"code", "表单编码", "表单编码 " + f.Code + " 重复"})
		}
		seen[f.Code] = true
		for _, p := range ps {
			p.Field = prefix + "." + p.Field
			p.Element = "表单 " + f.Code + " " + p.Element
			all = append(all, p)
		}
	}
	if len(all) == 0 {
		return nil
	}
	return apperr.New(apperr.FormInvalid, fmt.Sprintf("导入的表单校验未通过，未导入任何内容，共%d处问题：%s", len(all), joinProblems(all))).WithDetails(all)
}

func (s *Service) importForms(ctx context.Context, fs []Form, a Actor, publish bool) (ImportResult, error) {
	items := make([]importItem, len(fs))
	for i := range fs {
		body, err := json.Marshal(normalizeForm(fs[i]))
		if err != nil {
			return ImportResult{}, err
		}
		items[i] = importItem{code: fs[i].Code, body: body, note: fs[i].ChangeNote}
	}
	return s.importDocs(ctx, formKind, items, a, publish)
}

// Export returns every published guide and form without store metadata, ready to import
// elsewhere.
func (s *Service) Export(ctx context.Context) (Bundle, error) {
	var b Bundle
	for _, g := range s.PublishedSources() {
		b.Guides = append(b.Guides, normalizeForStore(g))
	}
	bodies, err := publishedBodies(ctx, s.db, formKind)
	if err != nil {
		return b, fmt.Errorf("export forms: %w", err)
	}
	for _, body := range bodies {
		var f Form
		if err := json.Unmarshal([]byte(body), &f); err != nil {
			return b, err
		}
		b.Forms = append(b.Forms, f)
	}
	return b, nil
}
