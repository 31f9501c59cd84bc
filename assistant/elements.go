package assistant

import (
	"fmt"
	"strings"

	"shebao/content"
)

// Element is the key of one standard element of a guide, as used in citations.
type Element string

// The elements an answer can cite.
const (
	ElemSummary    Element = "summary"
	ElemConditions Element = "conditions"
	ElemMaterials  Element = "materials"
	ElemSteps      Element = "steps"
	ElemChannels   Element = "channels"
	ElemLocations  Element = "locations"
	ElemTimeLimit  Element = "time_limit"
	ElemVisits     Element = "visits"
	ElemFee        Element = "fee"
	ElemDelivery   Element = "delivery"
	ElemPhone      Element = "phone"
	ElemComplaint  Element = "complaint"
	ElemBasis      Element = "basis"
	ElemFAQ        Element = "faq"
	// ElemDecision cites the retirement-age decision computed by internal/retirement.
	ElemDecision Element = "decision"
)

// Elements lists every element key with its Chinese name, in the order of a guide.
var Elements = []Element{ElemSummary, ElemConditions, ElemMaterials, ElemSteps, ElemChannels,
	ElemLocations, ElemTimeLimit, ElemVisits, ElemFee, ElemDelivery, ElemPhone, ElemComplaint,
	ElemBasis, ElemFAQ}

var elementLabels = map[Element]string{
	ElemSummary: "简述", ElemConditions: "受理条件", ElemMaterials: "申请材料", ElemSteps: "办理流程",
	ElemChannels: "办理方式", ElemLocations: "办理地点和时间", ElemTimeLimit: "办理时限", ElemVisits: "到现场次数",
	ElemFee: "收费标准", ElemDelivery: "结果送达", ElemPhone: "咨询电话", ElemComplaint: "监督投诉渠道",
	ElemBasis: "设定依据", ElemFAQ: "常见问题", ElemDecision: "退休年龄测算",
}

// Label returns the Chinese name of the element, or "" for an unknown key.
func (e Element) Label() string { return elementLabels[e] }

// Valid reports whether e names an element.
func (e Element) Valid() bool { _, ok := elementLabels[e]; return ok && e != ElemDecision }

// ElementText renders one element of g as plain sentences: the text an answer about that
// element may draw from, the text quoted to a model, and the source of the number check.
func ElementText(g *content.Guide, e Element) string {
	var b strings.Builder
	switch e {
	case ElemSummary:
		b.WriteString(sentence(g.Summary))
	case ElemConditions:
		for _, c := range g.Conditions {
			b.WriteString(sentence(c))
		}
	case ElemMaterials:
		for _, m := range g.Materials {
			b.WriteString(materialText(m) + "。")
		}
	case ElemSteps:
		for _, s := range g.Steps {
			b.WriteString(strings.TrimSpace(s.Title) + "：" + sentence(s.Detail))
		}
	case ElemChannels:
		for _, c := range g.Channels {
			b.WriteString(c.Type.Name() + "：" + sentence(c.Where))
		}
	case ElemLocations:
		for _, l := range g.Locations {
			b.WriteString(locationText(l) + "。")
		}
		for _, v := range g.Variants {
			if strings.TrimSpace(v.Note) != "" {
				b.WriteString(v.City + "：" + sentence(v.Note)) // a city's own rule
			}
		}
	case ElemTimeLimit:
		fmt.Fprintf(&b, "法定时限：%s。承诺时限：%s。", trimStop(g.TimeLimit.Statutory), trimStop(g.TimeLimit.Promised))
	case ElemVisits:
		if g.Visits == 0 {
			b.WriteString("到现场次数：0次，不用跑现场。")
		} else {
			fmt.Fprintf(&b, "到现场次数：最多%d次。", g.Visits)
		}
	case ElemFee:
		b.WriteString(sentence(g.Fee.Standard))
		if g.Fee.Basis != "" {
			b.WriteString("收费依据：" + sentence(g.Fee.Basis))
		}
	case ElemDelivery:
		b.WriteString(sentence(g.Delivery))
	case ElemPhone:
		b.WriteString("咨询电话：" + sentence(g.Phone))
	case ElemComplaint:
		b.WriteString("监督投诉：" + sentence(g.Complaint))
	case ElemBasis:
		for _, bs := range g.Basis {
			b.WriteString(bs.Law + bs.Article)
			if bs.Text != "" {
				b.WriteString("：" + sentence(bs.Text))
			} else {
				b.WriteString("。")
			}
		}
	case ElemFAQ:
		for _, q := range g.FAQ {
			b.WriteString("问：" + sentence(q.Q) + "答：" + sentence(q.A))
		}
	}
	return b.String()
}

func materialText(m content.Material) string {
	s := strings.TrimSpace(m.Name)
	if m.Waived {
		note := trimStop(m.WaivedNote)
		if note == "" {
			note = "无需提交"
		}
		return s + "（" + note + "）"
	}
	var spec string
	if m.Form != "" && m.Form != "无" {
		spec = m.Form
	}
	if m.Copies > 0 {
		spec += fmt.Sprintf("%d份", m.Copies)
	}
	if spec != "" {
		s += "，" + spec
	}
	if m.Note != "" {
		s += "（" + trimStop(m.Note) + "）"
	}
	return s
}

func locationText(l content.Location) string {
	s := strings.TrimSpace(l.Name)
	if l.Address != "" {
		s += "，地址：" + trimStop(l.Address)
	}
	if l.Hours != "" {
		s += "，办公时间：" + trimStop(l.Hours)
	}
	return s
}

// sentence trims s and ends it with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.HasSuffix(s, "。") || strings.HasSuffix(s, "！") || strings.HasSuffix(s, "？") {
		return s
	}
	return s + "。"
}

// trimStop removes a final full stop or semicolon so that s can be embedded in a sentence.
func trimStop(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"。", "；", ";", "."} {
		s = strings.TrimSuffix(s, p)
	}
	return s
}

// elementCues are the words that show which element a question is about, checked in order.
// Strong cues name the element; weak cues ("需要什么", "怎么办") only count when no strong cue
// is present.
var elementCues = []struct {
	e            Element
	strong, weak []string
}{
	{ElemFee, []string{"收费", "收不收费", "手续费", "多少钱", "要钱", "花钱", "免费", "收钱", "工本费", "付费", "贵不贵", "花多少", "掏多少", "收多少", "要不要钱"}, nil},
	{ElemVisits, []string{"跑几次", "跑几趟", "去几次", "跑一趟", "要跑", "用跑", "几趟", "跑几回", "去几回", "跑几遍"}, nil},
	{ElemTimeLimit, []string{"多久", "多长时间", "几天", "时限", "多少天", "几个工作日", "要等", "办结", "多快", "啥时候能", "什么时候能", "什么时候到", "啥时候到", "要多少时间", "需要多少时间", "时间要多长", "多会儿", "多少日子"}, nil},
	{ElemConditions, []string{"条件", "符合", "资格", "谁可以", "哪些人", "什么人", "要求", "能不能办", "能办吗", "可以办吗", "够不够", "满足", "够格", "啥人能", "谁能"}, nil},
	{ElemMaterials, []string{"材料", "带什么", "带啥", "准备什么", "准备啥", "要什么证件", "证件", "资料", "提交什么", "要带", "拿什么", "带些", "带哪些", "拿啥", "准备些"}, []string{"需要什么", "需要啥", "要啥"}},
	{ElemPhone, []string{"电话", "热线", "打哪个", "号码是", "联系方式"}, nil},
	{ElemLocations, []string{"在哪", "哪里", "哪儿", "地址", "地点", "去哪", "几点", "上班时间", "办公时间", "营业时间", "周末", "大厅", "上哪", "哪搭", "哪达", "啥地方", "什么地方"}, nil},
	{ElemChannels, []string{"网上", "手机上", "线上", "App", "app", "APP", "在手机", "渠道", "办理方式", "小程序", "不用去", "不出门", "掌上"}, nil},
	{ElemSteps, []string{"流程", "步骤", "程序", "怎么申请", "怎么操作", "怎么领", "如何申请", "如何领", "咋申请", "咋领", "咋办理", "咋操作"}, []string{"怎么办", "怎么弄", "咋办", "咋弄", "咋整", "怎么处理", "怎么搞", "如何", "怎么", "办理"}},
	{ElemDelivery, []string{"结果", "怎么拿到", "寄", "送达", "到账", "怎么通知"}, nil},
	{ElemBasis, []string{"依据", "政策", "规定", "法律", "哪条"}, nil},
	{ElemComplaint, []string{"投诉", "举报", "意见", "不满意"}, nil},
}

// DetectElements returns the elements a question asks about, at most two, in the order of
// elementCues. It returns nil when no cue is present.
func DetectElements(q string) []Element {
	var out []Element
	for _, weak := range []bool{false, true} {
		for _, ec := range elementCues {
			cues := ec.strong
			if weak {
				cues = ec.weak
			}
			for _, c := range cues {
				if strings.Contains(q, c) {
					out = append(out, ec.e)
					break
				}
			}
			if len(out) == 2 {
				return out
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return out
}
