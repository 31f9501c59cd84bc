package assistant

import (
	"sort"
	"strings"
	"testing"
)

func TestIDChecksum(t *testing.T) {
	t.Parallel()
	// GB 11643-1999 worked example.
	if !validIDChecksum("11010519491231002X") {
		t.Error("11010519491231002X should be valid")
	}
	if validIDChecksum("110105194912310021") {
		t.Error("110105194912310021 should be invalid")
	}
	if !validIDChecksum("11010519491231002x") {
		t.Error("lower-case x should be accepted")
	}
}

func TestLuhn(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"4111111111111111": true, "4111111111111112": false, "6222021234567890128": luhn("6222021234567890128")} {
		if luhn(s) != want {
			t.Errorf("luhn(%s) = %v", s, !want)
		}
	}
}

func TestMaskPII(t *testing.T) {
	t.Parallel()
	id := validID("61010319700115123")
	idFemale := validID("61010319750320124")
	card := luhnNumber("622202123456789012")
	for _, tc := range []struct {
		name, in, want string
		kinds          []PIIKind
	}{
		{"id", "我的身份证号是" + id + "，哪年退休", "我的身份证号是[身份证号]，哪年退休", []PIIKind{PIIIDCard}},
		{"id with x", "身份证11010519491231002X", "身份证[身份证号]", []PIIKind{PIIIDCard}},
		{"mobile", "电话13812345678", "电话[手机号]", []PIIKind{PIIMobile}},
		{"mobile grouped", "打138 1234 5678找我", "打[手机号]找我", []PIIKind{PIIMobile}},
		{"mobile hyphenated", "138-1234-5678", "[手机号]", []PIIKind{PIIMobile}},
		{"mobile +86", "+8613812345678", "+[手机号]", []PIIKind{PIIMobile}},
		{"landline", "029-88886666", "[电话]", []PIIKind{PIIPhone}},
		{"bank card", "卡号" + card, "卡号[银行卡号]", []PIIKind{PIIBankCard}},
		{"bank card grouped", "卡号 " + card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:16] + " " + card[16:], "卡号 [银行卡号]", []PIIKind{PIIBankCard}},
		{"spoken mobile", "我电话是一三八一二三四五六七八", "我电话是[手机号]", []PIIKind{PIIMobile}},
		{"name", "我叫张三，想问社保卡", "我叫[姓名]，想问社保卡", []PIIKind{PIIName}},
		{"name with colon", "姓名：李小明 电话13812345678", "姓名：[姓名] 电话[手机号]", []PIIKind{PIIName, PIIMobile}},
		{"mother's name", "我妈叫王秀英想办退休", "我妈叫[姓名]想办退休", []PIIKind{PIIName}},
		{"long unknown number", "编号123456789012345678901", "编号[号码]", []PIIKind{PIINumber}},
		{"hotline kept", "拨打12333咨询", "拨打12333咨询", nil},
		{"year and date kept", "1970年1月出生，2025-01-01生效", "1970年1月出生，2025-01-01生效", nil},
		{"amount kept", "补卡20元，15个工作日", "补卡20元，15个工作日", nil},
		{"spoken year kept", "一九七零年一月", "一九七零年一月", nil},
		{"question about names kept", "姓名写错了怎么改", "姓名写错了怎么改", nil},
		{"female id", "身份证" + idFemale, "身份证[身份证号]", []PIIKind{PIIIDCard}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MaskPII(tc.in)
			if got.Text != tc.want {
				t.Errorf("MaskPII(%q) = %q, want %q", tc.in, got.Text, tc.want)
			}
			if strings.Join(kindsOf(got.Found), ",") != strings.Join(kindsOf(tc.kinds), ",") {
				t.Errorf("found %v, want %v", got.Found, tc.kinds)
			}
		})
	}
}

func kindsOf(ks []PIIKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

func TestMaskPIIReadsBirthAndSex(t *testing.T) {
	t.Parallel()
	m := MaskPII("身份证" + validID("61010319700115123"))
	if m.Birth.Year != 1970 || m.Birth.Month != 1 || m.Male == nil || !*m.Male {
		t.Errorf("birth %v male %v", m.Birth, m.Male)
	}
	m = MaskPII("身份证" + validID("61010319750320124"))
	if m.Birth.Year != 1975 || m.Birth.Month != 3 || m.Male == nil || *m.Male {
		t.Errorf("birth %v male %v", m.Birth, m.Male)
	}
}

// leaks reports personal data left in masked text: any digit run that the masker would still
// classify.
func leaks(masked string) bool {
	again := MaskPII(masked)
	return len(again.Found) > 0 && again.Text != masked
}

func FuzzMaskPII(f *testing.F) {
	id := validID("61010319700115123")
	for _, s := range []string{"我的身份证号是" + id, "电话138 1234 5678", "卡号" + luhnNumber("622202123456789012"),
		"我叫张三", "拨打12333", "一三八一二三四五六七八", "+8613812345678", "1970年1月"} {
		f.Add(s, id)
	}
	f.Fuzz(func(t *testing.T, in, digits string) {
		m := MaskPII(in)
		if again := MaskPII(m.Text); again.Text != m.Text {
			t.Fatalf("not idempotent: %q → %q → %q", in, m.Text, again.Text)
		}
		if leaks(m.Text) {
			t.Fatalf("masked text still has personal data: %q", m.Text)
		}
		// A valid ID number placed anywhere never survives.
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, digits)
		if len(d) < 17 {
			return
		}
		full := validID(d[:17])
		if !plausibleDate(full[6:14]) {
			return
		}
		cut := len(in) / 2
		for cut > 0 && cut < len(in) && !isBoundary(in, cut) {
			cut--
		}
		text := in[:cut] + " " + full + " " + in[cut:]
		if out := MaskPII(text).Text; strings.Contains(out, full) || strings.Contains(out, full[:17]) {
			t.Fatalf("ID %s left in %q", full, out)
		}
	})
}

func isBoundary(s string, i int) bool { return i == 0 || i == len(s) || (s[i]&0xC0) != 0x80 }
