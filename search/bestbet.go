package search

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// BestBet pins a guide to a query: for that query (after normalisation, correction and filler
// stripping, so 社保卡丢了怎么办 and 社保卡丢了 are the same) the guide comes first, marked pinned.
type BestBet struct {
	Query     string    `json:"query"`
	Code      string    `json:"code"`
	Position  int       `json:"position"` // order among the query's pinned guides, from 1
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// bestBets is the table in memory, by canonical query key; immutable once built.
type bestBets struct {
	byKey map[string][]string
}

func (b *bestBets) forKey(k string) []string {
	if b == nil || b.byKey == nil {
		return nil
	}
	return b.byKey[k]
}

// queryKey is the canonical form of a query, as Search computes it.
func (s *Service) queryKey(q string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return analyze(s.lx, s.vocab, s.syn.Load(), sanitize(q)).key
}

// BestBets lists every pinned guide, by query and position.
func (s *Service) BestBets(ctx context.Context) ([]BestBet, error) {
	if s.db == nil {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT query, code, position, created_at FROM search_best_bets ORDER BY query, position, code`)
	if err != nil {
		return nil, fmt.Errorf("read best bets: %w", err)
	}
	return db.AppendRows(nil, rows, func(r db.Scanner, b *BestBet) error {
		var at int64
		err := r.Scan(&b.Query, &b.Code, &b.Position, &at)
		b.CreatedAt = time.UnixMilli(at).UTC()
		return err
	})
}

// PutBestBet pins a guide to a query (or moves it to another position). The guide must be in the
// index.
func (s *Service) PutBestBet(ctx context.Context, b BestBet) error {
	if s.db == nil {
		return errors.New("search: best bets need a database")
	}
	b.Query = strings.TrimSpace(sanitize(b.Query))
	b.Code = strings.TrimSpace(b.Code)
	if b.Query == "" {
		return apperr.New(apperr.InvalidParameter, "请填写要置顶的搜索词。")
	}
	if utf8.RuneCountInString(b.Query) > 100 {
		return apperr.New(apperr.InvalidParameter, "搜索词太长。")
	}
	s.mu.RLock()
	_, known := s.entries[b.Code]
	s.mu.RUnlock()
	if !known {
		return apperr.New(apperr.GuideNotFound, "要置顶的办事指南不存在或未发布。")
	}
	if b.Position <= 0 {
		b.Position = 1
	}
	key := s.queryKey(b.Query)
	return s.execChanged(ctx, "save best bet", `INSERT INTO search_best_bets (query_key, query, code, position, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (query_key, code) DO UPDATE SET query = excluded.query, position = excluded.position`,
		key, b.Query, b.Code, b.Position, time.Now().UnixMilli())
}

// DeleteBestBet unpins a guide from a query.
func (s *Service) DeleteBestBet(ctx context.Context, query, code string) error {
	if s.db == nil {
		return errors.New("search: best bets need a database")
	}
	return s.deleteChanged(ctx, "delete best bet", "没有这条置顶。",
		`DELETE FROM search_best_bets WHERE query_key = ? AND code = ?`, s.queryKey(query), code)
}

func (s *Service) reloadBestBets(ctx context.Context) error {
	if s.db == nil {
		return nil
	}
	rows, err := s.db.Query(ctx, `SELECT query_key, code, position FROM search_best_bets`)
	if err != nil {
		return fmt.Errorf("read best bets: %w", err)
	}
	defer rows.Close()
	type pin struct {
		code string
		pos  int
	}
	m := map[string][]pin{}
	for rows.Next() {
		var k string
		var p pin
		if err := rows.Scan(&k, &p.code, &p.pos); err != nil {
			return fmt.Errorf("read best bets: %w", err)
		}
		m[k] = append(m[k], p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	b := &bestBets{byKey: map[string][]string{}}
	for k, ps := range m {
		sort.Slice(ps, func(i, j int) bool { return ps[i].pos < ps[j].pos || ps[i].pos == ps[j].pos && ps[i].code < ps[j].code })
		for _, p := range ps {
			b.byKey[k] = append(b.byKey[k], p.code)
		}
	}
	s.bets.Store(b)
	s.invalidate()
	return nil
}
