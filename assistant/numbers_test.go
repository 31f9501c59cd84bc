package assistant

import (
	"strings"
	"testing"
)

func figureStrings(fs []Figure) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Value+f.Unit)
	}
	return strings.Join(parts, " ")
}

func TestFigures(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"承诺时限是10个工作日":         "10工作日",
		"十五个工作日内办结":           "15工作日",
		"从2025年1月1日起":         "2025年 1月 1日",
		"延迟至六十三周岁":            "63岁",
		"61岁4个月，2031年5月退休":    "61岁 4月 2031年 5月",
		"补领工本费每张20元":          "20元",
		"百分之八":                "8%",
		"比例为8%":               "8%",
		"上午9:00-12:00":        "9:00time 12:00time",
		"拨打12333":             "12333",
		"最低缴费年限15.5年":         "15.5年",
		"依据第三十二条，第一步":         "",
		"统一办理，一次性告知，一个人":      "",
		"每年认证一次":              "1次",
		"有两种方式":               "",
		"最多跑1次":               "1次",
		"居民身份证，原件1份":          "1份",
		"转出地和转入地各15个工作日":      "15工作日",
		"领取12个月":              "12月",
		"最长为二十四个月":            "24月",
		"请拨打12333，也可以拨打12356": "12333 12356",
		"支付比例降低20个百分点":        "20百分点",
		"48小时之内经抢救无效死亡":       "48小时",
	} {
		if got := figureStrings(Figures(in)); got != want {
			t.Errorf("Figures(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckNumbers(t *testing.T) {
	t.Parallel()
	source := "法定时限：20个工作日。承诺时限：10个工作日。咨询电话：12333。"
	for _, tc := range []struct {
		name, answer, want string
		dropped            int
	}{
		{"all sourced", "承诺10个工作日办结，法定时限20个工作日。", "承诺10个工作日办结，法定时限20个工作日。", 0},
		{"chinese numerals match digits", "一般十个工作日办好。", "一般十个工作日办好。", 0},
		{"invented duration dropped", "承诺10个工作日办结。加急的话3天就能办好。", "承诺10个工作日办结。", 1},
		{"invented amount dropped", "不收费。如需邮寄，要付15元快递费。有问题打12333。", "不收费。有问题打12333。", 1},
		{"unit mismatch dropped", "需要10个月。", "", 1},
		{"no figures", "可以在手机上办理。", "可以在手机上办理。", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckNumbers(tc.answer, source)
			if got.Text != tc.want || len(got.Dropped) != tc.dropped {
				t.Errorf("CheckNumbers(%q) = %q dropped %v, want %q dropped %d", tc.answer, got.Text, got.Dropped, tc.want, tc.dropped)
			}
			if got.OK() != (tc.dropped == 0) {
				t.Errorf("OK() = %v", got.OK())
			}
		})
	}
}

func TestSplitSentences(t *testing.T) {
	t.Parallel()
	got := splitSentences("先打开App，选择“认证”。然后刷脸；最后看结果")
	want := []string{"先打开App，选择“认证”。", "然后刷脸；", "最后看结果"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
}
