package spoken

import (
	"testing"
	"time"
)

func TestDigitTable(t *testing.T) {
	t.Parallel()
	for in, want := range map[rune]int{'0': 0, '９': 9, '零': 0, '〇': 0, '○': 0, '洞': 0, '一': 1, '幺': 1,
		'二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9} {
		if got, ok := Digit(in); !ok || got != want {
			t.Errorf("Digit(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, r := range "十百千万点a。X叉" {
		if _, ok := Digit(r); ok {
			t.Errorf("Digit(%q) accepted", r)
		}
	}
}

// checkReads holds a reader to its table: each good input reads as its value, each bad one fails.
func checkReads[T comparable](t *testing.T, name string, read func(string) (T, bool), good map[string]T, bad []string) {
	t.Helper()
	for in, want := range good {
		if got, ok := read(in); !ok || got != want {
			t.Errorf("%s(%q) = %v, %v; want %v", name, in, got, ok, want)
		}
	}
	for _, in := range bad {
		if got, ok := read(in); ok {
			t.Errorf("%s(%q) = %v, want failure", name, in, got)
		}
	}
}

func TestParseNumber(t *testing.T) {
	t.Parallel()
	checkReads(t, "ParseNumber", ParseNumber, map[string]float64{
		"十": 10, "十五": 15, "五十五": 55, "六十三": 63, "一百零五": 105, "三百五": 350, "两千": 2000,
		"一万二": 12000, "一万二千": 12000, "一千零一十": 1010, "一九七零": 1970, "七零": 70, "零": 0,
		"十五点五": 15.5, "二十": 20, "幺二": 12, "洞洞七": 7, "1万2": 12000,
	}, []string{"", "十百", "五五十", "点", "百"})
}

func TestReadDigits(t *testing.T) {
	t.Parallel()
	checkReads(t, "ReadDigits", ReadDigits, map[string]string{
		"幺三八 幺二三四 五六七八":        "13812345678",
		"138-1234-5678":        "13812345678",
		"１３８．１２３４．５６７８":        "13812345678",
		"六一0一0二19530305〇〇一九":   "610102195303050019",
		"11010519491231002叉":   "11010519491231002X",
		"1101051949123100２艾克斯": "11010519491231002X",
		"一三八，一二三四，五六七八":        "13812345678",
		" 两洞洞五 ":               "2005",
	}, []string{"", "电话138", "138号", "十五", "1234X"})
}

func TestScanDigitRunsGroups(t *testing.T) {
	t.Parallel()
	s := "电话138 1234 5678，卡号6222－0212"
	var runs []DigitRun
	ScanDigitRuns(s, 4, func(r DigitRun) { runs = append(runs, r) })
	if len(runs) != 2 {
		t.Fatalf("runs = %+v", runs)
	}
	if got := s[runs[0].Start:runs[0].End]; got != "138 1234 5678" || runs[0].Digits() != "13812345678" || len(runs[0].Groups) != 3 {
		t.Errorf("first run %q %+v", got, runs[0])
	}
	// "，" between the phone and 卡号 does not join them: 卡 is not a digit.
	if runs[1].Digits() != "62220212" {
		t.Errorf("second run %+v", runs[1])
	}
	var short int
	ScanDigitRuns("一个人两千元三月", 5, func(DigitRun) { short++ })
	if short != 0 {
		t.Errorf("short runs reported")
	}
}

func TestIDCheckDigit(t *testing.T) {
	t.Parallel()
	// GB 11643-1999 worked example.
	if !ValidID("11010519491231002X") || !ValidID("11010519491231002x") {
		t.Error("11010519491231002X should be valid")
	}
	if ValidID("110105194912310021") || ValidID("1101051949123100") {
		t.Error("wrong check digit or length accepted")
	}
	if c := IDCheckDigit("11010519491231002"); c != 'X' {
		t.Errorf("check digit %c", c)
	}
	d, ok := IDBirth("11010519491231002X")
	if !ok || d != (Date{1949, 12, 31}) || IDMale("11010519491231002X") {
		t.Errorf("birth %v %v male %v", d, ok, IDMale("11010519491231002X"))
	}
	if d, ok := IDBirth("610102530305001"); !ok || d.Year != 1953 || d.Month != 3 {
		t.Errorf("15-digit birth %v %v", d, ok)
	}
}

func TestLuhn(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"4111111111111111": true, "4111111111111112": false, "": false, "41x1": false} {
		if Luhn(s) != want {
			t.Errorf("Luhn(%s) = %v", s, !want)
		}
	}
	if d := "622202123456789012"; !Luhn(d + string(LuhnDigit(d))) {
		t.Error("LuhnDigit does not complete the number")
	}
}

func TestFoldWidth(t *testing.T) {
	t.Parallel()
	in, want := "１３８ＡＢｃ－．　，。？（）", "138ABc-. ，。？（）"
	var got []rune
	for _, r := range in {
		got = append(got, FoldWidth(r))
	}
	if string(got) != want {
		t.Errorf("FoldWidth(%q) = %q, want %q", in, string(got), want)
	}
}

func TestYearMonths(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	birth := func(yy int) int {
		if yy <= now.Year()%100-16 {
			return 2000 + yy
		}
		return 1900 + yy
	}
	for in, want := range map[string]Date{
		"七零年一月": {1970, 1, 0}, "1970年1月": {1970, 1, 0}, "70.1": {1970, 1, 0}, "六八年的": {1968, 0, 0},
		"五三年三月": {1953, 3, 0}, "1970年出生": {1970, 0, 0}, "一九七零年": {1970, 0, 0}, "05年5月": {2005, 5, 0},
	} {
		got := YearMonths(in, birth)
		if len(got) == 0 || got[0] != want {
			t.Errorf("YearMonths(%q) = %v, want %v first", in, got, want)
		}
	}
	for _, in := range []string{"交了15年", "一两年", "十五个工作日"} {
		if got := YearMonths(in, birth); len(got) != 0 {
			t.Errorf("YearMonths(%q) = %v, want none", in, got)
		}
	}
	for in, want := range map[string]int{"三月的": 3, "3月份": 3, "十二月": 12, "一九七零年": 0, "十三月": 0} {
		if got := Month(in); got != want {
			t.Errorf("Month(%q) = %d, want %d", in, got, want)
		}
	}
}
