package answer

import "testing"

// BenchmarkParse measures one typical spoken answer of each kind.
func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		kind Kind
		text string
	}{
		{YesNo, "嗯嗯，对，没问题"},
		{Number, "一千二百五"},
		{Money, "两千一百三十八元四角"},
		{Date, "五三年三月五号"},
		{Date, "上个月15号"},
		{Phone, "幺三八 幺二三四 五六七八"},
		{IDCard, "六一零一零二 一九五三零三零五 零零一九"},
		{BankCard, "六二一七 零零一二 三四五六 七八九三"},
		{Name, "我叫欧阳娜娜"},
		{Sex, "我是女的"},
	} {
		b.Run(string(c.kind)+"/"+c.text, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(c.kind, c.text, today); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	opts := []string{"失业保险金申领", "养老金领取资格认证", "社保卡挂失", "异地就医备案"}
	b.Run("choice/倒数第二个", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseChoice("倒数第二个", opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
