// Package search is the index of published guides and the search people use to find them: Chinese
// analysis (gse with an embedded trimmed dictionary plus our social-insurance dictionary), a query
// pipeline for spoken Chinese (normalise → correct typos and pinyin → strip filler → segment →
// synonyms), weighted fields, facets, suggestions, editors' best bets and synonyms, and a query log
// with personal data masked, for the 办事堵点 report.
//
// The index lives on disk under Options.Dir, one directory per build, named by Dir/CURRENT; a
// rebuild writes a new directory and swaps it in, so a half-built index is never served.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"

	"shebao/internal/db"
	"shebao/internal/eventlog"
)

// Options configures a Service.
type Options struct {
	// Dir holds the index (created if missing). Empty: the index lives in memory, for tests and
	// evaluation.
	Dir string
	// DB stores the query log, synonyms and best bets; the "search" migrations run on Open.
	// Nil: no query log, only the default synonyms, no best bets (evaluation).
	DB *db.DB
	// Log receives operational messages; personal data never reaches it.
	Log *slog.Logger
	// CacheSize is the number of result pages kept (default 8192: pages are kept under the analysed query and under the raw text; negative: no cache).
	CacheSize int
	// LogBuffer is how many query-log records may wait for the writer (default 4096); when it is
	// full, records are dropped and counted rather than slowing searches down.
	LogBuffer int
}

// Service is the search index and everything around it. It is safe for concurrent use.
type Service struct {
	opts Options
	log  *slog.Logger
	db   *db.DB
	lx   *lexicon

	rebuildMu sync.Mutex // one rebuild at a time
	wmu       sync.Mutex // serialises index writes and the swap
	pending   []op       // changes that arrived during a rebuild; nil when none is running

	mu           sync.RWMutex // guards the fields below
	idx          bleve.Index  // nil until there is a usable index
	idxPath      string
	needsRebuild bool
	entries      map[string]*guideEntry
	vocab        *vocabulary

	syn   atomic.Pointer[synonymTable]
	bets  atomic.Pointer[bestBets]
	cache *resultCache
	dfs   docFreqs

	suggestMu    sync.Mutex
	suggestDirty atomic.Bool
	suggestIdx   atomic.Pointer[suggestIndex]

	qlog *queryLog

	unsubscribe []func()
	events      *eventlog.Log // the log followed and written to (set by Follow)
	store       GuideStore    // where published guides are read (set by Follow)
	instance    string        // tells this replica's announcements from others'
	closed      atomic.Bool
}

// lexiconLoad is how long the first Open spent loading the dictionaries (once per process: the
// lexicon is shared).
var lexiconLoad struct {
	once sync.Once
	took time.Duration
}

// Open opens the index under o.Dir, checking its version and its segments' checksums, and runs
// the search migrations. When the index is missing, has an old version or is damaged (then moved
// aside to o.Dir/damaged-<time>), NeedsRebuild reports true and Ready false until Rebuild has run.
func Open(ctx context.Context, o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.CacheSize == 0 {
		o.CacheSize = 8192
	}
	if o.LogBuffer <= 0 {
		o.LogBuffer = 4096
	}
	start := time.Now()
	lx, err := sharedLexicon()
	if err != nil {
		return nil, err
	}
	lexiconLoad.once.Do(func() { lexiconLoad.took = time.Since(start) })
	if err := registerTokenizer(); err != nil {
		return nil, err
	}
	s := &Service{opts: o, log: o.Log, db: o.DB, lx: lx, entries: map[string]*guideEntry{},
		vocab: newVocabulary(lx), cache: newResultCache(o.CacheSize), instance: newID()}
	s.bets.Store(&bestBets{})
	if s.db != nil {
		if err := s.db.Migrate(ctx, "search", migrations); err != nil {
			return nil, fmt.Errorf("search migrations: %w", err)
		}
	}
	if err := s.reloadSynonyms(ctx); err != nil {
		return nil, err
	}
	if err := s.reloadBestBets(ctx); err != nil {
		return nil, err
	}
	idx, path, entries, err := s.openIndex(ctx)
	if err != nil {
		return nil, err
	}
	if idx == nil {
		s.needsRebuild = true
	} else {
		for _, e := range entries {
			s.vocab.addGuide(e)
		}
		s.vocab.titles.trim()
		s.idx, s.idxPath, s.entries = idx, path, entries
		s.removeStaleDirs()
	}
	s.suggestDirty.Store(true)
	if s.db != nil {
		s.qlog = newQueryLog(s.db, s.log, o.LogBuffer)
	}
	s.log.Info("search opened", "dir", o.Dir, "guides", len(s.entries), "needs_rebuild", s.needsRebuild,
		"dictionary_load", lexiconLoad.took.Round(time.Millisecond), "took", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// DictionaryLoadTime returns how long loading the analyzer's dictionaries took in this process.
func DictionaryLoadTime() time.Duration { return lexiconLoad.took }

// Stats are counters for metrics.
type Stats struct {
	Guides           int   `json:"guides"`
	CacheHits        int64 `json:"cache_hits"`
	CacheMisses      int64 `json:"cache_misses"`
	LogDropped       int64 `json:"log_dropped"` // query-log records dropped because the writer was behind
	DictionaryLoadMS int64 `json:"dictionary_load_ms"`
}

// Stats returns counters for metrics.
func (s *Service) Stats() Stats {
	s.mu.RLock()
	n := len(s.entries)
	s.mu.RUnlock()
	st := Stats{Guides: n, CacheHits: s.cache.hits.Load(), CacheMisses: s.cache.misses.Load(),
		DictionaryLoadMS: lexiconLoad.took.Milliseconds()}
	if s.qlog != nil {
		st.LogDropped = s.qlog.dropped.Load()
	}
	return st
}

// NeedsRebuild reports whether the index is missing, damaged or built by another version.
func (s *Service) NeedsRebuild() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.needsRebuild
}

// Ready reports whether searches can be served (an index is in place).
func (s *Service) Ready() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx != nil
}

// Close stops the query-log writer (flushing it) and closes the index.
func (s *Service) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	for _, u := range s.unsubscribe {
		u()
	}
	var errs []error
	if s.qlog != nil {
		errs = append(errs, s.qlog.close())
	}
	s.wmu.Lock()
	s.mu.Lock()
	if s.idx != nil {
		errs = append(errs, s.idx.Close())
		s.idx = nil
	}
	s.mu.Unlock()
	s.wmu.Unlock()
	return errors.Join(errs...)
}

// invalidate drops every cached result: called on any change to the index, synonyms or best bets.
func (s *Service) invalidate() {
	s.cache.clear()
	s.dfs.clear()
}
