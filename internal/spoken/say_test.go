package spoken

import "testing"

func TestSayDigitGroups(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"12333", "幺二三三三"},
		{"13812345678", "幺三八，幺二三四，五六七八"},
		{"610102195303050019", "六幺零幺零二，幺九五三零三零五，零零幺九"},
		{"02988886666", "零二九，八八八八，六六六六"},
		{"09178888666", "零九幺七，八八八，八六六六"},
		{"88886666", "八八八八，六六六六"},
		{"6222021234567890123", "六二二，二零二幺，二三四五，六七八九，零幺二三"},
		{"", ""},
	} {
		if got := SayDigitGroups(c.in); got != c.want {
			t.Errorf("SayDigitGroups(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSayCardinal(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "零", 2: "二", 10: "十", 15: "十五", 20: "二十", 101: "一百零一", 139: "一百三十九",
		200: "两百", 1200: "一千二百", 1010: "一千零一十", 2138: "两千一百三十八", 12000: "一万两千", 20000: "两万", 10050: "一万零五十",
		100000000: "一亿", 210000000: "两亿一千万", -5: "负五"} {
		if got := SayCardinal(n); got != want {
			t.Errorf("SayCardinal(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSayMoney(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ i, f, want string }{
		{"2138", "4", "两千一百三十八元四角"},
		{"2138", "45", "两千一百三十八元四角五分"},
		{"3", "05", "三元零五分"},
		{"0", "5", "五角"},
		{"2", "", "两元"},
		{"2000", "", "两千元"},
		{"20", "00", "二十元"},
		{"0", "", "零元"},
	} {
		if got := SayMoney(c.i, c.f); got != c.want {
			t.Errorf("SayMoney(%q, %q) = %q, want %q", c.i, c.f, got, c.want)
		}
	}
}

func TestSayYearAndDecimal(t *testing.T) {
	t.Parallel()
	if got := SayYear("1953"); got != "一九五三" {
		t.Errorf("SayYear = %q", got)
	}
	if got := SayDecimal("15", "5"); got != "十五点五" {
		t.Errorf("SayDecimal = %q", got)
	}
	if got := SayCount(2) + SayCount(12); got != "两十二" {
		t.Errorf("SayCount = %q", got)
	}
}
