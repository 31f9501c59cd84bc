package search

import (
	"context"
	"strings"
	"testing"
)

// TestSearchColloquial checks that everyday words for the guides' terms find the guide that
// uses the term: 瘫在床上 for 行动不便, 冒领 for 骗取, 假肢 for
// 辅助器具, 农合 for 城乡居民医保.
func TestSearchColloquial(t *testing.T) {
	t.Parallel()
	s := openSeeded(t, nil, seedGuides(t))
	tests := []struct{ q, first string }{
		{"我妈中风躺床上起不来，能不能请工作人员到家里来办", "上门服务"},
		{"老人瘫痪了出不了门，社保的事咋办", "上门服务"},
		{"有人冒领养老金会被罚多少", "资格认证"},
		{"工伤以后想换个假肢", "辅助器具"},
		{"老伤又犯了能报销不", "旧伤复发"},
		{"农合一年交多少", "城乡居民基本医疗保险"},
	}
	for _, tt := range tests {
		resp, err := s.Search(context.Background(), Request{Query: tt.q})
		if err != nil {
			t.Fatalf("%s: %v", tt.q, err)
		}
		if len(resp.Results) == 0 {
			t.Errorf("%s: no results", tt.q)
			continue
		}
		if got := resp.Results[0].Title; !strings.Contains(got, tt.first) {
			t.Errorf("%s: first %s, want %s", tt.q, got, tt.first)
		}
	}
}

// GuideTerms gives the guides' words for what people say of their case (岁数 → 年龄, 掏的钱 →
// 垫付, 补啥 → 补正), which the assistant reads a question's passages with.
func TestGuideTermsColloquial(t *testing.T) {
	t.Parallel()
	s := openEmpty(t, nil)
	pairs := map[string]bool{}
	for _, p := range s.GuideTerms("男的过了多大岁数，自己掏的钱几天能报，材料要补啥，决定多久送到手上，去乡上领钱，卡叫人摸走了，打哪个电话告他，领失业金那阵子，装个假腿，拿一笔钱走人") {
		pairs[p[0]+">"+p[1]] = true
	}
	for _, want := range []string{"男的>男性", "多大岁数>年龄", "自己掏>垫付", "补啥>补正", "送到手上>送达", "领钱>领取", "摸走>挂失", "告他>投诉", "那阵子>期间", "假腿>假肢", "一笔钱>一次性", "走人>解除劳动关系"} {
		if !pairs[want] {
			t.Errorf("GuideTerms: no %s in %v", want, pairs)
		}
	}
}
