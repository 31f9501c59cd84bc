package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/eventlog"
	"shebao/internal/pii/piitest"
)

// fixture is a small corpus that does not depend on the seed files.
func fixture() []content.Guide {
	g := func(code, name string, cat content.Category, aliases []string, summary string) content.Guide {
		return content.Guide{Code: code, Name: name, Category: cat, Aliases: aliases, Summary: summary,
			Audience: []content.Audience{content.AudiencePerson}, Region: "陕西省",
			FAQ: []content.QA{{Q: name + "要带什么？", A: "带身份证。"}}}
	}
	return []content.Guide{
		g("SX-SBK-003", "社会保障卡挂失与解挂", content.CategoryCard, []string{"社保卡丢了", "社保卡挂失"}, "社保卡丢了要马上挂失。"),
		g("SX-SBK-004", "社会保障卡补领、换领", content.CategoryCard, []string{"补办社保卡", "社保卡坏了"}, "挂失后可以补领新卡。"),
		g("SX-YL-011", "养老金领取资格认证", content.CategoryPension, []string{"刷脸认证", "退休人员认证"}, "领取养老金的人员每年认证一次。"),
		g("SX-SY-001", "失业保险金申领", content.CategoryUnemployment, []string{"失业金", "领失业金"}, "失业人员可以申领失业保险金。"),
		g("SX-SYU-001", "生育津贴支付", content.CategoryMaternity, []string{"产假工资"}, "女职工生育享受产假期间领取生育津贴。"),
	}
}

func openFixture(t *testing.T, d *db.DB) *Service {
	t.Helper()
	return openSeeded(t, d, fixture())
}

// eachFixture runs fn on each database with the fixture service open on it.
func eachFixture(t *testing.T, fn func(t *testing.T, ctx context.Context, d *db.DB, s *Service)) {
	eachDB(t, func(t *testing.T, d *db.DB) { fn(t, context.Background(), d, openFixture(t, d)) })
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	s := openFixture(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		req  Request
		want apperr.Kind
	}{
		{"empty", Request{Query: ""}, apperr.QueryEmpty},
		{"whitespace", Request{Query: " \t\u3000 "}, apperr.QueryEmpty},
		{"invisible only", Request{Query: "\u200b\u200d\ufeff"}, apperr.QueryEmpty},
		{"too long", Request{Query: strings.Repeat("社", 501)}, apperr.QueryTooLong},
		{"limit negative", Request{Query: "社保卡", Limit: -1}, apperr.InvalidParameter},
		{"limit 51", Request{Query: "社保卡", Limit: 51}, apperr.InvalidParameter},
		{"bad category", Request{Query: "社保卡", Category: "cars"}, apperr.InvalidParameter},
		{"bad audience", Request{Query: "社保卡", Audience: "alien"}, apperr.InvalidParameter},
		{"cursor garbage", Request{Query: "社保卡", Cursor: "!!!"}, apperr.InvalidCursor},
		{"cursor base64 junk", Request{Query: "社保卡", Cursor: "aGVsbG8"}, apperr.InvalidCursor},
		{"cursor huge", Request{Query: "社保卡", Cursor: strings.Repeat("A", 100)}, apperr.InvalidCursor},
	}
	for _, tt := range tests {
		_, err := s.Search(ctx, tt.req)
		if !apperr.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.want.Code)
		}
		if e, ok := apperr.As(err); ok && e.Status != 400 {
			t.Errorf("%s: status %d, want 400", tt.name, e.Status)
		}
	}
	for _, l := range []string{"0", "51", "x", "-3", "1.5"} {
		if _, err := ParseRequest(url.Values{"q": {"社保卡"}, "limit": {l}}); !apperr.Is(err, apperr.InvalidParameter) {
			t.Errorf("limit=%s: got %v, want invalid_parameter", l, err)
		}
	}
	if r, err := ParseRequest(url.Values{"q": {"社保卡"}, "limit": {"50"}}); err != nil || r.Limit != 50 {
		t.Errorf("limit=50: %v %+v", err, r)
	}
	// Exactly 500 characters is allowed.
	if _, err := s.Search(ctx, Request{Query: strings.Repeat("社", 500)}); err != nil {
		t.Errorf("500 characters: %v", err)
	}
	// Controls and invisible characters are stripped, not searched.
	resp, err := s.Search(ctx, Request{Query: "社\u200b保卡\u0000挂\u202e失"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Query != "社保卡挂失" || len(resp.Results) == 0 || resp.Results[0].Code != "SX-SBK-003" {
		t.Errorf("invisible characters: query %q, results %+v", resp.Query, resp.Results)
	}
	// Query syntax is text: no error, and the words still count.
	for _, q := range []string{`+-:^*?~"()`, `社保卡 +挂失 -补领`, `name:失业金`, `"失业金"~2`, `(社保卡) AND 挂失`, `/.*/`} {
		if _, err := s.Search(ctx, Request{Query: q}); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	resp, _ = s.Search(ctx, Request{Query: `name:失业金^10`})
	if len(resp.Results) == 0 || resp.Results[0].Code != "SX-SY-001" {
		t.Errorf("name:失业金^10 should find 失业保险金申领 as text: %+v", resp.Results)
	}
}

func TestNotReady(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, Options{Dir: t.TempDir()})
	defer s.Close()
	if s.Ready() || !s.NeedsRebuild() {
		t.Fatalf("new service: Ready=%v NeedsRebuild=%v", s.Ready(), s.NeedsRebuild())
	}
	if _, err := s.Search(context.Background(), Request{Query: "社保卡"}); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("search before the first build: %v", err)
	}
}

func TestFreshness(t *testing.T) {
	t.Parallel()
	s := openFixture(t, nil)
	ctx := context.Background()
	find := func(q string) []string { t.Helper(); return codesFor(t, s, q) }
	// Warm the cache, so that the test also shows it is invalidated.
	if got := find("工伤认定"); len(got) != 0 {
		t.Fatalf("before upsert: %v", got)
	}
	g := content.Guide{Code: "SX-GS-001", Name: "工伤认定申请", Category: content.CategoryInjury, Aliases: []string{"报工伤"}, Summary: "受伤后申请工伤认定。"}
	start := time.Now()
	if err := s.Upsert(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got := find("工伤认定"); len(got) == 0 || got[0] != "SX-GS-001" {
		t.Fatalf("after upsert: %v", got)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("upsert to searchable took %v", took)
	}
	// A new version replaces the old one.
	g.Name = "工伤认定"
	g.Version = 2
	if err := s.Upsert(ctx, g); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Search(ctx, Request{Query: "报工伤"})
	if err != nil || len(resp.Results) == 0 || resp.Results[0].Title != "工伤认定" {
		t.Errorf("new version not served: %+v %v", resp, err)
	}
	// Through the event log.
	lg, err := eventlog.Open(ctx, sqliteDB(t), eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := mapStore{"SX-GS-002": {Code: "SX-GS-002", Name: "劳动能力鉴定申请", Category: content.CategoryInjury, Summary: "评伤残等级。"}}
	if err := s.Follow(ctx, lg, store); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(content.GuideEvent{Code: "SX-GS-002", Version: 1})
	lg.Publish(ctx, event.Event{Topic: event.GuidePublished, Key: "SX-GS-002", Data: data})
	if got := find("劳动能力鉴定"); len(got) == 0 || got[0] != "SX-GS-002" {
		t.Errorf("after publish event: %v", got)
	}
	lg.Publish(ctx, event.Event{Topic: event.GuideUnpublished, Key: "SX-GS-002", Data: data})
	if got := find("劳动能力鉴定"); contains(got, "SX-GS-002") {
		t.Errorf("after unpublish event: %v", got)
	}
	if err := s.Remove(ctx, "SX-GS-001"); err != nil {
		t.Fatal(err)
	}
	if got := find("工伤认定"); contains(got, "SX-GS-001") {
		t.Errorf("after remove: %v", got)
	}
}

func TestRebuildSwap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	old := fixture()
	if err := s.Rebuild(ctx, old); err != nil {
		t.Fatal(err)
	}
	if !s.Ready() || s.NeedsRebuild() {
		t.Fatal("not ready after rebuild")
	}
	// A bigger corpus in which "社保卡" matches many more guides.
	var next []content.Guide
	for i := range 3000 {
		g := old[i%2]
		g.Code = fmt.Sprintf("T-%04d", i)
		next = append(next, g)
	}
	count := func() int {
		resp, err := s.Search(ctx, Request{Query: fmt.Sprintf("社保卡 %d", 0)})
		if err != nil {
			t.Error(err)
			return -1
		}
		return resp.Total
	}
	before := count()
	var wg sync.WaitGroup
	var done atomic.Bool
	seen := map[int]bool{}
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !done.Load() {
			s.invalidate() // look at the index, not the cache
			n := count()
			mu.Lock()
			seen[n] = true
			mu.Unlock()
		}
	}()
	if err := s.Rebuild(ctx, next); err != nil {
		t.Fatal(err)
	}
	done.Store(true)
	wg.Wait()
	after := count()
	for n := range seen {
		if n != before && n != after {
			t.Errorf("a search saw %d results: neither the old index (%d) nor the new (%d)", n, before, after)
		}
	}
	if after != 3000 {
		t.Errorf("after rebuild: %d results, want 3000", after)
	}
	ds, _ := filepath.Glob(filepath.Join(dir, "index-*"))
	if len(ds) != 1 {
		t.Errorf("index directories after swap: %v", ds)
	}
	s.Close()

	// Reopen: the index is there and current.
	s2 := mustOpen(t, Options{Dir: dir})
	if !s2.Ready() || s2.NeedsRebuild() {
		t.Fatalf("reopen: Ready=%v NeedsRebuild=%v", s2.Ready(), s2.NeedsRebuild())
	}
	resp, err := s2.Search(ctx, Request{Query: "社保卡丢了"})
	if err != nil || resp.Total != 3000 || resp.Results[0].Title != "社会保障卡挂失与解挂" {
		t.Fatalf("reopen search: %v %+v", err, resp)
	}
	// An index of another version is not served.
	s2.mu.RLock()
	s2.idx.SetInternal([]byte(versionKey), []byte("v0-old"))
	s2.mu.RUnlock()
	s2.Close()
	s3 := mustOpen(t, Options{Dir: dir})
	defer s3.Close()
	if s3.Ready() || !s3.NeedsRebuild() {
		t.Fatalf("old version: Ready=%v NeedsRebuild=%v", s3.Ready(), s3.NeedsRebuild())
	}
}

func TestRebuildReplaysChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openFixture(t, nil)
	big := fixture()
	for i := range 2000 {
		g := big[2]
		g.Code = fmt.Sprintf("R-%04d", i)
		big = append(big, g)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Rebuild(ctx, big) }()
	running := func() bool {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		return s.pending != nil
	}
	for !running() {
		time.Sleep(100 * time.Microsecond)
	}
	// A change made while the rebuild runs must survive the swap.
	g := content.Guide{Code: "SX-GS-009", Name: "工伤认定申请", Category: content.CategoryInjury}
	if err := s.Upsert(ctx, g); err != nil {
		t.Fatal(err)
	}
	if !running() {
		t.Skip("the rebuild finished before the change: nothing to replay")
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	resp, err := s.Search(ctx, Request{Query: "工伤认定"})
	if err != nil || len(resp.Results) == 0 || resp.Results[0].Code != "SX-GS-009" {
		t.Fatalf("upsert during rebuild lost: %v %+v", err, resp)
	}
}

func TestSynonymsAdmin(t *testing.T) {
	t.Parallel()
	eachFixture(t, func(t *testing.T, ctx context.Context, d *db.DB, s *Service) {
		lg, err := eventlog.Open(ctx, d, eventlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Follow(ctx, lg, mapStore{}); err != nil {
			t.Fatal(err)
		}
		other, err := Open(ctx, Options{DB: d}) // another replica on the same database
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.Rebuild(ctx, fixture()); err != nil {
			t.Fatal(err)
		}
		otherLog, err := eventlog.Open(ctx, d, eventlog.Options{}) // the other replica's own handle
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Follow(ctx, otherLog, mapStore{}); err != nil {
			t.Fatal(err)
		}

		first := func(s *Service, q string) string {
			resp, err := s.Search(ctx, Request{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Results) == 0 {
				return ""
			}
			return resp.Results[0].Code
		}
		if got := first(s, "岗位没了"); got == "SX-SY-001" {
			t.Fatal("the new term already finds the guide")
		}
		for _, bad := range []Synonym{{Term: "", Expansions: []string{"失业"}}, {Term: "岗位没了"}} {
			if err := s.PutSynonym(ctx, bad); !apperr.Is(err, apperr.SynonymInvalid) {
				t.Errorf("PutSynonym(%+v) = %v, want synonym_invalid", bad, err)
			}
		}
		if err := s.PutSynonym(ctx, Synonym{Term: "岗位没了", Expansions: []string{"失业金"}}); err != nil {
			t.Fatal(err)
		}
		// A loop through the new entry is refused.
		if err := s.PutSynonym(ctx, Synonym{Term: "失业保险金", Expansions: []string{"岗位没了"}}); !apperr.Is(err, apperr.SynonymInvalid) {
			t.Errorf("loop accepted: %v", err)
		}
		if got := first(s, "岗位没了"); got != "SX-SY-001" {
			t.Errorf("synonym not in effect: first %q", got)
		}
		if err := otherLog.Deliver(ctx); err != nil { // what the other replica's poll does
			t.Fatal(err)
		}
		if got := first(other, "岗位没了"); got != "SX-SY-001" {
			t.Errorf("synonym not in effect in the other replica: first %q", got)
		}
		// Defaults can be switched off and listed.
		if err := s.DeleteSynonym(ctx, "产假工资"); err != nil {
			t.Fatal(err)
		}
		list, err := s.Synonyms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var found, off bool
		for _, e := range list {
			if e.Term == "岗位没了" && e.Source == SourceEditor {
				found = true
			}
			if e.Term == "产假工资" && e.Disabled {
				off = true
			}
		}
		if !found || !off {
			t.Errorf("Synonyms(): editor entry %v, disabled default %v", found, off)
		}
		if err := s.DeleteSynonym(ctx, "岗位没了"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSynonym(ctx, "没有这个词"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("delete unknown: %v", err)
		}
		if got := first(s, "岗位没了"); got == "SX-SY-001" {
			t.Errorf("deleted synonym still in effect")
		}
		// One bad entry that reached the table another way never breaks search.
		for _, q := range []string{`INSERT INTO search_synonyms (term, expansions, disabled, updated_at) VALUES ('环一', '["环二"]', 0, 0)`,
			`INSERT INTO search_synonyms (term, expansions, disabled, updated_at) VALUES ('环二', '["环一"]', 0, 0)`,
			`INSERT INTO search_synonyms (term, expansions, disabled, updated_at) VALUES ('坏', 'not json', 0, 0)`,
			`INSERT INTO search_synonyms (term, expansions, disabled, updated_at) VALUES ('空', '[]', 0, 0)`} {
			if _, err := d.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.reloadSynonyms(ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"环一 社保卡丢了", "坏 空"} {
			if _, err := s.Search(ctx, Request{Query: q}); err != nil {
				t.Errorf("search with bad synonyms %q: %v", q, err)
			}
		}
		if got := first(s, "环一 社保卡丢了"); got != "SX-SBK-003" {
			t.Errorf("search with a looping synonym: first %q", got)
		}
	})
}

func TestBestBets(t *testing.T) {
	t.Parallel()
	eachFixture(t, func(t *testing.T, ctx context.Context, d *db.DB, s *Service) {
		if err := s.PutBestBet(ctx, BestBet{Query: "卡丢了怎么办", Code: "SX-SBK-004"}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutBestBet(ctx, BestBet{Query: "卡丢了", Code: "NOPE"}); !apperr.Is(err, apperr.GuideNotFound) {
			t.Errorf("pin unknown guide: %v", err)
		}
		if err := s.PutBestBet(ctx, BestBet{Query: " ", Code: "SX-SBK-004"}); !apperr.Is(err, apperr.InvalidParameter) {
			t.Errorf("pin empty query: %v", err)
		}
		// Filler does not matter: 请问卡丢了 is the same query.
		resp, err := s.Search(ctx, Request{Query: "请问卡丢了"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Results) < 2 || resp.Results[0].Code != "SX-SBK-004" || !resp.Results[0].Pinned || resp.Results[1].Pinned {
			t.Fatalf("pinned result not first: %+v", resp.Results)
		}
		n := 0
		for _, r := range resp.Results {
			if r.Code == "SX-SBK-004" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("pinned guide listed %d times", n)
		}
		// A filter the pinned guide does not pass hides it.
		resp, _ = s.Search(ctx, Request{Query: "卡丢了", Category: "pension"})
		for _, r := range resp.Results {
			if r.Pinned {
				t.Errorf("pinned guide shown despite the filter: %+v", r)
			}
		}
		bets, err := s.BestBets(ctx)
		if err != nil || len(bets) != 1 || bets[0].Code != "SX-SBK-004" {
			t.Fatalf("BestBets() = %+v, %v", bets, err)
		}
		if err := s.DeleteBestBet(ctx, "卡丢了", "SX-SBK-004"); err != nil {
			t.Fatal(err)
		}
		resp, _ = s.Search(ctx, Request{Query: "卡丢了"})
		if len(resp.Results) > 0 && resp.Results[0].Pinned {
			t.Errorf("still pinned after delete")
		}
	})
}

func TestQueryLogMasksPII(t *testing.T) {
	t.Parallel()
	eachFixture(t, func(t *testing.T, ctx context.Context, d *db.DB, s *Service) {
		q := "我的身份证号是61010219900101123X，手机１３９１２３４５６７８，卡号6222 0212 3456 7890，社保卡丢了"
		resp, err := s.Search(ctx, Request{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.qlog.flush(ctx); err != nil {
			t.Fatal(err)
		}
		var stored, corrected string
		if err := d.QueryRow(ctx, `SELECT query, corrected FROM search_queries WHERE id = ?`, resp.QueryID).Scan(&stored, &corrected); err != nil {
			t.Fatal(err)
		}
		digits := regexp.MustCompile(`\d{7,}|[１-９]{7,}`)
		for _, s := range []string{stored, corrected} {
			if digits.MatchString(strings.ReplaceAll(s, " ", "")) || strings.Contains(s, "1123") || strings.Contains(s, "3456") {
				t.Errorf("stored query holds personal data: %q", s)
			}
		}
		if !strings.Contains(stored, "[身份证号]") || !strings.Contains(stored, "[手机号]") || !strings.Contains(stored, "[银行卡号]") || !strings.Contains(stored, "社保卡丢了") {
			t.Errorf("stored query = %q", stored)
		}
	})
}

// No personal number, in any form people type or say it, reaches the query-log table: neither
// the query nor its corrected form (#18.5). The queries hold no other digit characters, so any
// digit stored is a leak.
func TestQueryLogMasksGeneratedNumbers(t *testing.T) {
	t.Parallel()
	eachFixture(t, func(t *testing.T, ctx context.Context, d *db.DB, s *Service) {
		rng := rand.New(rand.NewPCG(18, 5))
		queries := []string{
			"六一零一零二一九五三零三零五零零一九 社保卡挂矢了",
			"610102.19530305.0019社保卡挂矢",
			"幺三八幺二三四五六七八 养老金怎么领",
		}
		frames := [][2]string{{"社保卡挂矢了", ""}, {"我的身份证", "退休金怎么领"}, {"", " 失业金"}, {"电话", "生育津贴"}}
		for i := 0; i < 80; i++ {
			f := frames[i%len(frames)]
			queries = append(queries, f[0]+piitest.Generate(rng).Text+f[1])
		}
		corrected := 0
		for _, q := range queries {
			resp, err := s.Search(ctx, Request{Query: q})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			if resp.CorrectedQuery != "" {
				corrected++
			}
		}
		if corrected == 0 {
			t.Fatal("no query was corrected: the corrected form is not tested")
		}
		if err := s.qlog.flush(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Query(ctx, `SELECT query, corrected FROM search_queries`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var query, corr string
			if err := rows.Scan(&query, &corr); err != nil {
				t.Fatal(err)
			}
			n++
			if piitest.Leaked(query) || piitest.Leaked(corr) {
				t.Errorf("query log holds personal data: %q / %q", query, corr)
			}
		}
		if n == 0 {
			t.Fatal("nothing logged")
		}
	})
}

func TestReport(t *testing.T) {
	t.Parallel()
	eachFixture(t, func(t *testing.T, ctx context.Context, d *db.DB, s *Service) {
		from := time.Now().Add(-time.Minute)
		ids := map[string][]string{}
		for _, q := range []string{"社保卡丢了", "社保卡丢了", "社保卡丢了", "失业金", "失业金", "火星移民", "火星移民", "量子纠缠"} {
			resp, err := s.Search(ctx, Request{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			ids[q] = append(ids[q], resp.QueryID)
		}
		if err := s.Click(ctx, ids["失业金"][0], "SX-SY-001"); err != nil {
			t.Fatal(err)
		}
		if err := s.Click(ctx, ids["失业金"][1], "SX-SY-001"); err != nil {
			t.Fatal(err)
		}
		if err := s.Click(ctx, ids["社保卡丢了"][0], "SX-SBK-003"); err != nil {
			t.Fatal(err)
		}
		if err := s.Click(ctx, "not-an-id", "SX-SBK-003"); !apperr.Is(err, apperr.InvalidParameter) {
			t.Errorf("click with a bad id: %v", err)
		}
		rep, err := s.Report(ctx, from, time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Queries != 8 || rep.ZeroResult != 3 || rep.NoClick != 2 {
			t.Errorf("report totals: queries %d zero %d noclick %d, want 8 3 2", rep.Queries, rep.ZeroResult, rep.NoClick)
		}
		want := func(name string, got []QueryCount, exp []QueryCount) {
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Errorf("%s = %v, want %v", name, got, exp)
			}
		}
		want("top", rep.Top, []QueryCount{{"社保卡丢了", 3}, {"失业金", 2}, {"火星移民", 2}, {"量子纠缠", 1}})
		want("zero", rep.ZeroResults, []QueryCount{{"火星移民", 2}, {"量子纠缠", 1}})
		want("no click", rep.NoClicks, []QueryCount{{"社保卡丢了", 2}})
		// Another period is empty.
		rep, err = s.Report(ctx, from.Add(-time.Hour), from)
		if err != nil || rep.Queries != 0 {
			t.Errorf("empty period: %+v %v", rep, err)
		}
		if _, err := s.Report(ctx, from, from); !apperr.Is(err, apperr.InvalidParameter) {
			t.Errorf("empty range: %v", err)
		}
	})
}

// TestOpenMigrates checks the migrations on both dialects and that reopening is harmless.
func TestOpenMigrates(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, d *db.DB) {
		for range 2 {
			s := mustOpen(t, Options{DB: d})
			s.Close()
		}
		ok, err := d.UpToDate(context.Background(), "search", Migrations())
		if err != nil || !ok {
			t.Fatalf("UpToDate = %v, %v", ok, err)
		}
	})
}

var _ = bleve.NewMatchAllQuery
var _ = os.Getenv

// An index rebuilt on disk from more guides than one batch is merged into one segment, and
// searches work on it.
func TestRebuildMergesOnDisk(t *testing.T) {
	t.Parallel()
	guides := genCorpus(seedGuides(t), 1100, rand.New(rand.NewPCG(7, 8)))
	s := mustOpen(t, Options{Dir: t.TempDir()})
	defer s.Close()
	if err := s.Rebuild(context.Background(), guides); err != nil {
		t.Fatal(err)
	}
	is, _ := s.idx.StatsMap()["index"].(map[string]any)
	if n, _ := is["TotFileSegmentsAtRoot"].(uint64); n != 1 {
		t.Errorf("segments after rebuild: %v (%T), want 1", is["TotFileSegmentsAtRoot"], is["TotFileSegmentsAtRoot"])
	}
	resp, err := s.Search(context.Background(), Request{Query: "社保卡丢了"})
	if err != nil || len(resp.Results) == 0 || !strings.Contains(resp.Results[0].Title, "挂失") {
		t.Errorf("search after merge: %+v, %v", resp, err)
	}
}
