package search

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"shebao/internal/apperr"
)

func testLexicon(t testing.TB) *lexicon {
	t.Helper()
	lx, err := sharedLexicon()
	if err != nil {
		t.Fatal(err)
	}
	return lx
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"  社保卡  ", "社保卡"},
		{"社\u200b保\u200d卡\ufeff", "社保卡"}, // zero-width space, joiner, BOM
		{"社保卡\u202e挂失", "社保卡挂失"},         // bidi override
		{"社保卡\n挂失\t", "社保卡 挂失"},          // controls become spaces
		{"\x00\x07社保", "社保"},             // C0 controls
		{"社保卡\u3000挂失", "社保卡 挂失"},        // ideographic space
		{"养老\ufe0f金", "养老金"},             // variation selector
		{"\u200b\u200c", ""},             // nothing left
		{"社保卡\u2028挂失\u0085", "社保卡 挂失"},  // line separators are white space
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	tests := []struct{ in, want string }{
		{"ＳＨＥＢＡＯＫＡ", "shebaoka"},                                          // full-width to half-width, lower case
		{"社保卡１２３３３", "社保卡12333"},                                          // full-width digits
		{"養老金資格認證", "养老金资格认证"},                                            // traditional to simplified
		{"社保卡，挂失？", "社保卡 挂失"},                                             // punctuation is a separator
		{`社保卡 +挂失 -补办 name:x^2 "abc"~ (a)*?`, "社保卡 挂失 补办 name x 2 abc a"}, // bleve syntax is text
		{"ShéBǎo", "shébǎo"},
	}
	for _, tt := range tests {
		if got := lx.normalize(tt.in); got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripFrames(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	tests := []struct{ in, want string }{
		{"我想问一下社保卡丢了怎么办", "社保卡丢了"},
		{"请问那个养老金资格认证在哪里做", "养老金资格认证 做"},
		{"您好请问一下就是我母亲的养老金", "我母亲的养老金"},
		{"下班路上被车撞了算不算工伤", "下班路上被车撞了 工伤"},
		{"社保卡", "社保卡"},
	}
	for _, tt := range tests {
		if got := lx.stripFrames(lx.normalize(tt.in)); got != tt.want {
			t.Errorf("stripFrames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSegment(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	tests := []struct {
		in   string
		want []string
	}{
		{"社保卡挂失", []string{"社保卡", "挂失"}},             // stock gse: 社保/卡
		{"在手机上认证养老金", []string{"在手机上", "认证", "养老金"}}, // stock gse: 在手/机上
		{"灵活就业人员交社保", []string{"灵活就业人员", "交社保"}},
		{"异地就医备案", []string{"异地就医备案"}},
		{"老婆生孩子", []string{"老婆", "生孩子"}},
		{"失业保险金申领", []string{"失业保险金", "申领"}},
	}
	for _, tt := range tests {
		if got := lx.words(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The index side also emits the words inside each word.
	terms := lx.indexTerms("社会保障卡挂失")
	for _, w := range []string{"社会保障卡", "社会", "保障", "挂失"} {
		if !contains(terms, w) {
			t.Errorf("indexTerms(社会保障卡挂失) = %q, lacks %q", terms, w)
		}
	}
	if ts := lx.indexTerms("社保卡丢了吗"); contains(ts, "吗") {
		t.Errorf("particle indexed: %q", ts)
	}
}

func TestSynonymExpand(t *testing.T) {
	t.Parallel()
	tab := newSynonymTable([]Synonym{
		{Term: "退休金", Expansions: []string{"养老金"}},
		{Term: "养老金", Expansions: []string{"基本养老金"}},
		{Term: "a", Expansions: []string{"b"}}, // a loop that reached the table some other way
		{Term: "b", Expansions: []string{"a"}},
		{Term: "off", Expansions: []string{"x"}, Disabled: true},
	})
	got := tab.expand("退休金")
	step := rank.synonymStep
	want := []expansion{{"退休金", 1}, {"养老金", step}, {"基本养老金", step * step}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("expand(退休金) = %v, want %v", got, want)
	}
	if got := tab.expand("a"); len(got) != 2 {
		t.Errorf("expand over a loop = %v, want a, b", got)
	}
	if got := tab.expand("off"); len(got) != 1 {
		t.Errorf("disabled entry expanded: %v", got)
	}
	if got := tab.termsIn("能带回来退休金"); !reflect.DeepEqual(got, []string{"退休金"}) {
		t.Errorf("termsIn = %v", got)
	}
}

func TestCheckSynonym(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	base := []Synonym{{Term: "退休金", Expansions: []string{"养老金"}}, {Term: "养老金", Expansions: []string{"基本养老金"}}}
	many := make([]string, 0, 25)
	for i := range 25 {
		many = append(many, "词"+strings.Repeat("啊", i%5)+string(rune('a'+i)))
	}
	tests := []struct {
		name string
		syn  Synonym
		ok   bool
	}{
		{"valid", Synonym{Term: "养老钱", Expansions: []string{"养老金"}}, true},
		{"normalised", Synonym{Term: " 養老錢 ", Expansions: []string{"养老金", "养老金", " "}}, true},
		{"empty term", Synonym{Term: "  ", Expansions: []string{"养老金"}}, false},
		{"invisible term", Synonym{Term: "\u200b", Expansions: []string{"养老金"}}, false},
		{"no expansions", Synonym{Term: "养老钱", Expansions: []string{"", " "}}, false},
		{"self", Synonym{Term: "养老钱", Expansions: []string{"养老钱"}}, false},
		{"loop", Synonym{Term: "基本养老金", Expansions: []string{"退休金"}}, false},
		{"too many", Synonym{Term: "钱", Expansions: many}, false},
		{"too long", Synonym{Term: strings.Repeat("长", 21), Expansions: []string{"x"}}, false},
	}
	for _, tt := range tests {
		got, err := checkSynonym(lx, base, tt.syn)
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && !apperr.Is(err, apperr.SynonymInvalid) {
			t.Errorf("%s: got %v, want synonym_invalid", tt.name, err)
		}
		if tt.name == "normalised" && (got.Term != "养老钱" || !reflect.DeepEqual(got.Expansions, []string{"养老金"})) {
			t.Errorf("normalised: got %+v", got)
		}
	}
	// The closure limit also counts what expansions expand to.
	chain := []Synonym{}
	for i := range 19 {
		chain = append(chain, Synonym{Term: "c" + string(rune('a'+i)), Expansions: []string{"c" + string(rune('a'+i+1))}})
	}
	if _, err := checkSynonym(lx, chain, Synonym{Term: "start", Expansions: []string{"ca"}}); !apperr.Is(err, apperr.SynonymInvalid) {
		t.Errorf("chain over 20 terms accepted: %v", err)
	}
}

func TestPinyin(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	syl := []struct {
		in   string
		want []string
	}{
		{"shebaoka", []string{"she", "bao", "ka"}},
		{"yidijiuyibeian", []string{"yi", "di", "jiu", "yi", "bei", "an"}},
		{"baoxianjin", []string{"bao", "xian", "jin"}},
		{"sbk", nil},
		{"app", nil},
	}
	for _, tt := range syl {
		if got := lx.parseSyllables(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseSyllables(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	full, initials := lx.pinyinKeys("社保卡挂失")
	if full != "shebaokaguashi" || initials != "sbkgs" {
		t.Errorf("pinyinKeys(社保卡挂失) = %q, %q", full, initials)
	}
	if full, _ := lx.pinyinKeys("社保ka"); full != "shebaoka" {
		t.Errorf("pinyinKeys(社保ka) = %q", full)
	}
}

func TestCorrect(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	v := newVocabulary(lx)
	for _, w := range v.targetsOf("社会保障卡挂失", []string{"社保卡丢了", "社保卡挂失"}) {
		v.add(w)
	}
	tests := []struct{ in, want string }{
		{"社保卡挂矢了", "社保卡挂失了"},         // homophone
		{"退修手续", "退休手续"},             // homophone
		{"社保卡补伴", "社保卡补办"},           // homophone
		{"医保异地被案", "医保异地备案"},         // homophone across a longer word
		{"养老金资格人证", "养老金资格认证"},       // two real words that sound like a long term
		{"失业保验金", "失业保险金"},           // one inner character replaced
		{"shebaoka guashi", "社保卡挂失"}, // full pinyin
		{"shebaoka diule", "社保卡丢了"},  // full pinyin, colloquial
		{"sbk", "社保卡"},               // initials
		{"sbkq", "sbkq"},             // initials with a letter that spells nothing: a literal token
		{"测试修改sbkxq", "测试修改sbkxq"},   // the same after Han text (a code in a guide, typed as written)
		{"社保ka", "社保卡"},              // mixed
		{"工商局", "工商局"},               // a real word that sounds like 工伤: left alone
		{"个人账户剩余多少", "个人账户剩余多少"},     // 剩余 sounds like 生育: a real word
		{"工伤死亡家属能领什么", "工伤死亡家属能领什么"}, // 领什|么 cuts a word: no 临时
		{"账户里的钱", "账户里的钱"},           // 的钱 holds a particle: no 提前
		{"单位医保", "单位医保"},             // two words one edit from 单位参保: left alone
		{"app下载", "app下载"},
	}
	for _, tt := range tests {
		if got, _ := v.correct(lx.normalize(tt.in)); got != tt.want {
			t.Errorf("correct(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBuildQuery(t *testing.T) {
	t.Parallel()
	lx := testLexicon(t)
	v := newVocabulary(lx)
	syn := newSynonymTable(lx.defaults)
	a := analyze(lx, v, syn, `退休金 +到账 -title:x^2 "abc"~ (a)*?`)
	q := buildQuery(a, &Request{Category: "pension"}, tierTitle, nil)
	raw, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	js := string(raw)
	if strings.Contains(js, `"query":`) && strings.Contains(js, "title:x") {
		t.Errorf("user text reached a query string: %s", js)
	}
	for _, want := range []string{`"term":"退休金"`, `"term":"养老金"`, `"term":"pension"`} {
		if !strings.Contains(js, want) {
			t.Errorf("query lacks %s: %s", want, js)
		}
	}
	if strings.Contains(js, "fuzziness") {
		t.Errorf("fuzzy query built: %s", js)
	}
	// Filler and particles make no concepts.
	a = analyze(lx, v, syn, "我想问一下那个社保卡丢了怎么办啊")
	var texts []string
	for _, c := range a.concepts {
		texts = append(texts, c.text)
	}
	if !reflect.DeepEqual(texts, []string{"社保卡", "丢了"}) {
		t.Errorf("concepts = %q, want [社保卡 丢了]", texts)
	}
	if a.key != "社保卡丢了" {
		t.Errorf("key = %q", a.key)
	}
}

// The query log keeps queries and their corrections with personal numbers masked by the one
// masker (internal/pii), in every form people type or say them.
func TestLogRecordMasked(t *testing.T) {
	t.Parallel()
	tests := []struct{ query, corrected, want, wantCorrected string }{
		{"身份证610102199001011234查社保", "", "身份证[身份证号]查社保", ""},
		{"61010219900101123x", "", "[身份证号]", ""},
		{"手机13912345678", "", "手机[手机号]", ""},
		{"卡号6222 0212 3456 7890 123", "", "卡号[银行卡号]", ""},
		{"6222021234567890", "", "[银行卡号]", ""},
		{"12333热线", "", "12333热线", ""},
		{"2024年缴费基数", "", "2024年缴费基数", ""},
		{"电话02912345678", "", "电话[电话]", ""},
		{"六一零一零二一九五三零三零五零零一九 社保", "六一零一零二一九五三零三零五零零一九 社保", "[身份证号] 社保", "[身份证号] 社保"},
		{"610102 19530305 0019", "", "[身份证号]", ""},
		{"幺三八幺二三四五六七八 社保卡挂失", "", "[手机号] 社保卡挂失", ""},
		// The correction changed a digit into a word: the corrected form is not kept.
		{"六一零一零二一九五三零三零五零零一九", "六一领一零二一九五三零三零五零零一九", "[身份证号]", ""},
		{"社保卡挂矢", "社保卡挂失", "社保卡挂矢", "社保卡挂失"},
	}
	for _, tt := range tests {
		r := newLogRecord(tt.query, tt.corrected, 1)
		if r.query != tt.want || r.corrected != tt.wantCorrected {
			t.Errorf("newLogRecord(%q, %q) = %q, %q; want %q, %q", tt.query, tt.corrected, r.query, r.corrected, tt.want, tt.wantCorrected)
		}
	}
}

func TestMarkup(t *testing.T) {
	t.Parallel()
	got := markup(`社保卡<script>挂失&"`, []string{"社保卡", "挂失"})
	want := `<em>社保卡</em>&lt;script&gt;<em>挂失</em>&amp;&#34;`
	if got != want {
		t.Errorf("markup = %q, want %q", got, want)
	}
	long := strings.Repeat("无关内容", 30) + "社保卡挂失" + strings.Repeat("其他", 60)
	s := markup(long, []string{"挂失"})
	if !strings.HasPrefix(s, "…") || !strings.Contains(s, "<em>挂失</em>") || !strings.HasSuffix(s, "…") {
		t.Errorf("window not around the match: %q", s)
	}
}

// A query of weak words only: every one of them makes candidates (none is left to only score).
func TestBuildQueryWeakOnly(t *testing.T) {
	t.Parallel()
	weak := func(w string) concept {
		return concept{text: w, weak: true, alts: []alt{{words: []string{w}, weight: rank.weak}}}
	}
	a := &analysis{concepts: []concept{weak("办理"), weak("多少"), weak("哪里")}, dense: map[string]uint8{"办理": 0xff}}
	raw, err := json.Marshal(buildQuery(a, &Request{}, tierTitle, nil))
	if err != nil {
		t.Fatal(err)
	}
	js := string(raw)
	for _, w := range []string{"办理", "多少", "哪里"} {
		if !strings.Contains(js, `"term":"`+w+`"`) {
			t.Errorf("query lacks %s: %s", w, js)
		}
	}
	if strings.Contains(js, "should") {
		t.Errorf("weak words left to only score: %s", js)
	}
}
