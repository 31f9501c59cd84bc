package retirement

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func ym(t *testing.T, s string) YearMonth {
	t.Helper()
	m, err := ParseYearMonth(s)
	if err != nil {
		t.Fatalf("ParseYearMonth(%q): %v", s, err)
	}
	return m
}

// tableRow is one row of an annexed table, written out literally: category, birth month,
// 延迟月数, 改革后法定退休年龄 and 改革后退休时间. Rows before the first cohort give the original age.
type tableRow struct {
	c          Category
	birth      string
	delay      int
	age        string
	retirement string
}

// annexRows are rows of the annexed tables 附件1 to 附件3.
var annexRows = []tableRow{
	// 附件1 男职工延迟法定退休年龄对照表.
	// earliest supported birth
	{Male, "1930-01", 0, "60岁", "1990-01"},
	// just before the first cohort
	{Male, "1964-12", 0, "60岁", "2024-12"},
	// first row
	{Male, "1965-01", 1, "60岁1个月", "2025-02"},
	// last month of the first step
	{Male, "1965-04", 1, "60岁1个月", "2025-05"},
	// second step
	{Male, "1965-05", 2, "60岁2个月", "2025-07"},
	{Male, "1965-08", 2, "60岁2个月", "2025-10"},
	{Male, "1965-12", 3, "60岁3个月", "2026-03"},
	{Male, "1966-01", 4, "60岁4个月", "2026-05"},
	// the brief's example
	{Male, "1970-01", 16, "61岁4个月", "2031-05"},
	{Male, "1970-12", 18, "61岁6个月", "2032-06"},
	{Male, "1975-06", 32, "62岁8个月", "2038-02"},
	{Male, "1976-04", 34, "62岁10个月", "2039-02"},
	// first month of the last step before the cap
	{Male, "1976-05", 35, "62岁11个月", "2039-04"},
	// last month before the cap
	{Male, "1976-08", 35, "62岁11个月", "2039-07"},
	// first month at the cap
	{Male, "1976-09", 36, "63岁", "2039-09"},
	// last row of the table
	{Male, "1976-12", 36, "63岁", "2039-12"},
	// well after the cap
	{Male, "1988-09", 36, "63岁", "2051-09"},
	{Male, "2010-12", 36, "63岁", "2073-12"},
	// 附件2 原法定退休年龄五十五周岁的女职工延迟法定退休年龄对照表.
	{Female55, "1930-01", 0, "55岁", "1985-01"},
	// just before the first cohort
	{Female55, "1969-12", 0, "55岁", "2024-12"},
	// first row
	{Female55, "1970-01", 1, "55岁1个月", "2025-02"},
	// last month of the first step
	{Female55, "1970-04", 1, "55岁1个月", "2025-05"},
	{Female55, "1970-05", 2, "55岁2个月", "2025-07"},
	{Female55, "1970-06", 2, "55岁2个月", "2025-08"},
	{Female55, "1970-09", 3, "55岁3个月", "2025-12"},
	{Female55, "1971-04", 4, "55岁4个月", "2026-08"},
	{Female55, "1971-06", 5, "55岁5个月", "2026-11"},
	{Female55, "1975-01", 16, "56岁4个月", "2031-05"},
	{Female55, "1981-04", 34, "57岁10个月", "2039-02"},
	// last step before the cap
	{Female55, "1981-05", 35, "57岁11个月", "2039-04"},
	{Female55, "1981-08", 35, "57岁11个月", "2039-07"},
	// first month at the cap
	{Female55, "1981-09", 36, "58岁", "2039-09"},
	// last row of the table
	{Female55, "1981-12", 36, "58岁", "2039-12"},
	// well after the cap
	{Female55, "1988-09", 36, "58岁", "2046-09"},
	{Female55, "2000-12", 36, "58岁", "2058-12"},
	// 附件3 原法定退休年龄五十周岁的女职工延迟法定退休年龄对照表.
	{Female50, "1930-01", 0, "50岁", "1980-01"},
	// just before the first cohort
	{Female50, "1974-12", 0, "50岁", "2024-12"},
	// first row
	{Female50, "1975-01", 1, "50岁1个月", "2025-02"},
	// last month of the first step
	{Female50, "1975-02", 1, "50岁1个月", "2025-03"},
	// second step
	{Female50, "1975-03", 2, "50岁2个月", "2025-05"},
	{Female50, "1975-06", 3, "50岁3个月", "2025-09"},
	{Female50, "1975-12", 6, "50岁6个月", "2026-06"},
	{Female50, "1976-06", 9, "50岁9个月", "2027-03"},
	{Female50, "1977-01", 13, "51岁1个月", "2028-02"},
	{Female50, "1980-01", 31, "52岁7个月", "2032-08"},
	{Female50, "1984-07", 58, "54岁10个月", "2039-05"},
	// last step before the cap
	{Female50, "1984-09", 59, "54岁11个月", "2039-08"},
	{Female50, "1984-10", 59, "54岁11个月", "2039-09"},
	// first month at the cap
	{Female50, "1984-11", 60, "55岁", "2039-11"},
	// last row of the table
	{Female50, "1984-12", 60, "55岁", "2039-12"},
	// well after the cap
	{Female50, "1995-12", 60, "55岁", "2050-12"},
	{Female50, "2010-06", 60, "55岁", "2065-06"},
}

// originalAges are the original statutory retirement ages of the categories (办法第一条).
var originalAges = map[Category]string{Male: "60岁", Female55: "55岁", Female50: "50岁"}

func TestAnnexedTables(t *testing.T) {
	for _, row := range annexRows {
		t.Run(string(row.c)+"/"+row.birth, func(t *testing.T) {
			r, err := Compute(row.c, ym(t, row.birth))
			if err != nil {
				t.Fatal(err)
			}
			if r.DelayMonths != row.delay {
				t.Errorf("delay = %d, want %d", r.DelayMonths, row.delay)
			}
			if got := r.RetirementAge.Text(); got != row.age {
				t.Errorf("age = %s, want %s", got, row.age)
			}
			if got := r.RetirementMonth.String(); got != row.retirement {
				t.Errorf("retirement month = %s, want %s", got, row.retirement)
			}
			if got := r.OriginalAge.Text(); got != originalAges[row.c] {
				t.Errorf("original age = %s, want %s", got, originalAges[row.c])
			}
			if r.Category != row.c || r.Birth.String() != row.birth {
				t.Errorf("echo = %s %s", r.Category, r.Birth)
			}
		})
	}
}

// TestTableBounds: the first and last rows of each annexed table (附件1: 1965年1月 to 1976年12月,
// 附件2: 1970年1月 to 1981年12月, 附件3: 1975年1月 to 1984年12月) as the rules derive them.
func TestTableBounds(t *testing.T) {
	want := map[Category][2]string{Male: {"1965-01", "1976-12"}, Female55: {"1970-01", "1981-12"}, Female50: {"1975-01", "1984-12"}}
	for c, w := range want {
		if got := [2]string{rules[c].firstCohort().String(), rules[c].lastRow().String()}; got != w {
			t.Errorf("%s: table from %s to %s, want %s to %s", c, got[0], got[1], w[0], w[1])
		}
	}
}

func TestMaleExample(t *testing.T) {
	r, err := Compute(Male, YearMonth{1970, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"original":  "2030-01",
		"new":       "2031-05",
		"earliest":  "2030-01",
		"latest":    "2034-05",
		"age":       "61岁4个月",
		"orig age":  "60岁",
		"min years": "16",
	}
	got := map[string]string{
		"original":  r.OriginalMonth.String(),
		"new":       r.RetirementMonth.String(),
		"earliest":  r.EarliestFlexibleMonth.String(),
		"latest":    r.LatestFlexibleMonth.String(),
		"age":       r.RetirementAge.Text(),
		"orig age":  r.OriginalAge.Text(),
		"min years": yearsNumber(r.MinContributionYears),
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
	if r.OriginalAge != (Age{60, 0}) || r.RetirementAge != (Age{61, 4}) || r.DelayMonths != 16 {
		t.Errorf("ages = %+v %+v delay %d", r.OriginalAge, r.RetirementAge, r.DelayMonths)
	}
}

func yearsNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestFlexibleWindow(t *testing.T) {
	for _, tc := range []struct {
		c                       Category
		birth, earliest, latest string
	}{
		{Male, "1964-12", "2024-12", "2027-12"},     // no delay: earliest is the original month
		{Male, "1976-09", "2036-09", "2042-09"},     // delay 36: earliest is exactly the original month
		{Female55, "1981-12", "2036-12", "2042-12"}, //
		{Female50, "1975-01", "2025-01", "2028-02"}, // delay 1: capped at the original month 2025-01
		{Female50, "1984-12", "2036-12", "2042-12"}, // delay 60: three years before 2039-12, after 2034-12
		{Female50, "1990-01", "2042-01", "2048-01"}, // 55 at the cap, earliest 52, not the original 50
		{Female50, "1980-01", "2030-01", "2035-08"}, // delay 31 < 36: earliest is the original month
		{Female50, "1982-07", "2033-05", "2039-05"}, // delay 46 → 53岁10个月, 2036-05: earliest 2033-05 > original 2032-07
	} {
		r, err := Compute(tc.c, ym(t, tc.birth))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.EarliestFlexibleMonth.String(); got != tc.earliest {
			t.Errorf("%s %s earliest = %s, want %s", tc.c, tc.birth, got, tc.earliest)
		}
		if got := r.LatestFlexibleMonth.String(); got != tc.latest {
			t.Errorf("%s %s latest = %s, want %s", tc.c, tc.birth, got, tc.latest)
		}
	}
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 913))
	lo := YearMonth{1930, 1}.index()
	hi := YearMonth{2010, 12}.index()
	births := make([]YearMonth, 400)
	for i := range births {
		births[i] = fromIndex(lo + rng.IntN(hi-lo+1))
	}
	births = append(births, YearMonth{1930, 1}, YearMonth{2010, 12})
	slices.SortFunc(births, func(a, b YearMonth) int { return a.index() - b.index() })

	caps := map[Category]int{Male: 36, Female55: 36, Female50: 60}
	origs := map[Category]int{Male: 60, Female55: 55, Female50: 50}
	for _, c := range Categories {
		var prev Retirement
		for i, b := range births {
			r, err := Compute(c, b)
			if err != nil {
				t.Fatalf("%s %s: %v", c, b, err)
			}
			if r.OriginalAge != (Age{origs[c], 0}) {
				t.Errorf("%s %s: original age %+v", c, b, r.OriginalAge)
			}
			if r.DelayMonths < 0 || r.DelayMonths > caps[c] {
				t.Errorf("%s %s: delay %d outside 0..%d", c, b, r.DelayMonths, caps[c])
			}
			if r.RetirementAge.InMonths() < r.OriginalAge.InMonths() ||
				r.RetirementAge.InMonths() > r.OriginalAge.InMonths()+caps[c] {
				t.Errorf("%s %s: age %s outside original..cap", c, b, r.RetirementAge.Text())
			}
			if r.RetirementAge.InMonths() != r.OriginalAge.InMonths()+r.DelayMonths {
				t.Errorf("%s %s: age %s != original + delay %d", c, b, r.RetirementAge.Text(), r.DelayMonths)
			}
			if r.RetirementAge.Months < 0 || r.RetirementAge.Months > 11 {
				t.Errorf("%s %s: age months %d", c, b, r.RetirementAge.Months)
			}
			if b.MonthsUntil(r.RetirementMonth) != r.RetirementAge.InMonths() {
				t.Errorf("%s %s: retirement month %s is not birth + age", c, b, r.RetirementMonth)
			}
			if r.EarliestFlexibleMonth.Before(r.OriginalMonth) || r.EarliestFlexibleMonth.After(r.RetirementMonth) {
				t.Errorf("%s %s: earliest %s outside %s..%s", c, b, r.EarliestFlexibleMonth, r.OriginalMonth, r.RetirementMonth)
			}
			if r.EarliestFlexibleMonth.MonthsUntil(r.RetirementMonth) > 36 {
				t.Errorf("%s %s: earliest %s more than 3 years early", c, b, r.EarliestFlexibleMonth)
			}
			if r.RetirementMonth.MonthsUntil(r.LatestFlexibleMonth) != 36 {
				t.Errorf("%s %s: latest %s != retirement %s + 36", c, b, r.LatestFlexibleMonth, r.RetirementMonth)
			}
			if r.MinContributionYears != MinContributionYears(r.RetirementMonth.Year) {
				t.Errorf("%s %s: min years %v", c, b, r.MinContributionYears)
			}
			if i > 0 {
				if r.DelayMonths < prev.DelayMonths {
					t.Errorf("%s: delay decreases from %s (%d) to %s (%d)", c, prev.Birth, prev.DelayMonths, b, r.DelayMonths)
				}
				if r.RetirementMonth.Before(prev.RetirementMonth) {
					t.Errorf("%s: retirement month decreases from %s (%s) to %s (%s)", c, prev.Birth,
						prev.RetirementMonth, b, r.RetirementMonth)
				}
				if r.MinContributionYears < prev.MinContributionYears {
					t.Errorf("%s: min years decrease at %s", c, b)
				}
			}
			prev = r
		}
	}
}

func TestMinContributionYears(t *testing.T) {
	for _, tc := range []struct {
		year int
		want float64
	}{
		{2020, 15}, {2025, 15}, {2029, 15}, {2030, 15.5}, {2031, 16}, {2032, 16.5},
		{2035, 18}, {2038, 19.5}, {2039, 20}, {2040, 20}, {2050, 20},
	} {
		if got := MinContributionYears(tc.year); got != tc.want {
			t.Errorf("MinContributionYears(%d) = %v, want %v", tc.year, got, tc.want)
		}
	}
}

func TestParseYearMonth(t *testing.T) {
	good := map[string]YearMonth{"1970-01": {1970, 1}, "2031-12": {2031, 12}, "0001-01": {1, 1}, "9999-12": {9999, 12}}
	for s, want := range good {
		got, err := ParseYearMonth(s)
		if err != nil || got != want {
			t.Errorf("ParseYearMonth(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("String() = %q, want %q", got.String(), s)
		}
	}
	for _, s := range []string{"1970-1", "1970-13", "abc", "", "1970-00", "0000-01", "1970/01", " 1970-01",
		"1970-01 ", "+970-01", "1970-+1", "19700-01", "1970-001", "１９７０-01", "1970-1a"} {
		_, err := ParseYearMonth(s)
		if !errors.Is(err, ErrYearMonth) {
			t.Errorf("ParseYearMonth(%q) error = %v, want ErrYearMonth", s, err)
		}
		if errors.Is(err, ErrBirth) || errors.Is(err, ErrCategory) {
			t.Errorf("ParseYearMonth(%q) error %v wraps the wrong sentinel", s, err)
		}
		if Message(err) != "年月格式无效，应为 YYYY-MM，例如 1970-01" {
			t.Errorf("Message = %q", Message(err))
		}
	}
}

func TestYearMonthArithmetic(t *testing.T) {
	m := YearMonth{2030, 12}
	if got := m.AddMonths(1); got != (YearMonth{2031, 1}) {
		t.Errorf("AddMonths(1) = %v", got)
	}
	if got := m.AddMonths(-12); got != (YearMonth{2029, 12}) {
		t.Errorf("AddMonths(-12) = %v", got)
	}
	if got := (YearMonth{2031, 1}).AddMonths(-1); got != (YearMonth{2030, 12}) {
		t.Errorf("AddMonths(-1) = %v", got)
	}
	if got := (YearMonth{1970, 1}).AddMonths(736); got != (YearMonth{2031, 5}) {
		t.Errorf("AddMonths(736) = %v", got)
	}
	if got := m.Text(); got != "2030年12月" {
		t.Errorf("Text() = %q", got)
	}
	if (Age{60, 0}).Text() != "60岁" || (Age{61, 4}).Text() != "61岁4个月" {
		t.Errorf("Age.Text wrong")
	}
	var back YearMonth
	b, err := json.Marshal(YearMonth{1970, 1})
	if err != nil || string(b) != `"1970-01"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back != (YearMonth{1970, 1}) {
		t.Errorf("Unmarshal = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"1970-13"`), &back); !errors.Is(err, ErrYearMonth) {
		t.Errorf("Unmarshal bad month error = %v", err)
	}
}

func TestCategory(t *testing.T) {
	for _, s := range []string{"male", "female50", "female55"} {
		c, err := ParseCategory(s)
		if err != nil || string(c) != s || !c.Valid() || c.Name() == "" {
			t.Errorf("ParseCategory(%q) = %q, %v", s, c, err)
		}
	}
	for _, s := range []string{"", "Male", "female", "female60", " male", "男职工", "female_50"} {
		_, err := ParseCategory(s)
		if !errors.Is(err, ErrCategory) {
			t.Errorf("ParseCategory(%q) error = %v, want ErrCategory", s, err)
		}
		if errors.Is(err, ErrBirth) {
			t.Errorf("ParseCategory(%q) error wraps ErrBirth", s)
		}
		if Message(err) != "退休类别无效，应为 male、female50 或 female55" {
			t.Errorf("Message = %q", Message(err))
		}
	}
	_, err := Compute("female60", YearMonth{1970, 1})
	if !errors.Is(err, ErrCategory) || errors.Is(err, ErrBirth) {
		t.Errorf("Compute(unknown category) error = %v", err)
	}
}

func TestBirthValidation(t *testing.T) {
	now := time.Date(2026, time.March, 15, 10, 0, 0, 0, time.UTC)
	bad := []struct {
		b   YearMonth
		msg string
	}{
		{YearMonth{1970, 0}, "出生年月无效，月份应为1至12"},
		{YearMonth{1970, 13}, "出生年月无效，月份应为1至12"},
		{YearMonth{1929, 12}, "出生年月不能早于1930年1月"},
		{YearMonth{1800, 1}, "出生年月不能早于1930年1月"},
		{YearMonth{2026, 4}, "出生年月不能晚于当前月份（2026年3月）"},
		{YearMonth{2100, 1}, "出生年月不能晚于当前月份（2026年3月）"},
	}
	for _, tc := range bad {
		err := ValidateBirth(tc.b, now)
		if !errors.Is(err, ErrBirth) || errors.Is(err, ErrCategory) {
			t.Errorf("ValidateBirth(%v) = %v, want ErrBirth", tc.b, err)
		}
		if got := Message(err); got != tc.msg {
			t.Errorf("Message(ValidateBirth(%v)) = %q, want %q", tc.b, got, tc.msg)
		}
	}
	for _, b := range []YearMonth{{1930, 1}, {1970, 1}, {2026, 3}} {
		if err := ValidateBirth(b, now); err != nil {
			t.Errorf("ValidateBirth(%v) = %v", b, err)
		}
	}
	// Compute checks the clock-free part only.
	for _, b := range []YearMonth{{1970, 0}, {1970, 13}, {1929, 12}, {0, 1}, {-5, 3}, {99999, 1}} {
		if _, err := Compute(Male, b); !errors.Is(err, ErrBirth) {
			t.Errorf("Compute(male, %v) error = %v, want ErrBirth", b, err)
		}
	}
	if _, err := Compute(Male, YearMonth{2100, 1}); err != nil {
		t.Errorf("Compute for a future birth = %v, want nil (ValidateBirth handles the clock)", err)
	}
	if Message(nil) != "" || Message(errors.New("other")) != "" {
		t.Errorf("Message of nil or foreign errors should be empty")
	}
}

func TestView(t *testing.T) {
	r, err := Compute(Male, YearMonth{1970, 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r.View())
	if err != nil {
		t.Fatal(err)
	}
	const prefix = `{"category":"male","birth":"1970-01","original_age":{"years":60,"months":0},` +
		`"original_month":"2030-01","delay_months":16,"retirement_age":{"years":61,"months":4},` +
		`"retirement_age_text":"61岁4个月","retirement_month":"2031-05","earliest_flexible_month":"2030-01",` +
		`"latest_flexible_month":"2034-05","min_contribution_years":16,"basis":[{"law":"`
	if !strings.HasPrefix(string(b), prefix) {
		t.Fatalf("JSON =\n%s\nwant prefix\n%s", b, prefix)
	}
	var v struct {
		Basis []map[string]string `json:"basis"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var articles []string
	for _, x := range v.Basis {
		if len(x) != 3 || x["law"] == "" || x["article"] == "" || x["text"] == "" {
			t.Errorf("basis entry %v", x)
		}
		articles = append(articles, x["article"])
	}
	for _, want := range []string{"第一条", "第二条", "第三条", "附件1", "附件4"} {
		if !strings.Contains(strings.Join(articles, "|"), want) {
			t.Errorf("basis articles %v lack %s", articles, want)
		}
	}
	if !strings.Contains(string(b), "出生时间1970年1月：改革后法定退休年龄61岁4个月，改革后退休时间2031年5月，延迟月数16。") {
		t.Errorf("basis lacks the table row: %s", b)
	}

	r2, _ := Compute(Female50, YearMonth{1990, 1})
	b2, _ := json.Marshal(r2.View())
	for _, want := range []string{`"min_contribution_years":20`, `"retirement_month":"2045-01"`, "附件3", "对照表止于1984年12月出生"} {
		if !strings.Contains(string(b2), want) {
			t.Errorf("female50 1990-01 JSON lacks %s: %s", want, b2)
		}
	}
	r3, _ := Compute(Female55, YearMonth{1975, 1}) // retires 2031-05 → 16; 2030 → 15.5
	r4, _ := Compute(Male, YearMonth{1968, 12})    // delay 12 → 61岁 → 2029-12 → 15
	b3, _ := json.Marshal(r3.View())
	if !strings.Contains(string(b3), `"min_contribution_years":16`) {
		t.Errorf("female55 1975-01: %s", b3)
	}
	if r4.RetirementMonth != (YearMonth{2029, 12}) || r4.MinContributionYears != 15 {
		t.Errorf("male 1968-12: %s %v", r4.RetirementMonth, r4.MinContributionYears)
	}
	r5, _ := Compute(Male, YearMonth{1969, 1}) // delay 13 → 61岁1个月 → 2030-02 → 15.5
	b5, _ := json.Marshal(r5.View())
	if !strings.Contains(string(b5), `"min_contribution_years":15.5`) || !strings.Contains(string(b5), `"retirement_month":"2030-02"`) {
		t.Errorf("male 1969-01: %s", b5)
	}
}

func TestSentence(t *testing.T) {
	r, _ := Compute(Male, YearMonth{1970, 1})
	want := "按男职工计算，1970年1月出生，原法定退休年龄60岁（2030年1月），延迟16个月，法定退休年龄为61岁4个月，" +
		"2031年5月退休；弹性提前最早2030年1月，弹性延迟最晚2034年5月；按月领取养老金最低缴费年限为16年。"
	if got := r.Sentence(); got != want {
		t.Errorf("Sentence =\n%s\nwant\n%s", got, want)
	}
	r, _ = Compute(Male, YearMonth{1969, 1})
	if got := r.Sentence(); !strings.HasSuffix(got, "最低缴费年限为15年6个月。") {
		t.Errorf("Sentence = %s", got)
	}
	r, _ = Compute(Female50, YearMonth{1960, 5})
	want = "按原法定退休年龄50周岁的女职工计算，1960年5月出生，原法定退休年龄50岁（2010年5月），不延迟，" +
		"法定退休年龄为50岁，2010年5月退休；按月领取养老金最低缴费年限为15年。"
	if got := r.Sentence(); got != want {
		t.Errorf("Sentence =\n%s\nwant\n%s", got, want)
	}
}
