package content

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
	"shebao/internal/spoken/answer"
)

// dateLayouts are the written forms of the date field types, accepted as they are.
var dateLayouts = map[FieldType]string{FieldDate: "2006-01-02", FieldYearMonth: "2006-01"}

// canonicalKinds are the field types whose value is the spoken-answer parser's canonical text.
var canonicalKinds = map[FieldType]answer.Kind{
	FieldName:     answer.Name,
	FieldIDNumber: answer.IDCard,
	FieldPhone:    answer.Phone,
	FieldBankCard: answer.BankCard,
}

// CheckValue validates one answer to field fl and returns it in canonical form: numbers as
// decimals, dates as 2006-01-02, year-months as 2006-01, 身份证号 with an upper-case X, phone
// and bank card numbers as digits, yes/no as "yes" or "no", a choice as its option's value (its
// label is accepted too). Spoken forms the answer parser reads are accepted as well (一千二,
// 幺三八…), so the chat's guided forms and the API apply the same rules. today is for dates
// said relative to it and for birth dates that must not be in the future. The error is an
// *apperr.Error with a Chinese message naming what is wrong; it never repeats the value.
func CheckValue(fl Field, v string, today time.Time) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", apperr.New(apperr.FormValuesInvalid, fl.Label+"不能为空")
	}
	bad := func(msg string) (string, error) { return "", apperr.New(apperr.FormValuesInvalid, fl.Label+msg) }
	parse := func(k answer.Kind) (answer.Value, error) {
		a, err := answer.Parse(k, v, today)
		if err != nil {
			if e, ok := apperr.As(err); ok {
				return a, apperr.New(apperr.FormValuesInvalid, fl.Label+"："+e.Message).WithDetails(map[string]string{"reason": e.Code})
			}
			return a, err
		}
		return a, nil
	}
	switch fl.Type {
	case FieldText:
		n := utf8.RuneCountInString(v)
		if fl.Min != nil && float64(n) < *fl.Min {
			return bad(fmt.Sprintf("至少%d个字", int(*fl.Min)))
		}
		max := 500.0
		if fl.Max != nil {
			max = *fl.Max
		}
		if float64(n) > max {
			return bad(fmt.Sprintf("不能超过%d个字", int(max)))
		}
		if fl.Pattern != "" {
			re, err := regexp.Compile(`^(?:` + fl.Pattern + `)$`)
			if err != nil || !re.MatchString(v) {
				return bad("格式不正确")
			}
		}
		return v, nil
	case FieldNumber:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			a, perr := parse(answer.Number)
			if perr != nil {
				return "", perr
			}
			x, v = a.Number, a.Text
		}
		if fl.Min != nil && x < *fl.Min || fl.Max != nil && x > *fl.Max {
			return bad("超出允许的范围")
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case FieldDate, FieldYearMonth:
		layout := dateLayouts[fl.Type]
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format(layout), nil
		}
		a, err := parse(answer.Date)
		if err != nil {
			return "", err
		}
		if fl.Type == FieldYearMonth {
			return fmt.Sprintf("%04d-%02d", a.Date.Year, a.Date.Month), nil
		}
		if a.Date.Day == 0 {
			return bad("请填写具体到日的日期")
		}
		return a.Text, nil
	case FieldChoice:
		for _, o := range fl.Options {
			if v == o.Value || v == o.Label {
				return o.Value, nil
			}
		}
		return bad("请从给出的选项中选择")
	case FieldName, FieldIDNumber, FieldPhone, FieldBankCard:
		a, err := parse(canonicalKinds[fl.Type])
		return a.Text, err
	case FieldYesNo:
		switch v {
		case "yes", "no":
			return v, nil
		}
		a, err := parse(answer.YesNo)
		if err != nil {
			return "", err
		}
		return map[bool]string{true: "yes", false: "no"}[a.Bool], nil
	}
	return bad("的类型不受支持")
}

// CheckValues validates a whole submission against form version f: every value through
// CheckValue, every required field that is shown (its condition holds on the answers before it)
// present, no value for a field that is not shown or not in the form. It returns the canonical
// values of the shown fields, or a form_values_invalid error whose details list a Problem per
// field, so the API and the chat report the same things.
func CheckValues(f *Form, values map[string]string, today time.Time) (map[string]string, error) {
	out := map[string]string{}
	var ps []Problem
	known := map[string]bool{}
	for _, fl := range f.Fields {
		known[fl.Key] = true
		v, given := values[fl.Key]
		given = given && strings.TrimSpace(v) != ""
		if !fl.ShowIf.Holds(out) {
			if given {
				ps = append(ps, Problem{fl.Key, fl.Label, "按您前面的回答，这一项不需要填写"})
			}
			continue
		}
		if !given {
			if fl.Required {
				ps = append(ps, Problem{fl.Key, fl.Label, "必须填写"})
			}
			continue
		}
		c, err := CheckValue(fl, v, today)
		if err != nil {
			msg := err.Error()
			if e, ok := apperr.As(err); ok {
				msg = strings.TrimPrefix(strings.TrimPrefix(e.Message, fl.Label), "：")
			}
			ps = append(ps, Problem{fl.Key, fl.Label, msg})
			continue
		}
		out[fl.Key] = c
	}
	var unknown []string
	for k := range values {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		ps = append(ps, Problem{k, "未知字段", "表单中没有这一项"})
	}
	if len(ps) > 0 {
		return nil, apperr.New(apperr.FormValuesInvalid, "申请表有"+strconv.Itoa(len(ps))+"处需要修改："+joinProblems(ps)).WithDetails(ps)
	}
	return out, nil
}
