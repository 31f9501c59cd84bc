package retirement

import "time"

// ParamError names the input parameter that was wrong and says why in Chinese, so the API can
// answer invalid_parameter and the CLI can print one line.
type ParamError struct {
	Param   string // "category" or "birth"
	Message string // Chinese, for the user
	Err     error
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Err.Error() }

func (e *ParamError) Unwrap() error { return e.Err }

// Lookup parses and validates the raw inputs of the calculator (category key and "YYYY-MM"
// birth month, which may not be in the future as of now) and computes the result.
func Lookup(category, birth string, now time.Time) (Retirement, error) {
	c, err := ParseCategory(category)
	if err != nil {
		return Retirement{}, &ParamError{Param: "category", Message: Message(err), Err: err}
	}
	b, err := ParseYearMonth(birth)
	if err != nil {
		return Retirement{}, &ParamError{Param: "birth", Message: Message(err), Err: err}
	}
	if err := ValidateBirth(b, now); err != nil {
		return Retirement{}, &ParamError{Param: "birth", Message: Message(err), Err: err}
	}
	r, err := Compute(c, b)
	if err != nil {
		return Retirement{}, &ParamError{Param: "birth", Message: Message(err), Err: err}
	}
	return r, nil
}
