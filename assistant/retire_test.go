package assistant

import (
	"strings"
	"testing"
	"time"

	"shebao/internal/beijing"
	policy "shebao/internal/retirement"
)

var testNow = time.Date(2026, 3, 15, 10, 0, 0, 0, beijing.Location())

func TestParseRetirementFacts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want RetirementFacts
	}{
		{"我哪年退休", RetirementFacts{Ask: AskWhen}},
		{"七零年一月出生的男的啥时候退休", RetirementFacts{Ask: AskWhen, Sex: "male", Category: policy.Male, Year: 1970, Month: 1}},
		{"1970年1月出生，男职工，什么时候退休", RetirementFacts{Ask: AskWhen, Sex: "male", Category: policy.Male, Year: 1970, Month: 1}},
		{"我70年的，男，几岁退休", RetirementFacts{Ask: AskWhen, Sex: "male", Category: policy.Male, Year: 1970}},
		{"六八年的", RetirementFacts{Year: 1968}},
		{"五三年三月", RetirementFacts{Year: 1953, Month: 3}},
		{"一九七五年十二月", RetirementFacts{Year: 1975, Month: 12}},
		{"1975.6出生", RetirementFacts{Year: 1975, Month: 6}},
		{"我妈以前是工人五十退休", RetirementFacts{Ask: AskWhen, Sex: "female", Category: policy.Female50, Signal: "50"}},
		{"我是女干部，七五年的，哪年退休", RetirementFacts{Ask: AskWhen, Sex: "female", Category: policy.Female55, Signal: "55", Year: 1975}},
		{"我是女的，78年3月生，什么时候退休", RetirementFacts{Ask: AskWhen, Sex: "female", Year: 1978, Month: 3}},
		{"女，管理岗，1980年5月", RetirementFacts{Sex: "female", Category: policy.Female55, Signal: "55", Year: 1980, Month: 5}},
		{"我是工人，哪年退休", RetirementFacts{Ask: AskWhen, Signal: "50"}},
		{"男的，干部", RetirementFacts{Sex: "male", Category: policy.Male, Signal: "55"}},
		{"我五十五岁退休的话", RetirementFacts{Ask: AskWhen, Sex: "female", Category: policy.Female55, Signal: "55"}},
		{"女的，原来55退休，现在啥时候退", RetirementFacts{Ask: AskWhen, Sex: "female", Category: policy.Female55, Signal: "55"}},
		{"能提前退休吗", RetirementFacts{Ask: AskEarly}},
		{"要交多少年", RetirementFacts{Ask: AskMinYears}},
		{"我交了15年能退休吗", RetirementFacts{Ask: AskWhen}},
		{"2030年以后退休要交几年", RetirementFacts{Ask: AskMinYears}},
	} {
		got := ParseRetirementFacts(tc.in, testNow)
		if got != tc.want {
			t.Errorf("ParseRetirementFacts(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestIsRetirementQuestion(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"我哪年退休": true,
		"七零年一月出生的男的啥时候退休": true,
		"能提前退休吗":          true,
		"要交多少年":           true,
		"最低缴费年限是多少":       true,
		"我妈以前是工人五十退休":     true,
		"退休手续怎么办":         false,
		"退休金多久能到账":        false,
		"六八年的":            false,
		"社保卡丢了怎么办":        false,
		"办完退休多久能领到钱":      false,
		"延迟退休以后我几岁退休":     true,
		"我交了几年社保":         false,
		// the retirement age told as reached is not asked
		"俺到了退休年龄社保才交了12年，剩下的能一次交够不": false,
		"退休年龄到了还差三年，能接着交不":          false,
		"我到了退休年龄了吗":                 true,
	} {
		if got := IsRetirementQuestion(in); got != want {
			t.Errorf("IsRetirementQuestion(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAnswerRetirement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		facts   RetirementFacts
		want    []string // substrings of the text
		pending bool
	}{
		{"male 1970-01", RetirementFacts{Ask: AskWhen, Category: policy.Male, Year: 1970, Month: 1},
			[]string{"男职工", "61岁4个月", "2031年5月退休", "延迟了16个月", "2030年1月", "2034年5月", "16年"}, false},
		{"female50 1975-03", RetirementFacts{Ask: AskWhen, Category: policy.Female50, Year: 1975, Month: 3},
			[]string{"50岁2个月", "2025年5月退休"}, false},
		{"before the reform", RetirementFacts{Ask: AskWhen, Category: policy.Male, Year: 1953, Month: 3},
			[]string{"60岁", "2013年3月退休", "不延迟"}, false},
		{"nothing known", RetirementFacts{Ask: AskWhen}, []string{"哪年哪月出生", "男职工还是女职工"}, true},
		{"woman without 50 or 55", RetirementFacts{Ask: AskWhen, Sex: "female", Year: 1975, Month: 1}, []string{"五十岁", "五十五岁"}, true},
		{"month matters", RetirementFacts{Ask: AskWhen, Category: policy.Male, Year: 1968}, []string{"几月出生"}, true},
		{"month does not matter (capped)", RetirementFacts{Ask: AskWhen, Category: policy.Male, Year: 1980}, []string{"63岁", "2043年"}, false},
		{"month does not matter (before reform)", RetirementFacts{Ask: AskWhen, Category: policy.Male, Year: 1960}, []string{"60岁", "2020年"}, false},
		{"early, general", RetirementFacts{Ask: AskEarly}, []string{"弹性提前退休", "三年"}, true},
		{"early, known", RetirementFacts{Ask: AskEarly, Category: policy.Male, Year: 1970, Month: 1}, []string{"2030年1月提前退休"}, false},
		{"min years, general", RetirementFacts{Ask: AskMinYears}, []string{"十五年", "二十年"}, true},
		{"min years, known", RetirementFacts{Ask: AskMinYears, Category: policy.Male, Year: 1970, Month: 1}, []string{"2031年5月退休", "16年"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := answerRetirement(tc.facts, testNow)
			mustContain(t, r.text, tc.want...)
			if (r.pending != nil) != tc.pending {
				t.Errorf("pending = %v, want %v", r.pending != nil, tc.pending)
			}
			if strings.Count(r.text, "？") > 1 {
				t.Errorf("asks more than one question: %q", r.text)
			}
			// Every figure said is a computed figure or in a provision.
			if c := CheckNumbers(r.text, r.sources...); !c.OK() {
				t.Errorf("unsourced figures %v in %q", figureTexts(c.Unsourced), r.text)
			}
		})
	}
}
