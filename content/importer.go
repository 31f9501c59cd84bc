package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int `json:"created"`   // new guides
	Versions  int `json:"versions"`  // new versions of existing guides
	Unchanged int `json:"unchanged"` // identical to the current version, skipped
}

// Import validates guides as one set and loads them in one transaction: as drafts, or — when
// publish is set and the actor is an admin — published. Nothing is loaded if anything is wrong.
// files names the source file of each guide, for error messages (may be nil).
func (s *Service) Import(ctx context.Context, guides []Guide, files []string, a Actor, publish bool) (ImportResult, error) {
	var res ImportResult
	if publish && !a.Has("admin") {
		return res, apperr.New(apperr.Forbidden, "只有管理员可以在导入时直接发布。")
	}
	known, err := s.codes(ctx)
	if err != nil {
		return res, err
	}
	if err := CheckSet(guides, files, known); err != nil {
		return res, apperr.Wrap(apperr.ImportInvalid, "导入文件校验未通过，未导入任何内容："+err.Error(), err)
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res = ImportResult{}
		for i := range guides {
			g := normalizeForStore(guides[i])
			body, err := json.Marshal(g)
			if err != nil {
				return err
			}
			cur, err := loadGuideRow(ctx, tx, g.Code)
			switch {
			case errors.Is(err, errNotFound):
				if _, err := tx.Exec(ctx, `INSERT INTO guides (code, state, latest_version, created_at, updated_at) VALUES (?, 'draft', 0, ?, ?)`,
					g.Code, fmtTime(now), fmtTime(now)); err != nil {
					return err
				}
				cur = guideRow{Code: g.Code, State: "draft"}
				res.Created++
			case err != nil:
				return err
			default:
				same, err := sameAsLatest(ctx, tx, cur, body)
				if err != nil {
					return err
				}
				if same && (!publish || cur.State == "published") {
					res.Unchanged++
					continue
				}
				if open, err := openWorkingVersion(ctx, tx, g.Code); err != nil {
					return err
				} else if open > 0 {
					return apperr.Newf(apperr.ImportInvalid, "事项 %s 已有未发布的修改（第%d版），请先处理后再导入，未导入任何内容。", g.Code, open)
				}
				res.Versions++
			}
			version := cur.Latest + 1
			status := StatusDraft
			if publish {
				status = StatusPublished
			}
			if _, err := tx.Exec(ctx, `INSERT INTO guide_versions (code, version, status, body, major, change_note, created_by, created_at, edited_by, edited_at)
				VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`, g.Code, version, string(status), string(body), guides[i].ChangeNote,
				a.ID, fmtTime(now), a.ID, fmtTime(now)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE guides SET latest_version = ?, updated_at = ? WHERE code = ?`, version, fmtTime(now), g.Code); err != nil {
				return err
			}
			action := "import_draft"
			if publish {
				action = "import_publish"
				if err := publishInTx(ctx, tx, now, a, g.Code, version, true, guides[i].ChangeNote); err != nil {
					return err
				}
			}
			if err := audit(ctx, tx, now, a, action, "guide", g.Code, version, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	if publish {
		s.deliverAfterCommit(ctx)
	}
	return res, nil
}

// publishInTx makes version the published version of code: the previous published version is
// superseded, public_updated_at moves on a major change, and a guide.published event is queued in
// the same transaction.
func publishInTx(ctx context.Context, tx *db.Tx, now time.Time, a Actor, code string, version int, major bool, note string) error {
	if _, err := tx.Exec(ctx, `UPDATE guide_versions SET status = 'superseded' WHERE code = ? AND status = 'published' AND version <> ?`, code, version); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE guide_versions SET status = 'published', published_by = ?, published_at = ?, major = ?, change_note = ? WHERE code = ? AND version = ?`,
		a.ID, fmtTime(now), boolInt(major), note, code, version); err != nil {
		return err
	}
	q := `UPDATE guides SET state = 'published', published_version = ?, replacement = '', state_reason = '', updated_at = ? WHERE code = ?`
	args := []any{version, fmtTime(now), code}
	if major {
		q = `UPDATE guides SET state = 'published', published_version = ?, replacement = '', state_reason = '', updated_at = ?, public_updated_at = ? WHERE code = ?`
		args = []any{version, fmtTime(now), fmtTime(now), code}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return err
	}
	return enqueue(ctx, tx, now, event.GuidePublished, code, GuideEvent{Code: code, Version: version, Major: major, ChangeNote: note})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// normalizeForStore clears the metadata that the store owns, so imports and exports round-trip.
func normalizeForStore(g Guide) Guide {
	g.Status, g.Version, g.ChangeNote = "", 0, ""
	g.UpdatedAt, g.PublicUpdatedAt = time.Time{}, time.Time{}
	return g
}

type guideRow struct {
	Code      string
	State     string
	Published int // 0 when never published
	Latest    int
}

func loadGuideRow(ctx context.Context, tx *db.Tx, code string) (guideRow, error) {
	var r guideRow
	var pub *int64
	err := tx.QueryRow(ctx, `SELECT code, state, published_version, latest_version FROM guides WHERE code = ?`, code).
		Scan(&r.Code, &r.State, &pub, &r.Latest)
	if noRows(err) {
		return r, errNotFound
	}
	if pub != nil {
		r.Published = int(*pub)
	}
	return r, err
}

func sameAsLatest(ctx context.Context, tx *db.Tx, r guideRow, body []byte) (bool, error) {
	var cur string
	err := tx.QueryRow(ctx, `SELECT body FROM guide_versions WHERE code = ? AND version = ?`, r.Code, r.Latest).Scan(&cur)
	if noRows(err) {
		return false, nil
	}
	return cur == string(body), err
}

// openWorkingVersion returns the version number of a draft, submitted, approved or scheduled
// version of code, or 0 when there is none.
func openWorkingVersion(ctx context.Context, tx *db.Tx, code string) (int, error) {
	var v int
	err := tx.QueryRow(ctx, `SELECT version FROM guide_versions WHERE code = ? AND status IN ('draft','submitted','approved','scheduled') ORDER BY version DESC LIMIT 1`, code).Scan(&v)
	if noRows(err) {
		return 0, nil
	}
	return v, err
}

func (s *Service) codes(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT code FROM guides`)
	if err != nil {
		return nil, fmt.Errorf("list guide codes: %w", err)
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		m[c] = true
	}
	return m, rows.Err()
}

// SeedIfEmpty publishes the built-in corpus when the store holds no guide at all.
func (s *Service) SeedIfEmpty(ctx context.Context) (int, error) {
	n, err := s.Count(ctx)
	if err != nil || n > 0 {
		return 0, err
	}
	gs, err := LoadSeed(SeedFS())
	if err != nil {
		return 0, fmt.Errorf("seed corpus: %w", err)
	}
	res, err := s.Import(ctx, gs, nil, System, true)
	return res.Created, err
}
