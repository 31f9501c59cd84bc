package content

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// publicLeaks are the words of editors' notes that no public text may contain.
var publicLeaks = []string{"待核实", "来源可靠性", "有报道称", "据报道"}

func TestPublicText(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"20个工作日", "20个工作日"},
		{"待核实", "以经办机构核定为准"},
		{"网上登记和缴费申报即时办结（待核实）", "网上登记和缴费申报即时办结（以经办机构核定为准）"},
		{"不超过法定时限；陕西省公布的承诺时限待核实", "不超过法定时限；以经办机构核定为准"},
		{"资料齐全的一般即时办结（陕西承诺时限待核实）", "资料齐全的一般即时办结（以经办机构核定为准）"},
		{"待核实（部分地区承诺全程网上办理15个工作日内办结）", "以经办机构核定为准（部分地区承诺全程网上办理15个工作日内办结）"},
		{"在国家规定时限内办结（《社会保险经办条例》第十六条），具体工作日数待核实",
			"在国家规定时限内办结（《社会保险经办条例》第十六条），以经办机构核定为准"},
		{"即时办结（记录有误需核对更正的，时限待核实）", "即时办结（记录有误需核对更正的，以经办机构核定为准）"},
		{"有报道称西安市2025年集中征缴期为2025年6月4日至8月31日（来源可靠性低，待核实）；请以当年公告为准。",
			"西安市2025年集中征缴期为2025年6月4日至8月31日（以经办机构核定为准）；请以当年公告为准。"},
		{"据报道，西安市基础养老金自2020年7月1日起为每月175.5元，此后可能已调整，现行标准待核实。",
			"西安市基础养老金自2020年7月1日起为每月175.5元，此后可能已调整，以经办机构核定为准。"},
		{"有报道称每月发放150元。", "每月发放150元（以经办机构核定为准）。"},
		{"每月150元(source unreliable: 来源可靠性低)", "每月150元(以经办机构核定为准)"},
		{"有低质量资料称陕西自2025年起取消200元档次，未经权威核实。", "陕西自2025年起取消200元档次，以经办机构核定为准。"},
		{"请携带有关资料，到窗口办理。", "请携带有关资料，到窗口办理。"},
		{"据媒体报道，每年3月调整。", "每年3月调整（以经办机构核定为准）。"},
	}
	for _, c := range cases {
		if got := PublicText(c.in); got != c.want {
			t.Errorf("PublicText(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestPublicViewOfSeedCorpus checks every seed guide: nothing of the editors' notes reaches the
// public JSON, every figure that carried a note defers to the agency, and the stored guide
// keeps its notes.
func TestPublicViewOfSeedCorpus(t *testing.T) {
	t.Parallel()
	guides, err := LoadSeed(SeedFS())
	if err != nil {
		t.Fatal(err)
	}
	noted := 0
	for _, g := range guides {
		before, _ := json.Marshal(g)
		pv := PublicView(g)
		after, _ := json.Marshal(g)
		if string(before) != string(after) {
			t.Fatalf("%s: PublicView modified its argument", g.Code)
		}
		body, _ := json.Marshal(pv)
		for _, w := range publicLeaks {
			if strings.Contains(string(body), w) {
				t.Errorf("%s: public view contains %q", g.Code, w)
			}
		}
		if pv.Verify != nil {
			t.Errorf("%s: public view keeps the verify list", g.Code)
		}
		for _, tl := range [][2]string{{g.TimeLimit.Promised, pv.TimeLimit.Promised}, {g.TimeLimit.Statutory, pv.TimeLimit.Statutory}} {
			if strings.Contains(tl[0], "待核实") {
				noted++
				if !strings.Contains(tl[1], DefersToAgency) {
					t.Errorf("%s: %q became %q, without %s", g.Code, tl[0], tl[1], DefersToAgency)
				}
			}
		}
		for i, v := range g.Variants {
			if strings.Contains(v.Note, "待核实") && !strings.Contains(pv.Variants[i].Note, DefersToAgency) {
				t.Errorf("%s: variant note %q lost its figure's caveat: %q", g.Code, v.Note, pv.Variants[i].Note)
			}
		}
	}
	if noted < 20 {
		t.Errorf("only %d noted time limits in the seed corpus; the test no longer covers it", noted)
	}
}

// TestPublishedServesPublicViewAndExportKeepsNotes goes through the store: the published guide,
// its JSON and search's input are the public view; export and the console read the notes.
func TestPublishedServesPublicViewAndExportKeepsNotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newTestService(t, d)
		g := testGuide("SX-PV-001", "公开视图测试")
		g.TimeLimit.Promised = "3个工作日内（待核实）"
		g.Variants = []Variant{{City: "西安市", Note: "有报道称西安市每月175.5元（来源可靠性低，待核实）。"}}
		g.Verify = []string{"承诺时限待核实"}
		if _, err := s.Import(ctx, []Guide{g}, nil, System, true); err != nil {
			t.Fatal(err)
		}
		p, err := s.Guide(g.Code)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{p.JSON, p.ForCity("西安市").JSON, p.ForCity("咸阳市").JSON} {
			for _, w := range publicLeaks {
				if strings.Contains(string(body), w) {
					t.Errorf("public JSON contains %q: %s", w, body)
				}
			}
			if !strings.Contains(string(body), DefersToAgency) {
				t.Errorf("public JSON lacks %s: %s", DefersToAgency, body)
			}
		}
		if !strings.Contains(string(p.ForCity("西安市").JSON), "175.5") {
			t.Errorf("the city's figure is gone: %s", p.ForCity("西安市").JSON)
		}
		for _, pg := range s.PublishedGuides() {
			if pg.Code == g.Code && (pg.Verify != nil || strings.Contains(pg.TimeLimit.Promised, "待核实")) {
				t.Errorf("PublishedGuides (search's input) carries notes: %+v", pg.TimeLimit)
			}
		}
		if lp, err := s.LoadPublished(ctx, g.Code); err != nil || lp.Verify != nil || strings.Contains(lp.Variants[0].Note, "待核实") {
			t.Errorf("LoadPublished (the index's loader) carries notes: %v %+v", err, lp.Variants)
		}
		b, err := s.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, eg := range b.Guides {
			if eg.Code == g.Code {
				found = true
				if len(eg.Verify) != 1 || eg.TimeLimit.Promised != g.TimeLimit.Promised || eg.Variants[0].Note != g.Variants[0].Note {
					t.Errorf("export lost the editors' notes: %+v %+v", eg.Verify, eg.TimeLimit)
				}
			}
		}
		if !found {
			t.Fatal("export lacks the guide")
		}
	})
}
