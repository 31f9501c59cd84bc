package assistant

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// speakRows are Speakable's rules, each as a table of input and spoken form.
var speakRows = []struct{ rule, in, want string }{
	{"digit strings", "请拨打12333。", "请拨打幺二三三三。"},
	{"digit strings", "电话13812345678。", "电话幺三八，幺二三四，五六七八。"},
	{"digit strings", "拨打029-88886666。", "拨打零二九，八八八八，六六六六。"},
	{"digit strings", "号码02988886666", "号码零二九，八八八八，六六六六"},
	{"digit strings", "身份证号610102195303050019", "身份证号六幺零幺零二，幺九五三零三零五，零零幺九"},
	{"digit strings", "身份证号11010519491231002X", "身份证号幺幺零幺零五，幺九四九幺二三幺，零零二叉"},
	{"money", "每月领2138.4元。", "每月领两千一百三十八元四角。"},
	{"money", "工本费每张20元。", "工本费每张二十元。"},
	{"money", "补助2元", "补助两元"},
	{"money", "延迟1800元", "延迟一千八百元"},
	{"money", "共计1,234.56元", "共计一千二百三十四元五角六分"},
	{"money", "收费0.5元", "收费五角"},
	{"money", "¥300", "三百"},
	{"money", "300块钱", "三百元"},
	{"dates", "1953年3月出生", "一九五三年三月出生"},
	{"dates", "2031年5月退休。", "二零三一年五月退休。"},
	{"dates", "2026-03-15起施行", "二零二六年三月十五日起施行"},
	{"dates", "每年2月", "每年二月"},
	{"counts", "累计缴费139个月", "累计缴费一百三十九个月"},
	{"counts", "法定退休年龄是61岁4个月。", "法定退休年龄是六十一岁四个月。"},
	{"counts", "原件1份；复印件2份。", "原件一份。复印件两份。"},
	{"counts", "共105项", "共一百零五项"},
	{"counts", "最低缴费年限15.5年。", "最低缴费年限十五点五年。"},
	{"counts", "比例8%。", "比例百分之八。"},
	{"counts", "3-5个工作日", "三到五个工作日"},
	{"counts", "服务10000人", "服务一万人"},
	{"counts", "上午9:00-12:00，下午14:30-17:00。", "上午九点到十二点，下午十四点半到十七点。"},
	{"symbols, links, abbreviations", "打开陕西社会保险App→待遇资格认证。", "打开陕西社会保险手机应用里的待遇资格认证。"},
	{"symbols, links, abbreviations", "国家社会保险公共服务平台（si.12333.gov.cn）。", "国家社会保险公共服务平台。"},
	{"symbols, links, abbreviations", "详见https://example.com/a?b=1", "详见"},
	{"symbols, links, abbreviations", "下载PDF表格", "下载电子文件表格"},
	{"symbols, links, abbreviations", "做B超检查", "做B超检查"},
	{"symbols, links, abbreviations", "登录“掌上12333”【首页】", "登录掌上幺二三三三，首页"},
	{"symbols, links, abbreviations", "满60周岁&缴满15年", "满六十周岁和缴满十五年"},
	{"symbols, links, abbreviations", "用微信or支付宝", "用微信支付宝"},
	{"symbols, links, abbreviations", "≥15年", "不少于十五年"},
}

func TestSpeakable(t *testing.T) {
	t.Parallel()
	for _, c := range speakRows {
		if got := Speakable(c.in); got != c.want {
			t.Errorf("%s: Speakable(%q) = %q, want %q", c.rule, c.in, got, c.want)
		}
	}
}

// TestSpeakableStripsSymbolsAndLatin: what no rule names is dropped, not read out.
func TestSpeakableStripsSymbolsAndLatin(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"（见第3条）【注意】<b>*#@", "电子社保卡(ESSC)在App里"} {
		got := Speakable(in)
		if strings.ContainsAny(got, "()（）【】<>*#@[]{}→/") || strings.ContainsFunc(got, func(r rune) bool { return r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
			t.Errorf("Speakable(%q) = %q keeps symbols or Latin", in, got)
		}
	}
}

func TestSpeakableShortSentences(t *testing.T) {
	t.Parallel()
	long := "办理社会保障卡挂失，可以通过陕西社会保险手机应用办理，也可以到社保卡服务网点办理，还可以拨打服务电话办理。"
	got := Speakable(long)
	for _, s := range splitSentences(got) {
		if n := utf8.RuneCountInString(s); n > MaxSpokenSentence {
			t.Errorf("sentence of %d characters: %q", n, s)
		}
	}
	if strings.ReplaceAll(strings.ReplaceAll(got, "。", ""), "，", "") != strings.ReplaceAll(strings.ReplaceAll(long, "。", ""), "，", "") {
		t.Errorf("cutting changed the words: %q", got)
	}
	if n := len(splitSentences(got)); n < 2 {
		t.Errorf("long sentence not cut: %q", got)
	}
	short := "请带上身份证。"
	if Speakable(short) != short {
		t.Errorf("short sentence changed: %q", Speakable(short))
	}
	noComma := strings.Repeat("社", 90) + "。"
	for _, s := range splitSentences(Speakable(noComma)) {
		if n := utf8.RuneCountInString(s); n > MaxSpokenSentence {
			t.Errorf("uncut sentence of %d characters", n)
		}
	}
}
