package content

import (
	"fmt"
	"regexp"
	"strings"

	"shebao/internal/spoken"
)

// codePattern is what a 事项编码 may look like: ASCII letters, digits, '-' and '_', at most 64.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidCode reports whether s is a well-formed guide code.
func ValidCode(s string) bool { return codePattern.MatchString(s) }

// Problem is one thing wrong with a guide, naming the element in Chinese.
type Problem struct {
	Field   string `json:"field"`   // machine name of the element, e.g. "materials[2].name"
	Element string `json:"element"` // Chinese name of the element, e.g. 申请材料
	Message string `json:"message"` // Chinese explanation
}

// String renders the problem for a one-line message.
func (p Problem) String() string { return p.Element + "（" + p.Field + "）：" + p.Message }

// ValidationError lists every problem found in one guide.
type ValidationError struct {
	Code     string    // the guide's code, if it has one
	Problems []Problem // never empty
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("事项 %s 校验未通过：%s", e.Code, strings.Join(parts, "；"))
}

// Validate checks that g carries every required standard element and that enumerated values are
// known. It returns a *ValidationError listing every problem, or nil.
func Validate(g *Guide) error {
	var ps []Problem
	add := func(field, element, msg string) { ps = append(ps, Problem{field, element, msg}) }
	blank := spoken.IsBlank
	need := func(s, field, element string) {
		if blank(s) {
			add(field, element, "不能为空")
		}
	}
	some := func(n int, field, element, what string) {
		if n == 0 {
			add(field, element, "至少填写"+what)
		}
	}

	switch {
	case blank(g.Code):
		add("code", "事项编码", "不能为空")
	case !ValidCode(g.Code):
		add("code", "事项编码", "只能包含字母、数字、“-”和“_”，且不超过64个字符")
	}
	need(g.Name, "name", "事项名称")
	if len([]rune(g.Name)) > 100 {
		add("name", "事项名称", "不能超过100个字")
	}
	if !g.Category.Valid() {
		add("category", "险种类别", "必须是 pension、medical、injury、unemployment、maternity、card、general 之一")
	}
	some(len(g.Audience), "audience", "服务对象", "一项（person 个人 或 employer 单位）")
	for i, a := range g.Audience {
		if a.Name() == "" {
			add(fmt.Sprintf("audience[%d]", i), "服务对象", "必须是 person 或 employer")
		}
	}
	need(g.Region, "region", "地区")
	need(g.ItemType, "item_type", "事项类型")
	need(g.Summary, "summary", "简述")
	some(len(g.Basis), "basis", "设定依据", "一项")
	for i, b := range g.Basis {
		need(b.Law, fmt.Sprintf("basis[%d].law", i), "设定依据")
	}
	some(len(g.Conditions), "conditions", "受理条件", "一项")
	for i, c := range g.Conditions {
		need(c, fmt.Sprintf("conditions[%d]", i), "受理条件")
	}
	some(len(g.Materials), "materials", "申请材料", "一项")
	for i, m := range g.Materials {
		f := fmt.Sprintf("materials[%d]", i)
		need(m.Name, f+".name", "申请材料名称")
		need(m.Form, f+".form", "申请材料形式（原件/复印件）")
		need(m.Source, f+".source", "申请材料来源")
		if m.Copies < 0 {
			add(f+".copies", "申请材料份数", "不能为负数")
		}
	}
	some(len(g.Steps), "steps", "办理流程", "一个步骤")
	for i, s := range g.Steps {
		need(s.Title, fmt.Sprintf("steps[%d].title", i), "办理流程步骤")
	}
	some(len(g.Channels), "channels", "办理方式", "一种")
	for i, c := range g.Channels {
		f := fmt.Sprintf("channels[%d]", i)
		if c.Type.Name() == "" {
			add(f+".type", "办理方式", "必须是 window、online、mobile、kiosk、mail 之一")
		}
		need(c.Where, f+".where", "办理渠道")
	}
	some(len(g.Locations), "locations", "办理地点与时间", "一处")
	for i, l := range g.Locations {
		f := fmt.Sprintf("locations[%d]", i)
		need(l.Name, f+".name", "办理地点")
		need(l.Hours, f+".hours", "办理时间")
	}
	need(g.TimeLimit.Statutory, "time_limit.statutory", "法定时限")
	need(g.TimeLimit.Promised, "time_limit.promised", "承诺时限")
	if g.Visits < 0 {
		add("visits", "到现场次数", "不能为负数")
	}
	need(g.Fee.Standard, "fee.standard", "收费标准")
	need(g.Delivery, "delivery", "结果送达")
	need(g.Phone, "phone", "咨询电话")
	need(g.Complaint, "complaint", "监督投诉渠道")
	for i, q := range g.FAQ {
		need(q.Q, fmt.Sprintf("faq[%d].q", i), "常见问题")
		need(q.A, fmt.Sprintf("faq[%d].a", i), "常见问题解答")
	}
	for i, r := range g.Related {
		if !ValidCode(r) {
			add(fmt.Sprintf("related[%d]", i), "相关事项", "事项编码格式不正确")
		}
	}
	for i, v := range g.Variants {
		need(v.City, fmt.Sprintf("variants[%d].city", i), "地市")
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Code: g.Code, Problems: ps}
}
