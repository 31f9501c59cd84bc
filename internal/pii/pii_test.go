package pii_test

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"shebao/internal/pii"
	"shebao/internal/pii/piitest"
	"shebao/internal/spoken"
)

func validID(first17 string) string { return first17 + string(spoken.IDCheckDigit(first17)) }
func luhnNumber(d string) string    { return d + string(spoken.LuhnDigit(d)) }

// The contracts of the two maskers this one replaces (assistant's and search's query log) hold,
// and the inputs they disagreed on have one answer.
func TestMask(t *testing.T) {
	t.Parallel()
	id := validID("61010319700115123")
	idFemale := validID("61010319750320124")
	card := luhnNumber("622202123456789012")
	for _, tc := range []struct {
		name, in, want string
		kinds          []pii.Kind
	}{
		{"id", "我的身份证号是" + id + "，哪年退休", "我的身份证号是[身份证号]，哪年退休", []pii.Kind{pii.IDCard}},
		{"id with x", "身份证11010519491231002X", "身份证[身份证号]", []pii.Kind{pii.IDCard}},
		{"id lower x", "61010219900101123x", "[身份证号]", []pii.Kind{pii.IDCard}},
		{"id wrong check digit", "身份证610102199001011234查社保", "身份证[身份证号]查社保", []pii.Kind{pii.IDCard}},
		{"id old 15-digit form", "身份证610102530305001", "身份证[身份证号]", []pii.Kind{pii.IDCard}},
		{"id with dots", "610102.19530305.0019", "[身份证号]", []pii.Kind{pii.IDCard}},
		{"id spoken", "身份证六一零一零二一九五三零三零五零零一九", "身份证[身份证号]", []pii.Kind{pii.IDCard}},
		{"id spoken mixed", "六一0一0二19530305〇〇一九", "[身份证号]", []pii.Kind{pii.IDCard}},
		{"id spoken with 叉", "幺幺洞幺洞五幺九四九幺两三幺洞洞两叉", "[身份证号]", []pii.Kind{pii.IDCard}},
		{"mobile", "电话13812345678", "电话[手机号]", []pii.Kind{pii.Mobile}},
		{"mobile grouped", "打138 1234 5678找我", "打[手机号]找我", []pii.Kind{pii.Mobile}},
		{"mobile hyphenated", "138-1234-5678", "[手机号]", []pii.Kind{pii.Mobile}},
		{"mobile +86", "+8613812345678", "+[手机号]", []pii.Kind{pii.Mobile}},
		{"mobile full-width", "手机１３８１２３４５６７８", "手机[手机号]", []pii.Kind{pii.Mobile}},
		{"mobile spoken", "我电话是一三八一二三四五六七八", "我电话是[手机号]", []pii.Kind{pii.Mobile}},
		{"mobile spoken with 幺 and commas", "幺三八，幺二三四，五六七八", "[手机号]", []pii.Kind{pii.Mobile}},
		{"landline", "029-88886666", "[电话]", []pii.Kind{pii.Phone}},
		{"landline unbroken", "电话02912345678", "电话[电话]", []pii.Kind{pii.Phone}},
		{"landline with the area code in brackets", "(029)8888 6666、（0917）3216549", "([电话]、（[电话]", []pii.Kind{pii.Phone, pii.Phone}},
		{"local landline after a cue", "座机是8888 6666", "座机是[电话]", []pii.Kind{pii.Phone}},
		{"bank card", "卡号" + card, "卡号[银行卡号]", []pii.Kind{pii.BankCard}},
		{"bank card grouped", "卡号 " + card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:16] + " " + card[16:], "卡号 [银行卡号]", []pii.Kind{pii.BankCard}},
		{"bank card without Luhn", "卡号6222 0212 3456 7890 123", "卡号[银行卡号]", []pii.Kind{pii.BankCard}},
		{"11-digit number", "账号12345678901", "账号[号码]", []pii.Kind{pii.Number}},
		{"long unknown number", "编号123456789012345678901", "编号[号码]", []pii.Kind{pii.Number}},
		{"date beside a phone", "2025年1月1日打13812345678", "2025年1月1日打[手机号]", []pii.Kind{pii.Mobile}},
		{"name", "我叫张三，想问社保卡", "我叫[姓名]，想问社保卡", []pii.Kind{pii.Name}},
		{"name with colon", "姓名：李小明 电话13812345678", "姓名：[姓名] 电话[手机号]", []pii.Kind{pii.Mobile, pii.Name}},
		{"mother's name", "我妈叫王秀英想办退休", "我妈叫[姓名]想办退休", []pii.Kind{pii.Name}},
		{"hotline kept", "拨打12333咨询", "拨打12333咨询", nil},
		{"short number after a cue kept", "电话12333", "电话12333", nil},
		{"year and date kept", "1970年1月出生，2025-01-01生效", "1970年1月出生，2025-01-01生效", nil},
		{"amount kept", "补卡20元，15个工作日", "补卡20元，15个工作日", nil},
		{"spoken year kept", "一九七零年一月", "一九七零年一月", nil},
		{"list of years kept", "2023，2024，2025年的缴费基数", "2023，2024，2025年的缴费基数", nil},
		{"question about names kept", "姓名写错了怎么改", "姓名写错了怎么改", nil},
		{"unnamed name kept", "张三社保卡丢了", "张三社保卡丢了", nil},
		{"female id", "身份证" + idFemale, "身份证[身份证号]", []pii.Kind{pii.IDCard}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pii.Mask(tc.in)
			if got.Text != tc.want {
				t.Errorf("pii.Mask(%q) = %q, want %q", tc.in, got.Text, tc.want)
			}
			if strings.Join(kindsOf(got.Found), ",") != strings.Join(kindsOf(tc.kinds), ",") {
				t.Errorf("found %v, want %v", got.Found, tc.kinds)
			}
		})
	}
}

func kindsOf(ks []pii.Kind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

func TestMaskReadsBirthAndSex(t *testing.T) {
	t.Parallel()
	m := pii.Mask("身份证" + validID("61010319700115123"))
	if m.Birth.Year != 1970 || m.Birth.Month != 1 || m.Male == nil || !*m.Male {
		t.Errorf("birth %v male %v", m.Birth, m.Male)
	}
	m = pii.Mask("身份证" + validID("61010319750320124"))
	if m.Birth.Year != 1975 || m.Birth.Month != 3 || m.Male == nil || *m.Male {
		t.Errorf("birth %v male %v", m.Birth, m.Male)
	}
	if m := pii.Mask("身份证610102199001011234"); m.Male != nil || m.Birth.Valid() {
		t.Errorf("birth read from an ID number with a wrong check digit: %v", m.Birth)
	}
}

// contexts hold no digit characters, so any digit in the masked text is a leak.
var contexts = [][2]string{
	{"", ""},
	{"我的身份证号是", "，请帮我查社保"},
	{"电话", "，社保卡丢了怎么办"},
	{"姓名：李小明 卡号", " 养老金怎么领"},
	{"我想问问", "这个能办异地就医备案吗"},
}

// No generated personal number — valid ID numbers, mobiles, landlines and cards in Arabic,
// full-width or Chinese digits (幺, 两, 洞), with any separators, mixed — survives the masker.
// Deterministic: a fixed seed, run with every `go test`.
func TestMaskGeneratedNumbers(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(17, 18))
	for i := 0; i < 5000; i++ {
		s := piitest.Generate(rng)
		for _, c := range contexts {
			in := c[0] + s.Text + c[1]
			m := pii.Mask(in)
			if piitest.Leaked(m.Text) || len(m.Found) == 0 {
				t.Fatalf("%s %s written %q: pii.Mask(%q) = %q", s.Kind, s.Digits, s.Text, in, m.Text)
			}
			if again := pii.Mask(m.Text); again.Text != m.Text {
				t.Fatalf("not idempotent: %q → %q → %q", in, m.Text, again.Text)
			}
		}
	}
}

// FuzzMask: masking is idempotent on any text, and a generated personal number placed anywhere
// in it, between two characters that end a run of digits, never survives.
func FuzzMask(f *testing.F) {
	id := validID("61010319700115123")
	for i, s := range []string{"我的身份证号是" + id, "电话138 1234 5678", "卡号" + luhnNumber("622202123456789012"),
		"我叫张三", "拨打12333", "一三八一二三四五六七八", "+8613812345678", "1970年1月", "610102.19530305.0019",
		"六一0一0二19530305〇〇一九", "幺三八，幺二三四，五六七八", ""} {
		f.Add(s, uint64(i))
	}
	f.Fuzz(func(t *testing.T, in string, seed uint64) {
		m := pii.Mask(in)
		if again := pii.Mask(m.Text); again.Text != m.Text {
			t.Fatalf("not idempotent: %q → %q → %q", in, m.Text, again.Text)
		}
		s := piitest.Generate(rand.New(rand.NewPCG(seed, seed>>7)))
		cut := len(in) / 2
		for cut > 0 && (in[cut]&0xC0) == 0x80 {
			cut--
		}
		// "：" and "。" are neither digits nor separators, so the number is a run of its own.
		if out := pii.Mask("：" + s.Text + "。").Text; piitest.Leaked(out) {
			t.Fatalf("%s %s written %q survives: %q", s.Kind, s.Digits, s.Text, out)
		}
		text := in[:cut] + "：" + s.Text + "。" + in[cut:]
		if out := pii.Mask(text).Text; strings.Contains(out, "："+s.Text+"。") {
			t.Fatalf("%s %s left in %q", s.Kind, s.Text, out)
		}
	})
}
