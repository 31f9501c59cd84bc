package content

import (
	"strings"
	"testing"
)

func TestDiffGuides(t *testing.T) {
	base := testGuide("D-1", "原名")
	base.Steps = []Step{{Title: "申请"}, {Title: "受理"}, {Title: "办结"}}
	cases := []struct {
		name   string
		change func(g *Guide)
		want   []string // element/op, in order
	}{
		{"identical", func(g *Guide) {}, nil},
		{"scalar changed", func(g *Guide) { g.Summary = "新简述" }, []string{"简述/changed"}},
		{"item inserted in the middle", func(g *Guide) {
			g.Steps = []Step{{Title: "申请"}, {Title: "审核"}, {Title: "受理"}, {Title: "办结"}}
		}, []string{"办理流程 第2项/added"}},
		{"item removed", func(g *Guide) { g.Steps = []Step{{Title: "申请"}, {Title: "办结"}} }, []string{"办理流程 原第2项/removed"}},
		{"item edited", func(g *Guide) {
			g.Steps = []Step{{Title: "申请"}, {Title: "受理", Detail: "5个工作日"}, {Title: "办结"}}
		},
			[]string{"办理流程 第2项/changed"}},
		{"category and visits", func(g *Guide) { g.Category = CategoryMedical; g.Visits = 3 }, []string{"险种类别/changed", "到现场次数/changed"}},
		{"faq added", func(g *Guide) { g.FAQ = append(g.FAQ, QA{Q: "问", A: "答"}) }, []string{"常见问题 第"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := base
			g.Steps = append([]Step{}, base.Steps...)
			g.FAQ = append([]QA{}, base.FAQ...)
			tc.change(&g)
			cs := DiffGuides(base, g)
			var got []string
			for _, c := range cs {
				got = append(got, c.Element+"/"+c.Op)
			}
			if tc.name == "faq added" {
				if len(cs) != 1 || !strings.HasPrefix(cs[0].Element, "常见问题 第") || cs[0].After != "问：问 答：答" {
					t.Fatalf("%+v", cs)
				}
				return
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	cs := DiffGuides(base, func() Guide { g := base; g.Category = CategoryMedical; return g }())
	if cs[0].Before != "养老（pension）" || cs[0].After != "医疗（medical）" {
		t.Errorf("readable values: %+v", cs[0])
	}
}
