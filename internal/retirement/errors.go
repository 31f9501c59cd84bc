package retirement

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every error returned by this package wraps exactly one of them, so callers can
// tell with errors.Is which input was bad, and turn it into a user message with Message.
var (
	// ErrCategory means the retirement category is not one of male, female50, female55.
	ErrCategory = errors.New("retirement: unknown retirement category")
	// ErrBirth means the birth month is not a real month, is before 1930-01, or is in the future.
	ErrBirth = errors.New("retirement: invalid birth month")
	// ErrYearMonth means a month string is not in the strict "YYYY-MM" form or names no real month.
	ErrYearMonth = errors.New("retirement: invalid year-month")
)

// birthReason says why a birth month was rejected.
type birthReason int

const (
	birthNotAMonth birthReason = iota // month outside 1..12 or year outside the supported range
	birthTooEarly                     // before MinBirth
	birthInFuture                     // after the current month
)

// birthError is the concrete error behind ErrBirth; it keeps the reason so Message can be precise.
type birthError struct {
	birth  YearMonth
	reason birthReason
	now    YearMonth // only for birthInFuture
}

func (e *birthError) Error() string {
	switch e.reason {
	case birthTooEarly:
		return fmt.Sprintf("%v: %d-%02d is before %s", ErrBirth, e.birth.Year, e.birth.Month, MinBirth)
	case birthInFuture:
		return fmt.Sprintf("%v: %d-%02d is after the current month %s", ErrBirth, e.birth.Year, e.birth.Month, e.now)
	default:
		return fmt.Sprintf("%v: year %d month %d is not a supported month", ErrBirth, e.birth.Year, e.birth.Month)
	}
}

func (e *birthError) Unwrap() error { return ErrBirth }

func (e *birthError) message() string {
	switch e.reason {
	case birthTooEarly:
		return "出生年月不能早于1930年1月"
	case birthInFuture:
		return fmt.Sprintf("出生年月不能晚于当前月份（%s）", e.now.Text())
	default:
		return "出生年月无效，月份应为1至12"
	}
}

// Message returns a short Chinese message for an error returned by this package, suitable to show
// to the user, e.g. "退休类别无效，应为 male、female50 或 female55". It returns "" for nil and for
// errors that do not come from this package.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var be *birthError
	switch {
	case errors.As(err, &be):
		return be.message()
	case errors.Is(err, ErrCategory):
		return "退休类别无效，应为 male、female50 或 female55"
	case errors.Is(err, ErrBirth):
		return "出生年月无效"
	case errors.Is(err, ErrYearMonth):
		return "年月格式无效，应为 YYYY-MM，例如 1970-01"
	}
	return ""
}

// MinBirth is the earliest birth month accepted by Compute and ValidateBirth.
var MinBirth = YearMonth{Year: 1930, Month: 1}

// maxComputeBirthYear keeps every month Compute returns (at most 66 years after birth: 63 plus
// three years of flexible late retirement) within the four-digit years of "YYYY-MM".
const maxComputeBirthYear = 9999 - 66

// checkBirth is the clock-free part of the birth validation, used by Compute.
func checkBirth(b YearMonth) error {
	if !b.Valid() || b.Year > maxComputeBirthYear {
		return &birthError{birth: b, reason: birthNotAMonth}
	}
	if b.Before(MinBirth) {
		return &birthError{birth: b, reason: birthTooEarly}
	}
	return nil
}

// ValidateBirth checks a birth month supplied by a user: it must be a real month, not before
// 1930-01 (MinBirth) and not after the month of now, taken in now's location (pass beijing.Now()
// for Chinese users). The error wraps ErrBirth. Compute itself does not look at the clock; the
// API layer calls ValidateBirth first.
func ValidateBirth(b YearMonth, now time.Time) error {
	if err := checkBirth(b); err != nil {
		return err
	}
	cur := YearMonth{Year: now.Year(), Month: int(now.Month())}
	if b.After(cur) {
		return &birthError{birth: b, reason: birthInFuture, now: cur}
	}
	return nil
}
