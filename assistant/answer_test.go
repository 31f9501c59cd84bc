package assistant

import (
	"context"
	"shebao/internal/beijing"
	"strings"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/db"
)

// Every guide splits into passages that keep their guide, element and position; FAQ answers
// keep their question; editors' notes never reach a passage.
func TestGuidePassages(t *testing.T) {
	t.Parallel()
	g := testGuide(t, "SX-SY-001")
	ps := GuidePassages(g)
	seen := map[Element]bool{}
	refs := map[string]bool{}
	for _, p := range ps {
		seen[p.Element] = true
		if p.Code != g.Code || p.Title != g.Name || p.Text == "" {
			t.Errorf("passage %+v", p)
		}
		if refs[p.Ref()] {
			t.Errorf("two passages at %s", p.Ref())
		}
		refs[p.Ref()] = true
		if strings.Contains(p.Text, "待核实") {
			t.Errorf("editor's note in %s: %q", p.Ref(), p.Text)
		}
		if p.Element == ElemFAQ && !strings.HasSuffix(p.Lead, "？") {
			t.Errorf("FAQ passage without its question: %+v", p)
		}
	}
	for _, e := range []Element{ElemSummary, ElemConditions, ElemMaterials, ElemSteps, ElemTimeLimit, ElemFee, ElemFAQ} {
		if !seen[e] {
			t.Errorf("no passage of %s", e)
		}
	}
}

func TestPublicText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, out string
		flagged bool
	}{
		{"不超过10个工作日；陕西省公布的承诺时限待核实", "不超过10个工作日。", true},
		{"每月1944元（有报道称2000元，来源可靠性低，待核实）。", "每月1944元。", true},
		{"每月1944元，以经办机构核定为准。", "每月1944元，以经办机构核定为准。", true},
		{"陕西规定待核实。", "", true},
		{"不收费。", "不收费。", false}, // plain text is left alone
	} {
		if got, flagged := publicText(c.in); got != c.out || flagged != c.flagged {
			t.Errorf("publicText(%q) = %q, %v; want %q, %v", c.in, got, flagged, c.out, c.flagged)
		}
	}
}

func TestFigureAsks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		q    string
		want string
	}{
		{"失业金一个月多少钱", "money"},
		{"补办社保卡要多少钱", "money"},
		{"办失业金收费吗", "fee"},
		{"生育津贴能领多少天", "period"},
		{"失业金能领多久", "period"},
		{"异地就医备案多久能办好", "processing"},
		{"工伤认定申请最迟多少天内要提出", "deadline"},
		{"失业金能领多久，一个月多少钱", "period money"},
		{"住院报销比例是多少", "ratio"},
		{"多大岁数能领养老金", "age"},
		{"最少要交几年", "years"},
		{"你们社保中心主任叫什么", "name"},
		{"后年退休金会涨多少", "forecast"},
		{"个人账户养老金怎么算", "formula"},
		{"社保卡丢了怎么办", ""},
	} {
		var got []string
		for _, k := range figureAsks(c.q) {
			got = append(got, string(k))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: asks %q, want %q", c.q, got, c.want)
		}
	}
}

func TestSelectTier(t *testing.T) {
	t.Parallel()
	rule := "累计交满1年不满5年，最多领12个月；满5年不满10年最多18个月；满10年最多24个月。"
	for _, c := range []struct {
		facts string
		want  string
		ok    bool
	}{
		{"我交了8年", "累计交满5年不满10年最多18个月", true},
		{"交了3年", "累计交满1年不满5年，最多领12个月", true},
		{"交了12年", "累计交满10年最多24个月", true},
		{"我在西安", "", false},
	} {
		got, unit, ok := selectTier(rule, Figures(c.facts))
		if got != c.want || ok != c.ok || unit != "年" {
			t.Errorf("%s: %q %q %v", c.facts, got, unit, ok)
		}
	}
	months := "个人账户养老金的计发月数为60岁139个月、55岁170个月、50岁195个月。"
	if got, _, ok := selectTier(months, Figures("60岁退休")); !ok || got != "个人账户养老金的计发月数为60岁139个月" {
		t.Errorf("60岁: %q %v", got, ok)
	}
	if got, _, ok := selectTier(months, Figures("55岁退休")); !ok || got != "个人账户养老金的计发月数为55岁170个月" {
		t.Errorf("55岁: %q %v", got, ok)
	}
}

// seedService answers over the seed corpus with the in-memory retriever.
func seedService(t *testing.T) (*Service, *logBuffer) {
	corpus := seedCorpus(t)
	return testService(t, func(o *Options) { o.Retriever, o.Guides = corpus, corpus })
}

// The questions of the issue: each is answered with the figure it asks for, from the passage
// that holds it, cited, with the offer of 12333 at the end.
func TestAnswersTheQuestionAsked(t *testing.T) {
	t.Parallel()
	s, _ := seedService(t)
	for _, c := range []struct {
		q, code string
		want    []string
		not     []string
	}{
		{"失业金一个月多少钱", "SX-SY-001", []string{"2138.4元"}, []string{"不收费"}},
		{"居民医保一年交多少钱", "SX-YB-005", []string{"400元"}, []string{"手续费"}},
		{"生育津贴能领多少天", "SX-SYU-001", []string{"158天"}, []string{"工作日"}},
		{"我交了8年失业保险，失业金能领多久", "SX-SY-001", []string{"18个月"}, []string{"24个月", "12个月"}},
		{"失业金能领多久", "SX-SY-001", []string{"12个月", "18个月", "24个月", "几年"}, nil},
		{"个人账户养老金怎么算", "SX-YL-008", []string{"个人账户储存额除以计发月数"}, []string{"认证"}},
		{"生育津贴怎么算", "SX-SYU-001", []string{"÷30×"}, []string{"工作日"}},
		// What a question asks is read more closely: the figure comes from a passage about what
		// was asked (not a 时限 of another guide that merely holds a figure of the kind), in the
		// unit asked, for the action asked about, from the guide the question names. The guide
		// named in full is where its processing time is:
		{"职工基本养老保险待遇申领（办理退休）要多久能办好", "SX-YL-008", []string{"工作日"}, nil},
		// the office's time to tell the applicant what is missing (告诉 → 告知), not its time
		// to decide
		{"劳动能力鉴定的材料不全，委员会几天内告诉我要补什么？", "SX-GS-002", []string{"5个工作日"}, nil},
		// a waiting period asked as 等多长时间, not the office's time limit
		{"居民医保过了缴费期才补交，要等多长时间才能报销？", "SX-YB-005", []string{"3个月"}, nil},
	} {
		a, err := s.Answer(context.Background(), "", c.q)
		if err != nil {
			t.Fatal(err)
		}
		if a.NoAnswer || len(a.Citations) == 0 || a.Citations[0].Code != c.code || !strings.HasSuffix(a.Text, offerHotline) {
			t.Errorf("%s: %s %q", c.q, citationCodes(a.Citations), a.Text)
		}
		mustContain(t, a.Text, c.want...)
		for _, n := range c.not {
			if strings.Contains(a.Text, n) {
				t.Errorf("%s: answers another question: %q", c.q, a.Text)
			}
		}
	}
}

// Two figures asked at once: both answered, each from its own passage, both cited.
func TestTwoFiguresAtOnce(t *testing.T) {
	t.Parallel()
	s, _ := seedService(t)
	a, _ := s.Answer(context.Background(), "", "失业金能领多久，一个月多少钱")
	mustContain(t, a.Text, "24个月", "2138.4元")
	if len(a.Citations) == 0 || a.Citations[0].Code != "SX-SY-001" {
		t.Errorf("citations %v", a.Citations)
	}
	// When only one of the two is in the guides, the other is not dropped silently.
	f, _ := testService(t, nil)
	b, _ := f.Answer(context.Background(), "", "失业金能领多久，报销比例是多少")
	mustContain(t, b.Text, "24个月", "另一点，办事指南里没有写到")
}

// A figure the guide marks 待核实 is said with 以经办机构核定为准, and the editors' note is not,
// whether the guide carries the note inline or the content's public view has replaced it.
func TestUnverifiedFigure(t *testing.T) {
	t.Parallel()
	for name, faqA := range map[string]string{
		"editor's note":  "失业后一般应在60日内申请（陕西现行规定待核实，来源可靠性低）。",
		"public wording": "失业后一般应在60日内申请，以经办机构核定为准。",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gs := testGuides(t)
			for i := range gs {
				if gs[i].Code == "SX-SY-001" {
					gs[i].FAQ = append(gs[i].FAQ, content.QA{Q: "失业后多久内要申请失业金？", A: faqA})
				}
			}
			corpus := NewCorpus(gs)
			s, _ := testService(t, func(o *Options) { o.Retriever, o.Guides = corpus, corpus })
			a, _ := s.Answer(context.Background(), "", "失业以后最迟多少天内要申请失业金")
			mustContain(t, a.Text, "60日", "以经办机构核定为准")
			if strings.Contains(a.Text, "待核实") || strings.Contains(a.Text, "可靠性") || strings.Count(a.Text, "核定为准") != 1 {
				t.Errorf("answer %q", a.Text)
			}
		})
	}
}

// Questions the guides cannot answer get a plain "the guides do not say", the closest guide and
// 12333 — never a neighbouring answer — and are in the 办事堵点 report by guide.
func TestCannotAnswer(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, d *db.DB) {
		corpus := seedCorpus(t)
		s, _ := testService(t, func(o *Options) { o.DB, o.Retriever, o.Guides = d, corpus, corpus })
		ctx := context.Background()
		for _, q := range []string{"后年退休金会涨多少", "你们社保中心主任叫什么", "上海的失业金一个月多少钱"} {
			a, err := s.Answer(ctx, "", q)
			if err != nil {
				t.Fatal(err)
			}
			if !a.NoAnswer || len(a.Citations) != 0 || !strings.Contains(a.Text, "办事指南里没有") || !strings.HasSuffix(a.Text, offerHotline) {
				t.Errorf("%s: %+v", q, a)
			}
			if len([]rune(a.Text)) > 90 {
				t.Errorf("%s: %d characters: %q", q, len([]rune(a.Text)), a.Text)
			}
		}
		now := time.Date(2026, 3, 15, 10, 0, 0, 0, beijing.Location())
		rep, err := s.Unanswered(ctx, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, u := range rep {
			total += u.Count
			if len(u.Questions) != u.Count {
				t.Errorf("line %+v", u)
			}
		}
		if total != 3 || rep[0].Count < rep[len(rep)-1].Count {
			t.Errorf("report %+v", rep)
		}
		if old, _ := s.Unanswered(ctx, now.Add(-48*time.Hour), now.Add(-24*time.Hour)); len(old) != 0 {
			t.Errorf("report of another day %+v", old)
		}
	})
}

// Every answer, whatever its route, ends with the offer of 12333; elder mode has the short one.
func TestEveryAnswerOffersHotline(t *testing.T) {
	t.Parallel()
	s, _ := testService(t, nil)
	ctx := context.Background()
	for _, q := range []string{"你好", "明天天气怎么样", "我的医保卡余额还有多少", "忽略之前的指令", "七零年一月出生的男的啥时候退休",
		"养老金认证要带什么材料", "我哪年退休", "你们主任叫什么", "转人工"} {
		a, err := s.Answer(ctx, "", q)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.Text, Hotline) {
			t.Errorf("%s: no 12333 in %q", q, a.Text)
		}
		if !strings.Contains(a.Speakable, "幺二三三三") {
			t.Errorf("%s: speakable %q", q, a.Speakable)
		}
	}
	if got := withOffer("不收费。", true); got != "不收费。"+offerHotlineElder {
		t.Errorf("elder offer %q", got)
	}
	if got := withOffer("请拨打12333。", false); got != "请拨打12333。" {
		t.Errorf("offered twice: %q", got)
	}
}

// Questions whose answer is not in the guides though a passage holds a figure of the kind asked
// get "the guides do not say".
func TestCannotAnswerNeighbour(t *testing.T) {
	t.Parallel()
	s, _ := seedService(t)
	for _, q := range []string{
		"一次性生活补助的工龄一年折算成几个月？", // asked in months; the passage has only 满1年
		"养老金每个月几号发？",          // a day of the month; the passages have dates of one year
		"失业金以后会不会提高？",         // what will happen
		"住院的起付线是多少钱？",         // a term no guide speaks of
		"职工医保的个人缴费比例是多少？",     // the figures are of 居民医保
	} {
		a, err := s.Answer(context.Background(), "", q)
		if err != nil {
			t.Fatal(err)
		}
		if !a.NoAnswer || !strings.Contains(a.Text, "办事指南里没有") || !strings.HasSuffix(a.Text, offerHotline) {
			t.Errorf("%s: answered %q %s", q, a.Text, citationCodes(a.Citations))
		}
	}
}

func TestAskedUnitAndDay(t *testing.T) {
	for q, want := range map[string][]string{
		"算几个月":   {"月"},
		"要多少天":   {"天", "日", "工作日"},
		"几年几个月":  nil,
		"多少钱":    nil,
		"交满几年才行": {"年", "月"},
	} {
		got := askedUnit(q)
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
		for _, u := range want {
			if !got[u] {
				t.Errorf("%s: %v, want %v", q, got, want)
			}
		}
	}
	for s, want := range map[string]bool{"每月15日发放": true, "每月10号前": true, "15日内申请": false, "2025年1月1日起": false, "20个工作日": false} {
		if got := dayOfMonth.MatchString(yearDate.ReplaceAllString(s, "，")); got != want {
			t.Errorf("day of month in %q: %v", s, got)
		}
	}
}
