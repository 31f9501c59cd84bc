package content

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestSeedCorpus validates every seed file as a whole: each guide has every standard element,
// codes are unique and related codes resolve.
func TestSeedCorpus(t *testing.T) {
	gs, err := LoadSeed(SeedFS())
	if err != nil {
		t.Fatalf("seed corpus invalid:\n%v", err)
	}
	if len(gs) < 60 {
		t.Errorf("seed corpus has %d guides, want at least 60", len(gs))
	}
	cats := map[Category]int{}
	for _, g := range gs {
		cats[g.Category]++
		if g.Region == "" {
			t.Errorf("%s: no region", g.Code)
		}
	}
	for _, c := range Categories {
		if cats[c] == 0 {
			t.Errorf("no guide in category %s", c)
		}
	}
}

// TestSeedForms: the seed's forms are valid, belong to seed guides, and a form of an unknown
// guide, a bad prefill or a date rule on a text field stops the whole seed.
func TestSeedForms(t *testing.T) {
	b, err := LoadSeedBundle(SeedFS())
	if err != nil {
		t.Fatalf("seed bundle invalid:\n%v", err)
	}
	if len(b.Forms) < 5 {
		t.Errorf("seed has %d forms, want at least 5", len(b.Forms))
	}
	good := "guides:\n" + strings.Replace(minimalGuideYAML, "CODE", "T-1", 1)
	for name, form := range map[string]string{
		"unknown guide": "forms:\n  - {code: F-1, title: 表, guide: T-9, fields: [{key: a, type: name, label: 姓名}]}\n",
		"bad prefill":   "forms:\n  - {code: F-1, title: 表, guide: T-1, fields: [{key: a, type: name, label: 姓名, prefill: phone}]}\n",
		"when on text":  "forms:\n  - {code: F-1, title: 表, guide: T-1, fields: [{key: a, type: text, label: 地址, when: past}]}\n",
	} {
		fsys := fstest.MapFS{"a.yaml": {Data: []byte(good)}, "b.yaml": {Data: []byte(form)}}
		if _, err := LoadSeedBundle(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	fsys := fstest.MapFS{"a.yaml": {Data: []byte(good)}, "b.yaml": {Data: []byte("forms:\n  - {code: F-1, title: 表, guide: T-1, fields: [{key: a, type: date, label: 生日, when: past}]}\n")}}
	if b, err := LoadSeedBundle(fsys); err != nil || len(b.Forms) != 1 {
		t.Errorf("a good form: %v, %d forms", err, len(b.Forms))
	}
}

func TestLoadSeedRejectsBadSets(t *testing.T) {
	good := "guides:\n" + strings.Replace(minimalGuideYAML, "CODE", "T-1", 1)
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"invalid yaml", map[string]string{"a.yaml": "guides: [\n"}, []string{"a.yaml", "YAML"}},
		{"unknown element", map[string]string{"a.yaml": good + "    colour: red\n"}, []string{"a.yaml", "colour"}},
		{"duplicate code", map[string]string{"a.yaml": good, "b.yaml": good}, []string{"b.yaml", "T-1", "重复"}},
		{"missing element", map[string]string{"a.yaml": strings.Replace(good, "    summary: 简述内容\n", "", 1)}, []string{"a.yaml", "T-1", "简述"}},
		{"dangling related", map[string]string{"a.yaml": good + "    related: [NOPE]\n"}, []string{"NOPE", "不存在"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, s := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(s)}
			}
			gs, err := LoadSeed(fsys)
			if err == nil {
				t.Fatalf("want error, got %d guides", len(gs))
			}
			if gs != nil {
				t.Errorf("half-loaded: %d guides returned with an error", len(gs))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

const minimalGuideYAML = `  - code: CODE
    name: 测试事项
    aliases: [测试]
    category: pension
    audience: [person]
    region: 陕西省
    item_type: 公共服务
    summary: 简述内容
    basis: [{law: 《中华人民共和国社会保险法》, article: 第十条}]
    conditions: [条件一]
    materials: [{name: 身份证, form: 原件, copies: 1, source: 申请人自备}]
    steps: [{title: 申请, detail: 提交申请}]
    channels: [{type: window, where: 社保经办窗口}]
    locations: [{name: 各级社保经办机构, hours: 工作日}]
    time_limit: {statutory: 10个工作日, promised: 即时办结}
    visits: 1
    fee: {charged: false, standard: 不收费}
    delivery: 当场告知
    phone: "12333"
    complaint: 12345
    faq: [{q: 问题, a: 回答}]
`
