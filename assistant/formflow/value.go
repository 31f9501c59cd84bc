package formflow

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/spoken/answer"
)

// errRule is a value that was understood but breaks the field's rule; its text is said.
type errRule string

func (e errRule) Error() string { return string(e) }

// canonicalKinds are the field types whose value is the answer's canonical text as it is.
var canonicalKinds = map[content.FieldType]answer.Kind{
	content.FieldName:     answer.Name,
	content.FieldIDNumber: answer.IDCard,
	content.FieldPhone:    answer.Phone,
	content.FieldBankCard: answer.BankCard,
}

// readValue reads text as the answer to field f and validates it by the field's rules. It
// returns the canonical value (what is submitted) or an error whose message is one short
// Chinese sentence saying what was wrong.
func readValue(f content.Field, text string, today time.Time) (string, error) {
	switch f.Type {
	case content.FieldChoice:
		labels := make([]string, len(f.Options))
		for i, o := range f.Options {
			labels[i] = o.Label
		}
		v, err := answer.ParseChoice(text, labels)
		if err != nil {
			return "", err
		}
		return f.Options[v.Index].Value, nil
	case content.FieldYesNo:
		v, err := answer.Parse(answer.YesNo, text, today)
		if err != nil {
			return "", err
		}
		if v.Bool {
			return "yes", nil
		}
		return "no", nil
	case content.FieldName, content.FieldIDNumber, content.FieldPhone, content.FieldBankCard:
		v, err := answer.Parse(canonicalKinds[f.Type], text, today)
		return v.Text, err
	case content.FieldNumber:
		v, err := answer.Parse(answer.Number, text, today)
		if err != nil {
			return "", err
		}
		if f.Min != nil && v.Number < *f.Min {
			return "", errRule(sayTooSmall(f, *f.Min))
		}
		if f.Max != nil && v.Number > *f.Max {
			return "", errRule(sayTooLarge(f, *f.Max))
		}
		return v.Text, nil
	case content.FieldDate, content.FieldYearMonth:
		v, err := answer.Parse(answer.Date, text, today)
		if err != nil {
			return "", err
		}
		s := v.Text
		if f.Type == content.FieldYearMonth {
			s = s[:7]
		} else if len(s) != len("2006-01-02") {
			return "", errRule(sayNeedDay(f))
		}
		if f.When != "" && !dateFits(s, f.When, today) {
			return "", errRule(sayDateRule(f, f.When))
		}
		return s, nil
	}
	// text
	s := strings.TrimSpace(strings.Trim(text, "，。！？,.!? "))
	n := len([]rune(s))
	if n == 0 {
		return "", errRule(sayNoValue)
	}
	if f.Min != nil && float64(n) < *f.Min {
		return "", errRule(sayTooShort(f, int(*f.Min)))
	}
	if f.Max != nil && float64(n) > *f.Max {
		return "", errRule(sayTooLong(f, int(*f.Max)))
	}
	if f.Pattern != "" {
		if re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`); err == nil && !re.MatchString(s) {
			return "", errRule(sayNotMatching(f))
		}
	}
	return s, nil
}

// dateFits checks a YYYY-MM or YYYY-MM-DD value against a date rule, compared at its own
// precision (a month is not in the future while it is this month).
func dateFits(v, rule string, today time.Time) bool {
	t := today.Format("2006-01-02")[:len(v)]
	switch rule {
	case "past":
		return v <= t
	case "future":
		return v >= t
	}
	return true
}

// problemText is the one sentence said about a refused value.
func problemText(err error) string {
	var r errRule
	if errors.As(err, &r) {
		return string(r)
	}
	if e, ok := apperr.As(err); ok {
		return sayProblem(e.Message)
	}
	return sayNoValue
}

// problemCode is the machine code of a refused value, for logs and tests.
func problemCode(err error) string {
	var r errRule
	if errors.As(err, &r) {
		return "field_rule"
	}
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return "unknown"
}

// display is a value as read back and shown: dates in words, choices by label, personal
// numbers masked (the person hears enough to check them, a log or screen reader never more).
func display(f content.Field, v string) string {
	switch f.Type {
	case content.FieldDate, content.FieldYearMonth:
		return sayDate(v)
	case content.FieldChoice:
		for _, o := range f.Options {
			if o.Value == v {
				return o.Label
			}
		}
	case content.FieldYesNo:
		return sayYesNo(v)
	case content.FieldIDNumber, content.FieldPhone, content.FieldBankCard:
		return maskNumber(f.Type, v)
	}
	return v
}

// maskNumber masks a personal number for display: 138****5678, 6101**********0018, 尾号1234.
func maskNumber(t content.FieldType, v string) string {
	switch {
	case t == content.FieldPhone && len(v) == 11:
		return v[:3] + "****" + v[7:]
	case t == content.FieldIDNumber && len(v) == 18:
		return v[:4] + strings.Repeat("*", 10) + v[14:]
	case len(v) > 4:
		return "尾号" + v[len(v)-4:]
	}
	return strings.Repeat("*", len(v))
}

// frameValue is a value as the form frame shows it: personal values masked, names too.
func frameValue(f content.Field, v string) string {
	if v == "" {
		return saySkippedValue
	}
	if f.Type == content.FieldName {
		rs := []rune(v)
		return string(rs[0]) + strings.Repeat("*", len(rs)-1)
	}
	return display(f, v)
}

// withPendingMonth completes a year said alone (“不对，是五三年的”) with the month (and day)
// of the value being corrected.
func withPendingMonth(text, pending string) string {
	parts := strings.Split(pending, "-")
	if len(parts) < 2 {
		return text
	}
	t := strings.TrimRight(strings.TrimSpace(text), "的吧啊呀。，！ ")
	m, _ := strconv.Atoi(parts[1])
	t += strconv.Itoa(m) + "月"
	if len(parts) == 3 {
		d, _ := strconv.Atoi(parts[2])
		t += strconv.Itoa(d) + "日"
	}
	return t
}
