package answer

import (
	"regexp"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
	"shebao/internal/spoken"
)

// The fuzz targets check that no input panics, that every refusal carries a reason from the
// catalogue, and that every accepted value is valid for its kind and reads back as itself.
// Run one with: go test -fuzz FuzzIDCard ./internal/spoken/answer

var fuzzToday = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)

// fuzzParse parses text and, when it is refused, checks the reason.
func fuzzParse(t *testing.T, k Kind, text string) (Value, bool) {
	v, err := Parse(k, text, fuzzToday)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || !isReason(e.Code) {
			t.Fatalf("%s %q: refused without a catalogued reason: %v", k, text, err)
		}
		return Value{}, false
	}
	if v.Kind != k {
		t.Fatalf("%s %q: value of kind %s", k, text, v.Kind)
	}
	return v, true
}

func isReason(code string) bool {
	for _, r := range Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

// readsBack checks that the canonical form of a value, said again, is the same value.
func readsBack(t *testing.T, k Kind, text string, v Value) {
	again, err := Parse(k, v.Text, fuzzToday)
	if err != nil || again.Text != v.Text {
		t.Fatalf("%s %q → %q, which reads back as %q, %v", k, text, v.Text, again.Text, err)
	}
}

// fuzzKind fuzzes Parse for kind k from seeds: an accepted value must pass valid and read back
// as itself.
func fuzzKind(f *testing.F, k Kind, seeds []string, valid func(t *testing.T, text string, v Value)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if v, ok := fuzzParse(t, k, text); ok {
			valid(t, text, v)
			readsBack(t, k, text, v)
		}
	})
}

func FuzzYesNo(f *testing.F) {
	for _, s := range []string{"对", "不是不是", "嗯，不是", "对，不是别的号", "可能吧", "对不对", "ok", "中"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if v, ok := fuzzParse(t, YesNo, text); ok && v.Text != strconv.FormatBool(v.Bool) {
			t.Fatalf("%q: %q vs %v", text, v.Text, v.Bool)
		}
	})
}

var decimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)

func fuzzAmount(f *testing.F, k Kind) {
	fuzzKind(f, k, []string{"一千二百五", "1万2", "三点五", "两千一百三十八元四角", "三块五", "十块零五分", "2.5万",
		"三四千", "一万亿", "百分之五", "负三", "壹仟贰佰", "1,500.25元", "一亿二千万零五"}, func(t *testing.T, text string, v Value) {
		if !decimal.MatchString(v.Text) {
			t.Fatalf("%s %q → %q: not a canonical decimal", k, text, v.Text)
		}
		if f, err := strconv.ParseFloat(v.Text, 64); err != nil || f != v.Number {
			t.Fatalf("%s %q → %q but Number %v", k, text, v.Text, v.Number)
		}
		if k == Money {
			if v.Number < 0 || regexp.MustCompile(`\.\d{3}`).MatchString(v.Text) {
				t.Fatalf("money %q → %q: negative or below the fen", text, v.Text)
			}
		}
	})
}

func FuzzNumber(f *testing.F) { fuzzAmount(f, Number) }

func FuzzMoney(f *testing.F) { fuzzAmount(f, Money) }

func FuzzDate(f *testing.F) {
	fuzzKind(f, Date, []string{"五三年三月", "1953年3月5号", "去年十月", "上个月15号", "2023年2月31日", "上周三",
		"1962年10月，不对，11月", "19530305", "53.3.5", "一九五三年三月五号，星期四"}, func(t *testing.T, text string, v Value) {
		layout := "2006-01"
		if v.Date.Day != 0 {
			layout = time.DateOnly
		}
		d, err := time.Parse(layout, v.Text)
		if err != nil || d.Year() != v.Date.Year || int(d.Month()) != v.Date.Month || v.Date.Day != 0 && d.Day() != v.Date.Day {
			t.Fatalf("%q → %q (%+v): not a real date: %v", text, v.Text, v.Date, err)
		}
	})
}

func FuzzPhone(f *testing.F) {
	fuzzKind(f, Phone, []string{"幺三八 幺二三四 五六七八", "+86 138 1234 5678", "1381234567", "三个八", "029-88886666"}, func(t *testing.T, text string, v Value) {
		if len(v.Text) != 11 || !mobilePrefix(v.Text) || !allDigits(v.Text) {
			t.Fatalf("%q → %q: not a mobile number", text, v.Text)
		}
	})
}

func FuzzIDCard(f *testing.F) {
	fuzzKind(f, IDCard, []string{"610102195303050019", "六一零一零二 一九五三零三零五 零零一九", "61011319800715123叉",
		"61011319800715123艾克斯", "610102195302310018", "6101021953030500X9", "61030219751130014 叉叉"}, func(t *testing.T, text string, v Value) {
		b, birthOK := spoken.IDBirth(v.Text)
		if !spoken.ValidID(v.Text) || v.Text[17] == 'x' || !birthOK || b.Day > daysIn(b.Year, b.Month) ||
			time.Date(b.Year, time.Month(b.Month), b.Day, 0, 0, 0, 0, time.UTC).After(fuzzToday) {
			t.Fatalf("%q → %q: not a valid ID number", text, v.Text)
		}
	})
}

func FuzzBankCard(f *testing.F) {
	fuzzKind(f, BankCard, []string{"6222021234567890128", "6217 0012 3456 7893", "六二一七 零零一二 三四五六 七八九三",
		"6228480012345678904", "622588123456784"}, func(t *testing.T, text string, v Value) {
		if n := len(v.Text); n < 16 || n > 19 || !allDigits(v.Text) || !spoken.Luhn(v.Text) {
			t.Fatalf("%q → %q: not a bank card number", text, v.Text)
		}
	})
}

func FuzzName(f *testing.F) {
	fuzzKind(f, Name, []string{"我叫张伟", "欧阳娜娜", "我姓张，叫伟", "买买提·艾力", "王秀英，不对，王秀兰", "不知道"}, func(t *testing.T, text string, v Value) {
		if checkName(v.Text) != nil || utf8.RuneCountInString(v.Text) < 2 {
			t.Fatalf("%q → %q: not a name", text, v.Text)
		}
	})
}

func FuzzSex(f *testing.F) {
	for _, s := range []string{"男", "女的", "不是男的，是女的", "男女", "female"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if v, ok := fuzzParse(t, Sex, text); ok && v.Text != "男" && v.Text != "女" {
			t.Fatalf("%q → %q", text, v.Text)
		}
	})
}

func FuzzChoice(f *testing.F) {
	for _, s := range []string{"第二个", "最后一个", "倒数第二个", "挂失", "第一个，不对，第三个", "第九十九个"} {
		f.Add(s)
	}
	opts := []string{"失业保险金申领", "养老金领取资格认证", "社保卡挂失"}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := ParseChoice(text, opts)
		if err != nil {
			if e, ok := apperr.As(err); !ok || !isReason(e.Code) {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		if v.Index < 0 || v.Index >= len(opts) || opts[v.Index] != v.Text {
			t.Fatalf("%q → %+v", text, v)
		}
	})
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
