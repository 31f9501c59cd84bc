package search

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/pii"
	"shebao/internal/spoken"
)

// logRecord is one query-log write: a search, a click or a flush marker.
type logRecord struct {
	id, query, corrected string
	results              int
	at                   time.Time
	click                string // guide code for a click
	flushed              chan struct{}
}

// queryLog writes the query log in the background, in batches, so a search never waits for the
// database. Records are masked before they are queued.
type queryLog struct {
	db      *db.DB
	log     *slog.Logger
	ch      chan logRecord
	done    chan struct{}
	dropped atomic.Int64
	once    sync.Once
}

func newQueryLog(d *db.DB, log *slog.Logger, buffer int) *queryLog {
	q := &queryLog{db: d, log: log, ch: make(chan logRecord, buffer), done: make(chan struct{})}
	go q.run()
	return q
}

// newLogRecord is the log record of a search made now, masked, with its query id.
func newLogRecord(query, corrected string, results int) logRecord {
	r := logRecord{query: pii.String(query), corrected: maskCorrected(query, corrected), results: results, at: time.Now()}
	r.id = newQueryID(r.at, r.query, r.corrected, results)
	return r
}

// maskCorrected masks the corrected form of a query. A correction may change characters inside
// a personal number (a Chinese digit taken for a typo: 零 → 领) so that the masker no longer
// sees all of it: when the query held personal data and the correction touched a digit, the
// corrected form is not kept.
func maskCorrected(query, corrected string) string {
	if corrected == "" {
		return ""
	}
	if q := pii.Mask(query); len(q.Found) > 0 && !sameDigits(query, corrected) {
		return ""
	}
	return pii.String(corrected)
}

// sameDigits reports whether a and b hold the same characters that can be digits (Arabic or
// Chinese), in the same order.
func sameDigits(a, b string) bool {
	next := func(s string) (rune, string) {
		for i, r := range s {
			if _, ok := spoken.Digit(r); ok {
				return r, s[i+utf8.RuneLen(r):]
			}
		}
		return -1, ""
	}
	for {
		var ra, rb rune
		ra, a = next(a)
		rb, b = next(b)
		if ra != rb {
			return false
		}
		if ra < 0 {
			return true
		}
	}
}

func (q *queryLog) send(r logRecord) {
	defer func() { recover() }() // closed during shutdown: drop
	select {
	case q.ch <- r:
	default:
		if q.dropped.Add(1)%1000 == 1 {
			q.log.Warn("search query log is behind; records dropped", "dropped", q.dropped.Load())
		}
	}
}

// flush waits until everything queued before it is written.
func (q *queryLog) flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case q.ch <- logRecord{flushed: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *queryLog) close() error {
	q.once.Do(func() { close(q.ch) })
	<-q.done
	return nil
}

func (q *queryLog) run() {
	defer close(q.done)
	var batch []logRecord
	var waiters []chan struct{}
	write := func() {
		if len(batch) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := q.write(ctx, batch); err != nil {
				q.log.Error("search query log write failed", "records", len(batch), "err", err)
			}
			cancel()
			batch = batch[:0]
		}
		for _, w := range waiters {
			close(w)
		}
		waiters = waiters[:0]
	}
	// Batches commit once a second or every 2048 records: each commit writes its pages to the
	// WAL, so fewer, larger commits cost far less I/O under load.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-q.ch:
			if !ok {
				write()
				return
			}
			if r.flushed != nil {
				waiters = append(waiters, r.flushed)
				write()
				continue
			}
			batch = append(batch, r)
			if len(batch) >= 2048 {
				write()
			}
		case <-tick.C:
			write()
		}
	}
}

func (q *queryLog) write(ctx context.Context, batch []logRecord) error {
	// Identical searches of the same second share an id: one row counts them.
	type counted struct {
		r logRecord
		n int
	}
	var rows []*counted
	byID := map[string]*counted{}
	for _, r := range batch {
		if r.click != "" {
			continue
		}
		if c := byID[r.id]; c != nil {
			c.n++
			continue
		}
		c := &counted{r, 1}
		byID[r.id] = c
		rows = append(rows, c)
	}
	return q.db.InTx(ctx, func(tx *db.Tx) error {
		// Multi-row upserts: one statement per chunk costs far less than one per row. A second
		// split across two batches adds to its row. Clicks follow, so a click on a search in the
		// same batch finds its row.
		const chunk = 100
		for len(rows) > 0 {
			n := min(len(rows), chunk)
			var sb strings.Builder
			sb.WriteString(`INSERT INTO search_queries (id, created_at, query, corrected, results, searches) VALUES `)
			args := make([]any, 0, n*6)
			for i, c := range rows[:n] {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?)")
				args = append(args, c.r.id, c.r.at.Truncate(time.Second).UnixMilli(), c.r.query, c.r.corrected, c.r.results, c.n)
			}
			sb.WriteString(` ON CONFLICT (id) DO UPDATE SET searches = search_queries.searches + excluded.searches`)
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
			rows = rows[n:]
		}
		for _, r := range batch {
			if r.click == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE search_queries SET clicks = clicks + 1 WHERE id = ? AND clicks < searches`, r.id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Click records that the user opened guide code from the results of query queryID (POST
// /api/v1/search/click, or a query id passed along with the guide request). A query id counts at
// most one click per search made under it (identical searches in one second share an id); an
// unknown query id is ignored.
func (s *Service) Click(ctx context.Context, queryID, code string) error {
	if len(queryID) != 24 || strings.Trim(queryID, "0123456789abcdef") != "" {
		return apperr.New(apperr.InvalidParameter, "query_id 不正确。")
	}
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return apperr.New(apperr.InvalidParameter, "code 不正确。")
	}
	if s.qlog != nil {
		s.qlog.send(logRecord{id: queryID, click: code, at: time.Now()})
	}
	return nil
}

// Report is the 办事堵点 report for editors: what people search for, where search finds nothing,
// and where it finds something nobody opens.
type Report struct {
	From        time.Time    `json:"from"`
	To          time.Time    `json:"to"`
	Queries     int          `json:"queries"`      // searches in the period
	ZeroResult  int          `json:"zero_result"`  // searches that found nothing
	NoClick     int          `json:"no_click"`     // searches with results where nothing was opened
	Top         []QueryCount `json:"top"`          // most frequent queries
	ZeroResults []QueryCount `json:"zero_results"` // most frequent queries that found nothing
	NoClicks    []QueryCount `json:"no_clicks"`    // most frequent queries with results but no click
}

// QueryCount is a query (masked, normalised) and how often it was searched.
type QueryCount struct {
	Query string `json:"query"`
	Count int    `json:"count"`
}

// reportRows is the length of each list in a report.
const reportRows = 50

// Report summarises the query log for searches made in [from, to).
func (s *Service) Report(ctx context.Context, from, to time.Time) (*Report, error) {
	if s.db == nil {
		return nil, fmt.Errorf("search: the report needs a database")
	}
	if !to.After(from) {
		return nil, apperr.New(apperr.InvalidParameter, "结束时间应晚于开始时间。")
	}
	if s.qlog != nil {
		if err := s.qlog.flush(ctx); err != nil {
			return nil, err
		}
	}
	r := &Report{From: from, To: to}
	// Searches are counted per second: a second counts when it starts in [from, to).
	f, t := from.Truncate(time.Second).UnixMilli(), to.UnixMilli()
	// Query ids start with the second they were made in (newQueryID), so the primary key bounds
	// the scan; created_at then cuts to the millisecond. No separate time index is kept, which
	// makes every logged search cheaper.
	lo, hi := idBound(from), idBound(to.Add(time.Second))
	err := s.db.QueryRow(ctx, `SELECT coalesce(sum(searches), 0),
		coalesce(sum(CASE WHEN results = 0 THEN searches ELSE 0 END), 0),
		coalesce(sum(CASE WHEN results > 0 THEN searches - clicks ELSE 0 END), 0)
		FROM search_queries WHERE id >= ? AND id < ? AND created_at >= ? AND created_at < ?`, lo, hi, f, t).Scan(&r.Queries, &r.ZeroResult, &r.NoClick)
	if err != nil {
		return nil, fmt.Errorf("search report: %w", err)
	}
	list := func(count, cond string) ([]QueryCount, error) {
		rows, err := s.db.Query(ctx, `SELECT query, sum(`+count+`) AS n FROM search_queries
			WHERE id >= ? AND id < ? AND created_at >= ? AND created_at < ?`+cond+`
			GROUP BY query HAVING sum(`+count+`) > 0 ORDER BY n DESC, query LIMIT ?`, lo, hi, f, t, reportRows)
		if err != nil {
			return nil, fmt.Errorf("search report: %w", err)
		}
		return db.AppendRows([]QueryCount{}, rows, func(r db.Scanner, qc *QueryCount) error {
			return r.Scan(&qc.Query, &qc.Count)
		})
	}
	if r.Top, err = list("searches", ""); err != nil {
		return nil, err
	}
	if r.ZeroResults, err = list("searches", " AND results = 0"); err != nil {
		return nil, err
	}
	if r.NoClicks, err = list("searches - clicks", " AND results > 0"); err != nil {
		return nil, err
	}
	return r, nil
}

// idBound is a lower bound of the query ids made in the second of t and an upper bound of those
// made before it (see newQueryID).
func idBound(t time.Time) string {
	return fmt.Sprintf("%08x", uint32(t.Unix()))
}

// PruneQueryLog deletes logged searches older than before, so the log keeps a bounded window
// (the 办事堵点 report looks back weeks, not years). It returns how many were deleted.
func (s *Service) PruneQueryLog(ctx context.Context, before time.Time) (int64, error) {
	if s.db == nil {
		return 0, nil
	}
	res, err := s.db.Exec(ctx, `DELETE FROM search_queries WHERE id < ?`, idBound(before))
	if err != nil {
		return 0, fmt.Errorf("prune search query log: %w", err)
	}
	return res.RowsAffected()
}
