package content

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Change is one difference between two versions, element by element and, for list elements,
// item by item, named in Chinese so that a reviewer can read it without knowing the schema.
type Change struct {
	Field   string `json:"field"`   // machine path, e.g. "materials[2]" or "summary"
	Element string `json:"element"` // e.g. "申请材料 第3项"
	Op      string `json:"op"`      // added, removed or changed
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
}

// The operations of a Change.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// VersionDiff is the difference between two versions of one document.
type VersionDiff struct {
	Kind    Kind     `json:"kind"`
	Code    string   `json:"code"`
	From    int      `json:"from"`
	To      int      `json:"to"`
	Changes []Change `json:"changes"`
}

// element is one comparable element of a document: a scalar (one item) or a list.
type element[T any] struct {
	field string
	name  string
	list  bool
	items func(*T) []string
}

func one(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return []string{s}
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func mapItems[E any](xs []E, f func(E) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

var guideElements = []element[Guide]{
	{"name", "事项名称", false, func(g *Guide) []string { return one(g.Name) }},
	{"aliases", "别名", true, func(g *Guide) []string { return g.Aliases }},
	{"category", "险种类别", false, func(g *Guide) []string {
		if g.Category == "" {
			return nil
		}
		return []string{joinNonEmpty("", g.Category.Name(), "（"+string(g.Category)+"）")}
	}},
	{"audience", "服务对象", false, func(g *Guide) []string {
		return one(strings.Join(mapItems(g.Audience, func(a Audience) string {
			if a.Name() == "" {
				return string(a)
			}
			return a.Name()
		}), "、"))
	}},
	{"region", "地区", false, func(g *Guide) []string { return one(g.Region) }},
	{"item_type", "事项类型", false, func(g *Guide) []string { return one(g.ItemType) }},
	{"summary", "简述", false, func(g *Guide) []string { return one(g.Summary) }},
	{"basis", "设定依据", true, func(g *Guide) []string {
		return mapItems(g.Basis, func(b Basis) string { return joinNonEmpty("：", b.Law+b.Article, b.Text) })
	}},
	{"conditions", "受理条件", true, func(g *Guide) []string { return g.Conditions }},
	{"materials", "申请材料", true, func(g *Guide) []string {
		return mapItems(g.Materials, func(m Material) string {
			waived := ""
			if m.Waived {
				waived = joinNonEmpty("：", "免提交", m.WaivedNote)
			}
			return joinNonEmpty("｜", m.Name, m.Form, strconv.Itoa(m.Copies)+"份", "来源："+m.Source, waived, noteOf(m.Note))
		})
	}},
	{"steps", "办理流程", true, func(g *Guide) []string {
		return mapItems(g.Steps, func(s Step) string { return joinNonEmpty("：", s.Title, s.Detail) })
	}},
	{"channels", "办理方式", true, func(g *Guide) []string {
		return mapItems(g.Channels, func(c Channel) string {
			n := c.Type.Name()
			if n == "" {
				n = string(c.Type)
			}
			return joinNonEmpty("：", n, c.Where)
		})
	}},
	{"locations", "办理地点与时间", true, func(g *Guide) []string {
		return mapItems(g.Locations, func(l Location) string {
			addr := ""
			if l.Address != "" {
				addr = "（" + l.Address + "）"
			}
			return joinNonEmpty("：", l.Name+addr, l.Hours)
		})
	}},
	{"time_limit.statutory", "法定时限", false, func(g *Guide) []string { return one(g.TimeLimit.Statutory) }},
	{"time_limit.promised", "承诺时限", false, func(g *Guide) []string { return one(g.TimeLimit.Promised) }},
	{"visits", "到现场次数", false, func(g *Guide) []string {
		if g.Visits == 0 {
			return []string{"0（零跑动）"}
		}
		return []string{strconv.Itoa(g.Visits) + "次"}
	}},
	{"fee", "收费", false, func(g *Guide) []string {
		charged := "不收费"
		if g.Fee.Charged {
			charged = "收费"
		}
		return []string{joinNonEmpty("；", charged+"："+g.Fee.Standard, basisOf(g.Fee.Basis))}
	}},
	{"delivery", "结果送达", false, func(g *Guide) []string { return one(g.Delivery) }},
	{"phone", "咨询电话", false, func(g *Guide) []string { return one(g.Phone) }},
	{"complaint", "监督投诉渠道", false, func(g *Guide) []string { return one(g.Complaint) }},
	{"faq", "常见问题", true, func(g *Guide) []string {
		return mapItems(g.FAQ, func(q QA) string { return "问：" + q.Q + " 答：" + q.A })
	}},
	{"related", "相关事项", true, func(g *Guide) []string { return g.Related }},
	{"variants", "地市差异", true, func(g *Guide) []string {
		return mapItems(g.Variants, func(v Variant) string {
			var locs []string
			for _, l := range v.Locations {
				locs = append(locs, l.Name+" "+l.Hours)
			}
			var chs []string
			for _, c := range v.Channels {
				chs = append(chs, c.Type.Name()+" "+c.Where)
			}
			return joinNonEmpty("｜", v.City, phoneOf(v.Phone), listOf("地点", locs), listOf("方式", chs), noteOf(v.Note))
		})
	}},
	{"verify", "待核实", true, func(g *Guide) []string { return g.Verify }},
	{"links", "相关链接", true, func(g *Guide) []string {
		return mapItems(g.Links, func(l Link) string { return l.Title + "（" + l.URL + "）" })
	}},
}

func noteOf(s string) string {
	if s == "" {
		return ""
	}
	return "备注：" + s
}

func basisOf(s string) string {
	if s == "" {
		return ""
	}
	return "依据：" + s
}

func phoneOf(s string) string {
	if s == "" {
		return ""
	}
	return "电话：" + s
}

func listOf(label string, xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return label + "：" + strings.Join(xs, "、")
}

var formElements = []element[Form]{
	{"title", "表单名称", false, func(f *Form) []string { return one(f.Title) }},
	{"guide", "所属事项", false, func(f *Form) []string { return one(f.Guide) }},
	{"description", "说明", false, func(f *Form) []string { return one(f.Description) }},
	{"fields", "表单字段", true, func(f *Form) []string { return mapItems(f.Fields, describeField) }},
}

func describeField(fl Field) string {
	t := fl.Type.Name()
	if t == "" {
		t = string(fl.Type)
	}
	req := ""
	if fl.Required {
		req = "必填"
	}
	rng := ""
	if fl.Min != nil || fl.Max != nil {
		lo, hi := "", ""
		if fl.Min != nil {
			lo = strconv.FormatFloat(*fl.Min, 'f', -1, 64)
		}
		if fl.Max != nil {
			hi = strconv.FormatFloat(*fl.Max, 'f', -1, 64)
		}
		rng = "范围：" + lo + "～" + hi
	}
	pat := ""
	if fl.Pattern != "" {
		pat = "格式：" + fl.Pattern
	}
	opts := listOf("选项", mapItems(fl.Options, func(o Option) string { return o.Value + "=" + o.Label }))
	cond := ""
	if c := fl.ShowIf; c != nil {
		if c.Equals != "" {
			cond = "条件：当 " + c.Field + " 等于 " + c.Equals
		} else {
			cond = "条件：当 " + c.Field + " 属于 " + strings.Join(c.In, "、")
		}
	}
	help := ""
	if fl.Help != "" {
		help = "说明：" + fl.Help
	}
	return joinNonEmpty("｜", fl.Key+"（"+t+"）", fl.Label, req, rng, pat, opts, cond, help)
}

func diffElements[T any](els []element[T], a, b *T) []Change {
	out := []Change{}
	for _, el := range els {
		before, after := el.items(a), el.items(b)
		if !el.list {
			bs, as := strings.Join(before, ""), strings.Join(after, "")
			switch {
			case bs == as:
			case bs == "":
				out = append(out, Change{el.field, el.name, OpAdded, "", as})
			case as == "":
				out = append(out, Change{el.field, el.name, OpRemoved, bs, ""})
			default:
				out = append(out, Change{el.field, el.name, OpChanged, bs, as})
			}
			continue
		}
		out = append(out, diffList(el.field, el.name, before, after)...)
	}
	return out
}

// diffList compares two lists item by item: items kept in order (longest common subsequence)
// are unchanged; a removed item followed by an added one at the same place is a change.
func diffList(field, name string, a, b []string) []Change {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Change
	var removed, added []int
	flush := func() {
		k := 0
		for ; k < len(removed) && k < len(added); k++ {
			out = append(out, Change{fmt.Sprintf("%s[%d]", field, added[k]), fmt.Sprintf("%s 第%d项", name, added[k]+1), OpChanged, a[removed[k]], b[added[k]]})
		}
		for _, i := range removed[k:] {
			out = append(out, Change{fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%s 原第%d项", name, i+1), OpRemoved, a[i], ""})
		}
		for _, j := range added[k:] {
			out = append(out, Change{fmt.Sprintf("%s[%d]", field, j), fmt.Sprintf("%s 第%d项", name, j+1), OpAdded, "", b[j]})
		}
		removed, added = removed[:0], added[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			flush()
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			added = append(added, j)
			j++
		default:
			removed = append(removed, i)
			i++
		}
	}
	flush()
	return out
}

// DiffGuides lists the differences from guide a to guide b.
func DiffGuides(a, b Guide) []Change { return diffElements(guideElements, &a, &b) }

// DiffForms lists the differences from form a to form b.
func DiffForms(a, b Form) []Change { return diffElements(formElements, &a, &b) }

// Diff compares two versions of one document. Either version may be any version in its history.
func (s *Service) Diff(ctx context.Context, kind Kind, code string, from, to int) (*VersionDiff, error) {
	va, err := s.GetVersion(ctx, kind, code, from)
	if err != nil {
		return nil, err
	}
	vb, err := s.GetVersion(ctx, kind, code, to)
	if err != nil {
		return nil, err
	}
	d := &VersionDiff{Kind: kind, Code: code, From: from, To: to}
	switch kind {
	case KindGuide:
		d.Changes, err = diffBodies(va.Body, vb.Body, DiffGuides)
	case KindForm:
		d.Changes, err = diffBodies(va.Body, vb.Body, DiffForms)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// diffBodies decodes two stored bodies as T and compares them.
func diffBodies[T any](a, b []byte, diff func(a, b T) []Change) ([]Change, error) {
	var x, y T
	if err := json.Unmarshal(a, &x); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return nil, err
	}
	return diff(x, y), nil
}
