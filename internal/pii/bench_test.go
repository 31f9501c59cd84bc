package pii_test

import (
	"testing"

	"shebao/internal/pii"
)

// benchInputs are chat messages and search queries as they come: most hold no personal data.
var benchInputs = []string{
	"养老金认证要带什么材料", "社保卡丢了怎么办，我一九七零年一月出生的", "异地就医备案要多久", "七零年一月出生的男的啥时候退休",
	"我叫张三，身份证610103197001151230，电话138 1234 5678，社保卡丢了怎么办", "幺三八幺二三四五六七八 补办社保卡要多少钱",
	"拨打12333咨询，补卡20元，15个工作日", "shebaoka guashi",
}

func BenchmarkMask(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = pii.Mask(benchInputs[i%len(benchInputs)])
	}
}

// A search query without personal data: the common case, masked on every search.
func BenchmarkMaskPlainQuery(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = pii.Mask("社保卡丢了怎么补办")
	}
}
