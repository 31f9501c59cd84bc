package content

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"shebao/internal/apperr"
	"shebao/internal/db"
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
	if err := MayImport(a, publish); err != nil {
		return res, err
	}
	known, err := codes(ctx, s.db, guideKind)
	if err != nil {
		return res, err
	}
	if err := CheckSet(guides, files, known); err != nil {
		return res, apperr.Wrap(apperr.ImportInvalid, "导入文件校验未通过，未导入任何内容："+err.Error(), err)
	}
	items := make([]importItem, len(guides))
	for i := range guides {
		body, err := json.Marshal(normalizeForStore(guides[i]))
		if err != nil {
			return res, err
		}
		items[i] = importItem{code: guides[i].Code, body: body, note: guides[i].ChangeNote}
	}
	return s.importDocs(ctx, guideKind, items, a, publish)
}

// importItem is one document of an import, ready to store.
type importItem struct {
	code string
	body []byte
	note string
}

// importDocs loads documents of one kind in one transaction, each as a new draft version or —
// with publish — a new published version; a document whose content is already there (see
// importUnchanged) is counted and skipped, and one with a version still being worked on stops
// the whole import.
func (s *Service) importDocs(ctx context.Context, k *docKind, items []importItem, a Actor, publish bool) (ImportResult, error) {
	var res ImportResult
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res = ImportResult{}
		for _, it := range items {
			d, err := loadDoc(ctx, tx, k, it.code)
			switch {
			case apperr.Is(err, k.notFound):
				if err := insertDoc(ctx, tx, k, it.code, 0, now); err != nil {
					return err
				}
				d = docRow{State: "draft"}
				res.Created++
			case err != nil:
				return err
			default:
				if same, err := importUnchanged(ctx, tx, k, d, it.code, it.body, publish); err != nil {
					return err
				} else if same {
					res.Unchanged++
					continue
				}
				if open, err := workingVersion(ctx, tx, k, it.code); err != nil {
					return err
				} else if open > 0 {
					return apperr.Newf(apperr.ImportInvalid, "%s %s 已有未发布的修改（第%d版），请先处理后再导入，未导入任何内容。", k.label, it.code, open)
				}
				res.Versions++
			}
			version := d.Latest + 1
			status, action := StatusDraft, "import_draft"
			if publish {
				status, action = StatusPublished, "import_publish"
			}
			if err := insertVersion(ctx, tx, k, newVersion{code: it.code, version: version, status: status, body: it.body, note: it.note, by: a.ID}, now); err != nil {
				return err
			}
			if err := setLatest(ctx, tx, k, it.code, version, now); err != nil {
				return err
			}
			if publish {
				if err := publishTx(ctx, tx, k, now, a, it.code, version, it.body, true, it.note); err != nil {
					return err
				}
			}
			if err := audit(ctx, tx, now, a, action, string(k.kind), it.code, version, ""); err != nil {
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

// MayImport refuses an actor who may not import, so that callers can check before they read or
// parse a file: an import needs the editor role, and publishing it the admin role.
func MayImport(a Actor, publish bool) error {
	if err := need(a, RoleEditor, "导入"); err != nil {
		return err
	}
	if publish && !a.Has(RoleAdmin) {
		return apperr.New(apperr.Forbidden, "只有管理员可以在导入时直接发布。")
	}
	return nil
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

// SeedIfEmpty publishes the built-in corpus when the store holds no guide at all.
func (s *Service) SeedIfEmpty(ctx context.Context) (int, error) {
	n, err := s.Count(ctx)
	if err != nil || n > 0 {
		return 0, err
	}
	b, err := LoadSeedBundle(SeedFS())
	if err != nil {
		return 0, fmt.Errorf("seed corpus: %w", err)
	}
	res, _, err := s.ImportBundle(ctx, b, System, true)
	return res.Created, err
}

// SeedFormsIfMissing publishes each form of the seed corpus that the store does not hold yet
// (a store seeded before the form shipped gets it at the next start); it returns how many. A form
// whose guide is not in the store is left out.
func (s *Service) SeedFormsIfMissing(ctx context.Context) (int, error) {
	b, err := LoadSeedBundle(SeedFS())
	if err != nil {
		return 0, fmt.Errorf("seed corpus: %w", err)
	}
	haveForms, err := codes(ctx, s.db, formKind)
	if err != nil {
		return 0, err
	}
	haveGuides, err := codes(ctx, s.db, guideKind)
	if err != nil {
		return 0, err
	}
	var missing []Form
	for _, f := range b.Forms {
		if !haveForms[f.Code] && haveGuides[f.Guide] {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	res, err := s.importForms(ctx, missing, System, true)
	return res.Created, err
}
