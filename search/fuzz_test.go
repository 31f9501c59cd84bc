package search

import (
	"context"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
)

var fuzzService struct {
	once sync.Once
	s    *Service
	err  error
}

// FuzzPipeline feeds arbitrary text through the whole query pipeline and the search: no panic,
// only user errors, and no query slower than 50 ms.
//
//	go test ./search -run '^$' -fuzz FuzzPipeline -fuzztime 60s
func FuzzPipeline(f *testing.F) {
	for _, q := range []string{"社保卡挂矢了", "shebaoka guashi", "sbk", "社保ka", "退休了每年都要做那个认证吗",
		`+-:^*?~"()`, "\u200b\u202e", "ＳＨＥＢＡＯＫＡ", "61010219900101123X", "我想问一下那个就是怎么办吗呢啊",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "嗯嗯嗯嗯嗯", "\xff\xfe", "社保卡 OR 挂失 AND NOT x",
		"shishishishishishishishishishishishishishi", "zhzhzhzhzh", "挂挂挂挂挂挂挂挂挂挂挂挂"} {
		f.Add(q)
	}
	fuzzService.once.Do(func() {
		s, err := Open(context.Background(), Options{})
		if err == nil {
			err = s.Rebuild(context.Background(), fixture())
		}
		fuzzService.s, fuzzService.err = s, err
	})
	if fuzzService.err != nil {
		f.Fatal(fuzzService.err)
	}
	s := fuzzService.s
	s.Search(context.Background(), Request{Query: "社保卡"}) // warm up
	f.Fuzz(func(t *testing.T, q string) {
		start := time.Now()
		resp, err := s.search(context.Background(), Request{Query: q, Limit: 10}, false)
		took := time.Since(start)
		if err != nil {
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("%q: non-user error %v", q, err)
			}
		} else {
			if !utf8.ValidString(resp.Query) || !utf8.ValidString(resp.CorrectedQuery) {
				t.Fatalf("%q: invalid UTF-8 in response", q)
			}
			for _, r := range resp.Results {
				if !utf8.ValidString(r.Snippet) {
					t.Fatalf("%q: invalid UTF-8 snippet", q)
				}
			}
		}
		if _, err := s.Suggest(context.Background(), q, 8); err != nil {
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("%q: suggest: %v", q, err)
			}
		}
		// Wall time on a shared machine includes other processes: a slow query must be slow
		// three times running to count.
		for i := 0; i < 2 && took > 50*time.Millisecond; i++ {
			start := time.Now()
			s.search(context.Background(), Request{Query: q, Limit: 10}, false)
			took = min(took, time.Since(start))
		}
		if took > 50*time.Millisecond {
			t.Fatalf("%q: search took %v", q, took)
		}
	})
}
