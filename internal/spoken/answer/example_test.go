package answer_test

import (
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/spoken/answer"
)

func ExampleParse() {
	today := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	for _, q := range []struct {
		kind answer.Kind
		said string
	}{
		{answer.Money, "两千一百三十八元四角"},
		{answer.Date, "上个月15号"},
		{answer.IDCard, "六一零一一三 一九八零零七一五 一二三 叉"},
		{answer.Number, "一千二，不对，一千三"},
		{answer.Date, "六五年"},
	} {
		v, err := answer.Parse(q.kind, q.said, today)
		if e, ok := apperr.As(err); ok {
			fmt.Println(e.Code, e.Message)
			continue
		}
		fmt.Println(v.Text)
	}
	// Output:
	// 2138.4
	// 2026-02-15
	// 61011319800715123X
	// 1300
	// date_year_only 只听到了年份，请说出几月（和几号）。
}

func ExampleParseChoice() {
	v, _ := answer.ParseChoice("倒数第二个", []string{"失业保险金申领", "社保卡挂失", "异地就医备案"})
	fmt.Println(v.Index, v.Text)
	// Output: 1 社保卡挂失
}
