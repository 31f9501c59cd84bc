package notify

import (
	"testing"

	"shebao/internal/event"
)

// TestStepText: every step status a person is told about has its kind, title and body, with the
// step's detail where the status has one; the person's own steps give no message.
func TestStepText(t *testing.T) {
	t.Parallel()
	type text struct {
		kind          Kind
		title, body   string
		urgent, shown bool
	}
	cases := []struct {
		status, guide, detail string
		want                  text
	}{
		{event.StatusAccepted, "退休申请", "", text{KindProgress, "申请已受理", "您办理的“退休申请”已受理，我们会尽快审核。", false, true}},
		{event.StatusAccepted, "", "任何说明", text{KindProgress, "申请已受理", "您办理的“您的申请”已受理，我们会尽快审核。", false, true}},
		{event.StatusNeedsSupplement, "退休申请", "", text{KindProgress, "需要补正材料", "您办理的“退休申请”需要补正材料。请尽快补充。", true, true}},
		{event.StatusNeedsSupplement, "退休申请", "缺少户口本", text{KindProgress, "需要补正材料", "您办理的“退休申请”需要补正材料：缺少户口本。请尽快补充。", true, true}},
		{event.StatusReviewing, "退休申请", "x", text{KindProgress, "申请审核中", "您办理的“退休申请”正在审核。", false, true}},
		{event.StatusCompleted, "退休申请", "x", text{KindProgress, "申请已办结", "您办理的“退休申请”已办结。", false, true}},
		{event.StatusRejected, "退休申请", "", text{KindProgress, "申请未予受理", "您办理的“退休申请”未予受理。如有疑问请拨打12333。", false, true}},
		{event.StatusRejected, "退休申请", "不符合条件", text{KindProgress, "申请未予受理", "您办理的“退休申请”未予受理，原因：不符合条件。如有疑问请拨打12333。", false, true}},
		{event.StatusBenefitPaid, "养老金", "", text{KindBenefit, "待遇已发放", "“养老金”相关待遇已发放。", false, true}},
		{event.StatusBenefitPaid, "养老金", "3月 2800元", text{KindBenefit, "待遇已发放", "“养老金”相关待遇已发放：3月 2800元。", false, true}},
		{event.StatusSubmitted, "退休申请", "", text{}},
		{event.StatusSupplementFiled, "退休申请", "x", text{}},
	}
	for _, c := range cases {
		var got text
		got.kind, got.title, got.body, got.urgent, got.shown = stepText(event.ApplicationStep{Status: c.status, GuideName: c.guide, Detail: c.detail})
		if got != c.want {
			t.Errorf("%s %q %q: got %+v, want %+v", c.status, c.guide, c.detail, got, c.want)
		}
	}
}
