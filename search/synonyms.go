package search

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
	"shebao/internal/db"
)

// Synonym maps a word people say (Term) to the words the guides use (Expansions): 退休金 →
// 养老金. A query containing the term also matches its expansions, with a little less weight.
type Synonym struct {
	Term       string    `json:"term"`
	Expansions []string  `json:"expansions"`
	Source     string    `json:"source"`             // "default" (shipped in data/synonyms.txt) or "editor"
	Disabled   bool      `json:"disabled,omitempty"` // a default an editor switched off
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Synonym sources.
const (
	SourceDefault = "default"
	SourceEditor  = "editor"
)

// Limits on the synonym table.
const (
	maxSynonymTerms = 20 // a term with everything it expands to, transitively
	maxSynonymRunes = 20 // length of one term or expansion
)

// parseSynonyms reads the shipped table: "term => a, b" per line.
func parseSynonyms(s string) ([]Synonym, error) {
	var out []Synonym
	for _, l := range lines(s) {
		term, rest, ok := strings.Cut(l, "=>")
		if !ok {
			return nil, fmt.Errorf("line %q: want \"term => expansion, …\"", l)
		}
		syn := Synonym{Term: strings.TrimSpace(term), Source: SourceDefault}
		for _, e := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			if e = strings.TrimSpace(e); e != "" {
				syn.Expansions = append(syn.Expansions, e)
			}
		}
		out = append(out, syn)
	}
	return out, nil
}

// synonymTable is the effective table: defaults overlaid by editors' entries. It is immutable
// once built; a change builds a new one and swaps it in.
type synonymTable struct {
	byTerm  map[string][]string
	maxRune int
}

// expansion is one word a term expands to, with its weight: 1 for the term itself, less for
// each step away.
type expansion struct {
	text   string
	weight float64
}

func newSynonymTable(entries []Synonym) *synonymTable {
	t := &synonymTable{byTerm: map[string][]string{}}
	for _, e := range entries {
		if e.Disabled || e.Term == "" || len(e.Expansions) == 0 {
			continue
		}
		t.byTerm[e.Term] = e.Expansions
		t.maxRune = max(t.maxRune, utf8.RuneCountInString(e.Term))
	}
	return t
}

// termsIn returns the terms of two or more characters that occur in text, longest first at
// each position, without overlaps.
func (t *synonymTable) termsIn(text string) []string {
	var out []string
	rs := []rune(text)
	for i := 0; i < len(rs); {
		n := 0
		for l := min(t.maxRune, len(rs)-i); l >= 2; l-- {
			if t.has(string(rs[i : i+l])) {
				n = l
				break
			}
		}
		if n == 0 {
			i++
			continue
		}
		out = append(out, string(rs[i:i+n]))
		i += n
	}
	return out
}

// has reports whether w is a term of the table.
func (t *synonymTable) has(w string) bool { _, ok := t.byTerm[w]; return ok }

// expand returns term and everything it expands to, breadth first, without repeats and at most
// maxSynonymTerms in all. Loops and oversized entries that reached the database some other way
// are cut here, so one bad entry never breaks a search.
func (t *synonymTable) expand(term string) []expansion {
	out := []expansion{{term, 1}}
	seen := map[string]bool{term: true}
	for i := 0; i < len(out) && len(out) < maxSynonymTerms; i++ {
		for _, e := range t.byTerm[out[i].text] {
			if seen[e] || e == "" {
				continue
			}
			seen[e] = true
			out = append(out, expansion{e, out[i].weight * rank.synonymStep})
			if len(out) == maxSynonymTerms {
				break
			}
		}
	}
	return out
}

// checkSynonym normalises s and checks it against the table it would join (entries, which may
// hold an older version of the same term). It returns a synonym_invalid error with the reason.
func checkSynonym(lx *lexicon, entries []Synonym, s Synonym) (Synonym, error) {
	invalid := func(msg string) error { return apperr.New(apperr.SynonymInvalid, msg) }
	s.Term = strings.ReplaceAll(lx.normalize(sanitize(s.Term)), " ", "")
	if s.Term == "" {
		return s, invalid("同义词的词条不能为空。")
	}
	if utf8.RuneCountInString(s.Term) > maxSynonymRunes {
		return s, invalid(fmt.Sprintf("词条不能超过%d个字。", maxSynonymRunes))
	}
	var exps []string
	for _, e := range s.Expansions {
		e = strings.ReplaceAll(lx.normalize(sanitize(e)), " ", "")
		if e == "" {
			continue
		}
		if utf8.RuneCountInString(e) > maxSynonymRunes {
			return s, invalid(fmt.Sprintf("同义词“%s”不能超过%d个字。", e, maxSynonymRunes))
		}
		if e == s.Term {
			return s, invalid(fmt.Sprintf("“%s”不能是它自己的同义词。", e))
		}
		if !contains(exps, e) {
			exps = append(exps, e)
		}
	}
	if len(exps) == 0 {
		return s, invalid("请至少填写一个同义词。")
	}
	if len(exps) >= maxSynonymTerms {
		return s, invalid(fmt.Sprintf("一个词条最多%d个同义词。", maxSynonymTerms-1))
	}
	s.Expansions = exps
	s.Disabled = false
	next := make([]Synonym, 0, len(entries)+1)
	for _, e := range entries {
		if e.Term != s.Term {
			next = append(next, e)
		}
	}
	next = append(next, s)
	t := newSynonymTable(next)
	if path := t.loopFrom(s.Term); path != nil {
		return s, invalid("同义词形成循环：" + strings.Join(path, " → ") + "。")
	}
	if n := len(t.expand(s.Term)); n >= maxSynonymTerms {
		return s, invalid(fmt.Sprintf("“%s”连同它展开的词超过%d个，请精简。", s.Term, maxSynonymTerms))
	}
	// A term that others expand to must not push them over the limit either.
	for term := range t.byTerm {
		if term != s.Term && len(t.expand(term)) >= maxSynonymTerms {
			return s, invalid(fmt.Sprintf("加入后“%s”展开的词超过%d个，请精简。", term, maxSynonymTerms))
		}
	}
	return s, nil
}

// loopFrom returns a path from start back to start, if there is one.
func (t *synonymTable) loopFrom(start string) []string {
	var path []string
	onPath := map[string]bool{}
	done := map[string]bool{}
	var visit func(w string) bool
	visit = func(w string) bool {
		path = append(path, w)
		onPath[w] = true
		for _, e := range t.byTerm[w] {
			if e == start {
				path = append(path, e)
				return true
			}
			if !onPath[e] && !done[e] && visit(e) {
				return true
			}
		}
		onPath[w] = false
		done[w] = true
		path = path[:len(path)-1]
		return false
	}
	if visit(start) {
		return path
	}
	return nil
}

// Synonyms returns the effective synonym table, defaults and editors' entries, sorted by term;
// defaults an editor switched off are listed with Disabled set.
func (s *Service) Synonyms(ctx context.Context) ([]Synonym, error) {
	rows, err := s.synonymRows(ctx)
	if err != nil {
		return nil, err
	}
	return mergeSynonyms(s.lx.defaults, rows), nil
}

func mergeSynonyms(defaults, rows []Synonym) []Synonym {
	byTerm := map[string]Synonym{}
	for _, d := range defaults {
		byTerm[d.Term] = d
	}
	for _, r := range rows {
		if r.Disabled {
			if d, ok := byTerm[r.Term]; ok {
				d.Disabled = true
				d.UpdatedAt = r.UpdatedAt
				byTerm[r.Term] = d
			}
			continue
		}
		byTerm[r.Term] = r
	}
	out := make([]Synonym, 0, len(byTerm))
	for _, v := range byTerm {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Term < out[j].Term })
	return out
}

// PutSynonym adds or replaces an editor's entry (an entry for a default term overrides it). It
// takes effect at once in this process, and in other replicas through the synonyms-changed event.
func (s *Service) PutSynonym(ctx context.Context, syn Synonym) error {
	current, err := s.Synonyms(ctx)
	if err != nil {
		return err
	}
	syn, err = checkSynonym(s.lx, current, syn)
	if err != nil {
		return err
	}
	exps, _ := json.Marshal(syn.Expansions)
	return s.execChanged(ctx, "save synonym", `INSERT INTO search_synonyms (term, expansions, disabled, updated_at) VALUES (?, ?, 0, ?)
		ON CONFLICT (term) DO UPDATE SET expansions = excluded.expansions, disabled = 0, updated_at = excluded.updated_at`,
		syn.Term, string(exps), time.Now().UnixMilli())
}

// DeleteSynonym removes an editor's entry, or switches a default off.
func (s *Service) DeleteSynonym(ctx context.Context, term string) error {
	term = strings.ReplaceAll(s.lx.normalize(sanitize(term)), " ", "")
	isDefault := false
	for _, d := range s.lx.defaults {
		if d.Term == term {
			isDefault = true
		}
	}
	if isDefault {
		return s.execChanged(ctx, "switch off synonym", `INSERT INTO search_synonyms (term, expansions, disabled, updated_at) VALUES (?, '[]', 1, ?)
			ON CONFLICT (term) DO UPDATE SET disabled = 1, updated_at = excluded.updated_at`, term, time.Now().UnixMilli())
	}
	return s.deleteChanged(ctx, "delete synonym", "没有这个同义词条。", `DELETE FROM search_synonyms WHERE term = ?`, term)
}

// execChanged runs one statement of an editor's synonym or best-bet change in the transaction that
// announces it; what names the change in the error.
func (s *Service) execChanged(ctx context.Context, what, q string, args ...any) error {
	return s.synonymsChanged(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// deleteChanged is execChanged for a delete, which is not_found (with the Chinese message
// missing) when it removes nothing.
func (s *Service) deleteChanged(ctx context.Context, what, missing, q string, args ...any) error {
	return s.synonymsChanged(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, missing)
		}
		return nil
	})
}

func (s *Service) synonymRows(ctx context.Context) ([]Synonym, error) {
	rows, err := s.db.Query(ctx, `SELECT term, expansions, disabled, updated_at FROM search_synonyms ORDER BY term`)
	if err != nil {
		return nil, fmt.Errorf("read synonyms: %w", err)
	}
	return db.AppendRows(nil, rows, func(rs db.Scanner, r *Synonym) error {
		var exps string
		var disabled int
		var at int64
		if err := rs.Scan(&r.Term, &exps, &disabled, &at); err != nil {
			return fmt.Errorf("read synonyms: %w", err)
		}
		if err := json.Unmarshal([]byte(exps), &r.Expansions); err != nil {
			s.log.Warn("search: unreadable synonym row skipped", "term", r.Term, "err", err)
			return db.SkipRow
		}
		r.Disabled, r.Source, r.UpdatedAt = disabled != 0, SourceEditor, time.UnixMilli(at).UTC()
		return nil
	})
}

// reloadSynonyms rebuilds the effective table from the defaults and the database.
func (s *Service) reloadSynonyms(ctx context.Context) error {
	entries := s.lx.defaults
	if s.db != nil {
		all, err := s.Synonyms(ctx)
		if err != nil {
			return err
		}
		entries = all
	}
	s.syn.Store(newSynonymTable(entries))
	s.invalidate()
	return nil
}

// GuideTerms returns the terms of the synonym table found in text, each with the first word the
// guides use for it ({媳妇, 配偶}, {退休工资, 养老金}): what a question says in people's words and
// how the guides say it, for a reader that matches words as written (the assistant's passage
// ranking). Terms are matched as search matches them: two or more characters, the longest at each
// position.
func (s *Service) GuideTerms(text string) [][2]string {
	t := s.syn.Load()
	var out [][2]string
	for _, term := range t.termsIn(text) {
		out = append(out, [2]string{term, t.byTerm[term][0]})
	}
	return out
}
