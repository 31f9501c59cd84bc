package assistant

import (
	"context"
	"fmt"
	"time"
)

// UnansweredGuide is one line of the 办事堵点 report's chat part: the questions the guides could
// not answer whose closest guide was Code ("" when no guide was found), how often, and the most
// recent of them (masked, as stored).
type UnansweredGuide struct {
	Code      string   `json:"code"`
	Count     int      `json:"count"`
	Questions []string `json:"questions"`
}

// unansweredExamples is how many questions each line of the report shows.
const unansweredExamples = 5

// maxUnansweredChars bounds a stored question (the message itself is capped at 500).
const maxUnansweredChars = 200

// recordUnanswered stores a question the guides could not answer. The question is the masked
// text: no personal number reaches the table.
func (s *store) recordUnanswered(ctx context.Context, code, question string, at time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO assistant_unanswered (guide_code, question, created_at) VALUES (?, ?, ?)`,
		code, excerpt(question, maxUnansweredChars), at.UnixMilli())
	if err != nil {
		return fmt.Errorf("record unanswered: %w", err)
	}
	return nil
}

// Unanswered lists, by closest guide, the chat questions asked in [from, to) that the guides
// could not answer, most frequent guide first.
func (s *Service) Unanswered(ctx context.Context, from, to time.Time) ([]UnansweredGuide, error) {
	rows, err := s.store.db.Query(ctx, `SELECT guide_code, question FROM assistant_unanswered
		WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC`, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("unanswered report: %w", err)
	}
	defer rows.Close()
	byCode := map[string]*UnansweredGuide{}
	var order []*UnansweredGuide
	for rows.Next() {
		var code, q string
		if err := rows.Scan(&code, &q); err != nil {
			return nil, fmt.Errorf("unanswered report: %w", err)
		}
		u := byCode[code]
		if u == nil {
			u = &UnansweredGuide{Code: code, Questions: []string{}}
			byCode[code] = u
			order = append(order, u)
		}
		u.Count++
		if len(u.Questions) < unansweredExamples {
			u.Questions = append(u.Questions, q)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unanswered report: %w", err)
	}
	out := make([]UnansweredGuide, 0, len(order))
	for _, u := range order {
		out = append(out, *u)
	}
	// most frequent first; ties by code for a stable report
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (out[j].Count > out[j-1].Count || out[j].Count == out[j-1].Count && out[j].Code < out[j-1].Code); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}
