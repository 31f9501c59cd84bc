package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/keyword" // keyword analyzer for facets
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"

	"shebao/content"
)

// mappingVersion changes whenever the mapping or the way documents are built changes; together
// with the hash of the analyzer's data files it forms the index version, and an index of another
// version is rebuilt at start.
const mappingVersion = 3 // 3: documents are built from the public view (no editors' notes)

// Index fields.
const (
	fieldName     = "name"
	fieldAliases  = "aliases"
	fieldSummary  = "summary"
	fieldFAQ      = "faq" // questions only: short, in the users' own words
	fieldBody     = "body"
	fieldPinyin   = "py"
	fieldCategory = "category"
	fieldAudience = "audience"
	fieldRegion   = "region"
	fieldScope    = "scope"

	scopeProvince = "province"
	versionKey    = "shebao_index_version"
	currentFile   = "CURRENT"
)

func (s *Service) indexVersion() string { return fmt.Sprintf("v%d-%s", mappingVersion, s.lx.stamp) }

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	if err := addAnalyzer(im); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = analyzerName
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	text := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	keyword := func(store, docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = docValues
		return f
	}
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldName, text(true))
	dm.AddFieldMappingsAt(fieldAliases, text(true))
	dm.AddFieldMappingsAt(fieldSummary, text(true))
	dm.AddFieldMappingsAt(fieldFAQ, text(true))
	dm.AddFieldMappingsAt(fieldBody, text(false))
	dm.AddFieldMappingsAt(fieldPinyin, keyword(false, false))
	dm.AddFieldMappingsAt(fieldCategory, keyword(true, true))
	dm.AddFieldMappingsAt(fieldAudience, keyword(true, true))
	dm.AddFieldMappingsAt(fieldRegion, keyword(true, false))
	dm.AddFieldMappingsAt(fieldScope, keyword(false, false))
	im.DefaultMapping = dm
	return im, nil
}

// guideEntry is what search keeps in memory about an indexed guide: enough for results,
// snippets, facets of pinned results, suggestions and the correction vocabulary.
type guideEntry struct {
	code     string
	name     string
	aliases  []string
	category string
	audience []string
	regions  []string
	province bool
	summary  string
	faq      []string
	targets  []string // vocabulary words this guide contributes
	ord      int32    // position in the vocabulary's title postings
	catID    uint16   // category and audiences as the title postings number them
	audIDs   []uint16
	grants   bool // the guide grants something (lexicon.grants): a claim question prefers it
}

func entryOf(g *content.Guide) *guideEntry {
	e := &guideEntry{code: g.Code, name: g.Name, aliases: g.Aliases, category: string(g.Category),
		summary: g.Summary, province: g.Region == "" || strings.HasSuffix(g.Region, "省")}
	for _, a := range g.Audience {
		e.audience = append(e.audience, string(a))
	}
	if g.Region != "" {
		e.regions = append(e.regions, g.Region)
	}
	for _, v := range g.Variants {
		if v.City != "" && !contains(e.regions, v.City) {
			e.regions = append(e.regions, v.City)
		}
	}
	for _, qa := range g.FAQ {
		e.faq = append(e.faq, qa.Q)
	}
	return e
}

// document is what bleve indexes for a guide.
func (s *Service) document(g *content.Guide, e *guideEntry) map[string]any {
	var body []string
	add := func(ss ...string) {
		for _, x := range ss {
			if x != "" {
				body = append(body, x)
			}
		}
	}
	// 受理条件, 材料, 流程 and the FAQ answers: what a guide is about. Legal basis, channels and
	// notes are left out: they repeat the same words in every guide and only cost time.
	add(g.Conditions...)
	for _, m := range g.Materials {
		add(m.Name)
	}
	for _, st := range g.Steps {
		add(st.Title, st.Detail)
	}
	for _, qa := range g.FAQ {
		add(qa.A)
	}
	var py []string
	for _, t := range append([]string{g.Name}, g.Aliases...) {
		full, initials := s.lx.pinyinKeys(t)
		for _, k := range []string{full, initials} {
			if len(k) >= 2 && !contains(py, k) {
				py = append(py, k)
			}
		}
	}
	scope := "city"
	if e.province {
		scope = scopeProvince
	}
	return map[string]any{
		fieldName: g.Name, fieldAliases: g.Aliases, fieldSummary: g.Summary, fieldFAQ: e.faq,
		fieldBody: body, fieldPinyin: py, fieldCategory: e.category, fieldAudience: e.audience,
		fieldRegion: e.regions, fieldScope: scope,
	}
}

// openIndex opens the index named in Dir/CURRENT and reads its entries back. It returns a nil
// index (and no error) when there is none, it has another version or it is damaged: the caller
// then needs a rebuild. A damaged index is moved aside (setAside), so that one bad segment costs
// one rebuild instead of failing every start.
func (s *Service) openIndex(ctx context.Context) (bleve.Index, string, map[string]*guideEntry, error) {
	if s.opts.Dir == "" {
		return nil, "", nil, nil
	}
	name, err := os.ReadFile(filepath.Join(s.opts.Dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil, nil
	}
	if err != nil {
		return nil, "", nil, fmt.Errorf("read search index pointer: %w", err)
	}
	path := filepath.Join(s.opts.Dir, strings.TrimSpace(string(name)))
	// Checked before bleve reads a byte: bleve trusts the offsets inside a segment, and a damaged
	// one can panic in its background merger, where no recover reaches.
	if err := checkSegments(path); err != nil {
		s.setAside(path, err)
		return nil, "", nil, nil
	}
	var idx bleve.Index
	if err := recovered(func() (err error) { idx, err = bleve.Open(path); return err }); err != nil {
		if errors.Is(err, errDamaged) {
			s.setAside(path, err)
		} else {
			s.log.Warn("search index unusable, will rebuild", "path", path, "err", err)
		}
		return nil, "", nil, nil
	}
	var v []byte
	if err := recovered(func() (err error) { v, err = idx.GetInternal([]byte(versionKey)); return err }); err != nil || string(v) != s.indexVersion() {
		s.log.Info("search index has another version, will rebuild", "path", path, "have", string(v), "want", s.indexVersion())
		recovered(idx.Close)
		return nil, "", nil, nil
	}
	// The first reads after open: bleve loads some parts of a segment only when they are used.
	var entries map[string]*guideEntry
	if err := recovered(func() (err error) { entries, err = s.loadEntries(ctx, idx); return err }); err != nil {
		recovered(idx.Close)
		s.setAside(path, err)
		return nil, "", nil, nil
	}
	return idx, path, entries, nil
}

// errDamaged marks an index that cannot be read: a segment whose checksum does not match its
// bytes, or a read that made bleve panic.
var errDamaged = errors.New("damaged")

// recovered runs f and turns a panic into an errDamaged error: bleve indexes the offsets and
// lengths stored in a segment without checking them, so damaged bytes panic (makeslice: len out
// of range) instead of returning an error.
func recovered(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: panic: %v", errDamaged, p)
		}
	}()
	return f()
}

// checkSegments verifies every segment file of the index at path against the checksum it ends
// with (zap: CRC-32 of every byte before the last four). A file left half-written by a crash
// fails too; the rebuild that follows is the cautious answer.
func checkSegments(path string) error {
	zs, err := filepath.Glob(filepath.Join(path, "store", "*.zap"))
	if err != nil {
		return err
	}
	for _, z := range zs {
		if err := checkSegment(z); err != nil {
			return fmt.Errorf("%w: %s: %w", errDamaged, filepath.Base(z), err)
		}
	}
	return nil
}

func checkSegment(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < 4 {
		return fmt.Errorf("%d bytes", fi.Size())
	}
	h := crc32.NewIEEE()
	if _, err := io.CopyN(h, f, fi.Size()-4); err != nil {
		return err
	}
	var tail [4]byte
	if _, err := io.ReadFull(f, tail[:]); err != nil {
		return err
	}
	if want := binary.BigEndian.Uint32(tail[:]); h.Sum32() != want {
		return fmt.Errorf("checksum %08x, recorded %08x", h.Sum32(), want)
	}
	return nil
}

// keepDamaged is how many damaged indexes are kept for a post-mortem.
const keepDamaged = 3

// setAside moves a damaged index to Dir/damaged-<UTC time> and drops CURRENT, so that no start
// opens it again and the next Rebuild starts afresh, and logs the damage (once: the next start
// finds no index). Only the newest keepDamaged such directories are kept.
func (s *Service) setAside(path string, cause error) {
	to := filepath.Join(s.opts.Dir, "damaged-"+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, to); err != nil {
		to = "" // removeStaleDirs deletes it after the rebuild
		cause = errors.Join(cause, err)
	}
	if err := os.Remove(filepath.Join(s.opts.Dir, currentFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		cause = errors.Join(cause, err)
	}
	s.log.Error("search index damaged, moved aside; it will be rebuilt from the content store",
		"path", path, "moved_to", to, "err", cause)
	ds, _ := filepath.Glob(filepath.Join(s.opts.Dir, "damaged-*"))
	sort.Strings(ds) // the names sort by time
	for _, d := range ds[:max(0, len(ds)-keepDamaged)] {
		os.RemoveAll(d)
	}
}

// createIndex makes a new, empty index in a fresh directory (or in memory).
func (s *Service) createIndex() (bleve.Index, string, error) {
	im, err := newMapping()
	if err != nil {
		return nil, "", err
	}
	if s.opts.Dir == "" {
		// scorch without a path keeps everything in memory; bleve.NewMemOnly would give the
		// older upsidedown index, several times slower to search.
		idx, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
		return idx, "", err
	}
	if err := os.MkdirAll(s.opts.Dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("create search directory: %w", err)
	}
	path := filepath.Join(s.opts.Dir, "index-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	idx, err := bleve.New(path, im)
	if err != nil {
		return nil, "", fmt.Errorf("create search index %s: %w", path, err)
	}
	return idx, path, nil
}

// loadEntries reads the in-memory entries back from an index's stored fields.
func (s *Service) loadEntries(ctx context.Context, idx bleve.Index) (map[string]*guideEntry, error) {
	n, err := idx.DocCount()
	if err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), int(n)+1, 0, false)
	req.Fields = []string{fieldName, fieldAliases, fieldSummary, fieldFAQ, fieldCategory, fieldAudience, fieldRegion}
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*guideEntry, len(res.Hits))
	for _, h := range res.Hits {
		e := &guideEntry{code: h.ID, name: str(h.Fields[fieldName]), aliases: strs(h.Fields[fieldAliases]),
			summary: str(h.Fields[fieldSummary]), faq: strs(h.Fields[fieldFAQ]), category: str(h.Fields[fieldCategory]),
			audience: strs(h.Fields[fieldAudience]), regions: strs(h.Fields[fieldRegion])}
		e.province = len(e.regions) == 0 || strings.HasSuffix(e.regions[0], "省")
		out[h.ID] = e
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// op is a change that arrived while a rebuild was running; it is replayed on the new index.
type op struct {
	guide *content.Guide // nil: remove code
	code  string
	at    int64 // > 0: the event-log position this change brings the index to, written in the same batch
}

// Rebuild indexes guides into a new index and swaps it in atomically: searches keep using the
// old index (if there was a usable one) until the new one is complete, and changes that arrive
// meanwhile are applied to both. Ready() is false until the first index is in place. The index
// records no event-log position, since the caller read guides at an unknown one: a followed index
// is rebuilt with RebuildFromStore instead.
func (s *Service) Rebuild(ctx context.Context, guides []content.Guide) error {
	return s.rebuild(ctx, guides, -1)
}

// rebuild is Rebuild that also records, when pos >= 0, the event-log position the guides reflect
// (see follow.go).
func (s *Service) rebuild(ctx context.Context, guides []content.Guide, pos int64) error {
	s.rebuildMu.Lock()
	defer s.rebuildMu.Unlock()
	start := time.Now()

	s.wmu.Lock()
	s.pending = []op{}
	s.wmu.Unlock()
	abort := func() {
		s.wmu.Lock()
		s.pending = nil
		s.wmu.Unlock()
	}

	idx, path, err := s.createIndex()
	if err != nil {
		abort()
		return err
	}
	fail := func(err error) error {
		abort()
		idx.Close()
		if path != "" {
			os.RemoveAll(path)
		}
		return err
	}
	entries := make(map[string]*guideEntry, len(guides))
	b := idx.NewBatch()
	for i := range guides {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		g := &guides[i]
		e := entryOf(g)
		if err := b.Index(g.Code, s.document(g, e)); err != nil {
			return fail(fmt.Errorf("index guide %s: %w", g.Code, err))
		}
		entries[g.Code] = e
		if b.Size() >= 500 {
			if err := idx.Batch(b); err != nil {
				return fail(fmt.Errorf("index guides: %w", err))
			}
			b.Reset()
		}
	}
	if err := idx.Batch(b); err != nil {
		return fail(fmt.Errorf("index guides: %w", err))
	}
	// One segment: every term's postings are one list to advance through instead of one per
	// batch (a fifth less query time on 10k guides; the merge takes ~0.3 s there). Only on
	// disk: an in-memory index has no merger, and ForceMerge would wait for it forever.
	if adv, err := idx.Advanced(); err == nil && path != "" {
		if sc, ok := adv.(*scorch.Scorch); ok {
			if err := sc.ForceMerge(ctx, nil); err != nil {
				return fail(fmt.Errorf("merge search index: %w", err))
			}
		}
	}
	if err := idx.SetInternal([]byte(versionKey), []byte(s.indexVersion())); err != nil {
		return fail(fmt.Errorf("stamp search index: %w", err))
	}
	if pos >= 0 {
		if err := setPosition(idx, pos); err != nil {
			return fail(fmt.Errorf("stamp search index: %w", err))
		}
	}
	vocab := newVocabulary(s.lx)
	for _, e := range entries {
		vocab.addGuide(e)
	}
	vocab.titles.trim()

	// Swap: replay what arrived meanwhile, point CURRENT at the new directory, then switch.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for _, o := range s.pending {
		if err := s.applyTo(idx, entries, vocab, o); err != nil {
			s.pending = nil
			return fail(err)
		}
	}
	s.pending = nil
	if path != "" {
		tmp := filepath.Join(s.opts.Dir, currentFile+".tmp")
		if err := os.WriteFile(tmp, []byte(filepath.Base(path)+"\n"), 0o640); err != nil {
			return fail(fmt.Errorf("write search index pointer: %w", err))
		}
		if err := os.Rename(tmp, filepath.Join(s.opts.Dir, currentFile)); err != nil {
			return fail(fmt.Errorf("write search index pointer: %w", err))
		}
	}
	s.mu.Lock()
	old, oldPath := s.idx, s.idxPath
	s.idx, s.idxPath, s.entries, s.vocab = idx, path, entries, vocab
	s.needsRebuild = false
	s.mu.Unlock()
	s.invalidate()
	s.suggestDirty.Store(true)
	if old != nil {
		old.Close()
	}
	if oldPath != "" && oldPath != path {
		os.RemoveAll(oldPath)
	}
	s.removeStaleDirs()
	s.log.Info("search index rebuilt", "guides", len(guides), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// removeStaleDirs deletes index directories left by an interrupted rebuild.
func (s *Service) removeStaleDirs() {
	if s.opts.Dir == "" {
		return
	}
	ds, _ := filepath.Glob(filepath.Join(s.opts.Dir, "index-*"))
	for _, d := range ds {
		if d != s.idxPath {
			os.RemoveAll(d)
		}
	}
}

// applyTo applies one change to an index and its entries and vocabulary.
func (s *Service) applyTo(idx bleve.Index, entries map[string]*guideEntry, vocab *vocabulary, o op) error {
	e, err := s.writeIndex(idx, o)
	if err != nil {
		return err
	}
	applyMemory(entries, vocab, o, e)
	return nil
}

// writeIndex writes one change to idx and returns the new entry (nil for a removal).
func (s *Service) writeIndex(idx bleve.Index, o op) (*guideEntry, error) {
	// One batch for the document and the log position it brings the index to: bleve introduces
	// (and merges) a segment per batch, so a second batch for the position doubled the cost of
	// every publish.
	b := idx.NewBatch()
	var e *guideEntry
	if o.guide == nil {
		b.Delete(o.code)
	} else {
		e = entryOf(o.guide)
		if err := b.Index(o.guide.Code, s.document(o.guide, e)); err != nil {
			return nil, fmt.Errorf("index guide %s: %w", o.guide.Code, err)
		}
	}
	if at, ok, _ := getPosition(idx); o.at > 0 && (!ok || o.at > at) { // never back: a replayed change is older
		b.SetInternal([]byte(positionKey), []byte(strconv.FormatInt(o.at, 10)))
	}
	if err := idx.Batch(b); err != nil {
		if o.guide == nil {
			return nil, fmt.Errorf("remove guide %s from search: %w", o.code, err)
		}
		return nil, fmt.Errorf("index guide %s: %w", o.guide.Code, err)
	}
	return e, nil
}

// applyMemory updates the in-memory entries and vocabulary for a change written to the index.
func applyMemory(entries map[string]*guideEntry, vocab *vocabulary, o op, e *guideEntry) {
	if old := entries[o.code]; old != nil {
		vocab.removeGuide(old)
		delete(entries, o.code)
	}
	if e == nil {
		return
	}
	vocab.addGuide(e)
	entries[e.code] = e
}

// Upsert indexes a published guide (new or a new version); it is searchable when Upsert returns.
func (s *Service) Upsert(ctx context.Context, g content.Guide) error {
	if g.Code == "" {
		return errors.New("search: guide without a code")
	}
	return s.apply(op{guide: &g, code: g.Code})
}

// Remove takes a guide out of the index (unpublished or archived).
func (s *Service) Remove(ctx context.Context, code string) error {
	return s.apply(op{code: code})
}

func (s *Service) apply(o op) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.pending != nil {
		s.pending = append(s.pending, o)
	}
	s.mu.RLock()
	idx := s.idx
	s.mu.RUnlock()
	if idx == nil {
		return nil // not ready: the coming rebuild reads the content store, or replays this
	}
	e, err := s.writeIndex(idx, o)
	if err != nil {
		return err
	}
	// Entries and vocabulary are shared with readers: change them under the write lock.
	s.mu.Lock()
	applyMemory(s.entries, s.vocab, o, e)
	s.mu.Unlock()
	s.invalidate()
	s.suggestDirty.Store(true)
	return nil
}
