package retirement

import (
	"fmt"
	"strconv"
)

// YearMonth is a calendar month without a day, the granularity the retirement rules work in:
// the annexed tables list birth months and retirement months only.
type YearMonth struct {
	Year  int
	Month int // 1..12
}

// Valid reports whether m is a real month: Month in 1..12 and Year in 1..9999, the range that
// String and ParseYearMonth can represent as "YYYY-MM".
func (m YearMonth) Valid() bool {
	return m.Month >= 1 && m.Month <= 12 && m.Year >= 1 && m.Year <= 9999
}

// String formats m as "YYYY-MM", e.g. "1970-01".
func (m YearMonth) String() string {
	return fmt.Sprintf("%04d-%02d", m.Year, m.Month)
}

// Text formats m in Chinese without padding, e.g. "1970年1月".
func (m YearMonth) Text() string {
	return fmt.Sprintf("%d年%d月", m.Year, m.Month)
}

// AddMonths returns the month n months after m (before m when n is negative). m should be Valid;
// the month is normalised, so {2030, 12}.AddMonths(1) is {2031, 1}.
func (m YearMonth) AddMonths(n int) YearMonth {
	return fromIndex(m.index() + n)
}

// Before reports whether m is strictly earlier than o.
func (m YearMonth) Before(o YearMonth) bool { return m.index() < o.index() }

// After reports whether m is strictly later than o.
func (m YearMonth) After(o YearMonth) bool { return m.index() > o.index() }

// MonthsUntil returns the number of months from m to o (negative when o is earlier than m).
func (m YearMonth) MonthsUntil(o YearMonth) int { return o.index() - m.index() }

// MarshalText implements encoding.TextMarshaler using the "YYYY-MM" form, so a YearMonth is a JSON
// string.
func (m YearMonth) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("%w: %d-%d", ErrYearMonth, m.Year, m.Month)
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with the same strict rules as ParseYearMonth.
func (m *YearMonth) UnmarshalText(b []byte) error {
	v, err := ParseYearMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseYearMonth parses the strict form "YYYY-MM": exactly four digits, a hyphen and two digits,
// with the month in 01..12 and the year in 0001..9999. No whitespace, sign or other separator is
// accepted. Errors wrap ErrYearMonth.
func ParseYearMonth(s string) (YearMonth, error) {
	if len(s) != 7 || s[4] != '-' || !allDigits(s[:4]) || !allDigits(s[5:]) {
		return YearMonth{}, fmt.Errorf("%w: %q is not YYYY-MM", ErrYearMonth, s)
	}
	y, _ := strconv.Atoi(s[:4]) // cannot fail: four ASCII digits
	mo, _ := strconv.Atoi(s[5:])
	m := YearMonth{Year: y, Month: mo}
	if !m.Valid() {
		return YearMonth{}, fmt.Errorf("%w: %q has no such month", ErrYearMonth, s)
	}
	return m, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// index numbers months consecutively (year*12 + month-1) so that month arithmetic is integer
// arithmetic.
func (m YearMonth) index() int { return m.Year*12 + m.Month - 1 }

func fromIndex(i int) YearMonth {
	y, mo := i/12, i%12
	if mo < 0 { // floor division for indexes before year 0; never reached for valid months
		y, mo = y-1, mo+12
	}
	return YearMonth{Year: y, Month: mo + 1}
}

// Age is an age in whole years and months, the form the annexed tables use ("61岁4个月").
type Age struct {
	Years  int `json:"years"`
	Months int `json:"months"` // 0..11
}

// ageFromMonths converts a count of months to an Age.
func ageFromMonths(n int) Age { return Age{Years: n / 12, Months: n % 12} }

// InMonths returns the age as a number of months.
func (a Age) InMonths() int { return a.Years*12 + a.Months }

// Text formats the age in Chinese as in the annexed tables: "61岁4个月", or "60岁" when there are
// no extra months.
func (a Age) Text() string {
	if a.Months == 0 {
		return fmt.Sprintf("%d岁", a.Years)
	}
	return fmt.Sprintf("%d岁%d个月", a.Years, a.Months)
}
