package search

import (
	"context"
	"os"
	"testing"
)

// A question about getting something puts the guide that grants it first (#18.11): the queries
// of testdata/search_claim.tsv, each of which must have a matching first result.
func TestClaimQuestions(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/search_claim.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ReadEvalQueries(f)
	if err != nil {
		t.Fatal(err)
	}
	s := openSeeded(t, nil, seedGuides(t))
	for _, q := range qs {
		resp, err := s.Search(context.Background(), Request{Query: q.Query, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		var top []string
		for _, r := range resp.Results {
			top = append(top, r.Title)
		}
		if len(top) == 0 || !titleMatches(top[0], q.Keywords) {
			t.Errorf("%s: first %v, want a title with %v", q.Query, top, q.Keywords)
		}
	}
}

func TestAsksToClaim(t *testing.T) {
	t.Parallel()
	lx, err := sharedLexicon()
	if err != nil {
		t.Fatal(err)
	}
	syn := newSynonymTable(lx.defaults)
	for q, want := range map[string]bool{
		"退休金怎么领":      true,
		"失业金去哪领":      true,
		"生育津贴如何领取":    true,
		"伤残津贴怎么申请":    true,
		"下岗了能领多少钱":    true,
		"城乡居民养老金领取":   true,
		"领了失业金还能交医保吗": false, // done: the question is about 医保
		"领过失业金能再领吗":   true,  // the second 领 asks
		"在领失业金期间生病了":  false,
		"养老金认证怎么弄":    false,
		"社保卡丢了怎么办":    false,
	} {
		words := mergeSynonymTerms(lx.words(lx.stripFrames(lx.normalize(q))), syn)
		if got := asksToClaim(lx, words); got != want {
			t.Errorf("asksToClaim(%s) = %v, want %v (words %q)", q, got, want, words)
		}
	}
}

func TestGrants(t *testing.T) {
	t.Parallel()
	lx, err := sharedLexicon()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"职工基本养老保险待遇申领（办理退休）": true,
		"个人账户一次性支付（含继承）":     true,
		"生育津贴支付":             true,
		"一次性工伤医疗补助金申请":       true,
		"失业保险稳岗返还":           true,
		"医疗费用手工（零星）报销":       true,
		"西安市失业保险金申领（线上办理）":   true,
		"养老金领取资格认证":          false,
		"养老保险待遇暂停与恢复":        false,
		"领取失业保险金人员基本医疗保险费代缴": false,
		"职工基本养老保险关系跨省转移接续":   false,
	} {
		if got := lx.grants(name); got != want {
			t.Errorf("grants(%s) = %v, want %v", name, got, want)
		}
	}
}

// 退休工资领了 and 退休工资领 share an analysed key (了 is a particle) but not an order: the cached
// page of one is not the other's.
func TestClaimIsPartOfTheCacheKey(t *testing.T) {
	t.Parallel()
	s := openSeeded(t, nil, seedGuides(t))
	first := func(q string) string {
		resp, err := s.Search(context.Background(), Request{Query: q, Limit: 1})
		if err != nil || len(resp.Results) == 0 {
			t.Fatalf("%s: %v %+v", q, err, resp)
		}
		return resp.Results[0].Title
	}
	claim := first("退休工资领")
	done := first("退休工资领了")
	if claim == done {
		t.Errorf("退休工资领 and 退休工资领了 both put %s first", claim)
	}
}
