package assistant

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	policy "shebao/internal/retirement"
)

// spokenYear says a year the way people do: "七零年" for 1970, or the full digits.
func spokenYear(y int, short bool) string {
	digits := []rune("零一二三四五六七八九")
	if short {
		return string(digits[y/10%10]) + string(digits[y%10]) + "年"
	}
	return fmt.Sprintf("%d年", y)
}

// TestChatRetirementAgreesWithRule asks the chat, in several spoken forms, about a few hundred
// random birth months and checks the answer states exactly what the rule computes.
func TestChatRetirementAgreesWithRule(t *testing.T) {
	t.Parallel()
	s, _ := testService(t, nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	type form struct {
		cat  policy.Category
		text func(y, m int) string
	}
	months := []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"}
	forms := []form{
		{policy.Male, func(y, m int) string { return fmt.Sprintf("我是男的，%d年%d月出生，哪年退休", y, m) }},
		{policy.Male, func(y, m int) string {
			return fmt.Sprintf("男职工%s%s月生的什么时候退休", spokenYear(y, true), months[m-1])
		}},
		{policy.Female50, func(y, m int) string {
			return fmt.Sprintf("我妈以前是工人五十退休，%s%d月出生，她啥时候退休", spokenYear(y, false), m)
		}},
		{policy.Female55, func(y, m int) string {
			return fmt.Sprintf("我是女干部，原来五十五岁退休，%d年%d月出生，哪年能退休", y, m)
		}},
	}
	for i := 0; i < 240; i++ {
		f := forms[i%len(forms)]
		y, m := 1950+rng.IntN(50), 1+rng.IntN(12)
		q := f.text(y, m)
		want, err := policy.Compute(f.cat, policy.YearMonth{Year: y, Month: m})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Answer(ctx, "", q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if a.Route != RouteRetirement || a.Asks {
			t.Fatalf("%s: route %s asks=%v: %s", q, a.Route, a.Asks, a.Text)
		}
		for _, w := range []string{want.RetirementAge.Text(), want.RetirementMonth.Text()} {
			if !strings.Contains(a.Text, w) {
				t.Fatalf("%s (%s %d-%02d): answer lacks %q: %s", q, f.cat, y, m, w, a.Text)
			}
		}
	}
}
