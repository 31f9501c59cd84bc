package search

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"shebao/content"
	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/event"
	"shebao/internal/eventlog"
)

// mapStore is a GuideStore over a map: the published guides of a test.
type mapStore map[string]content.Guide

func (m mapStore) LoadPublished(_ context.Context, code string) (content.Guide, error) {
	g, ok := m[code]
	if !ok {
		return g, apperr.New(apperr.GuideNotFound, "")
	}
	return g, nil
}

func (m mapStore) LoadAllPublished(context.Context) ([]content.Guide, error) {
	var out []content.Guide
	for _, g := range m {
		out = append(out, g)
	}
	return out, nil
}

// flakyStore fails the first loads of one code, as a store under load might.
type flakyStore struct {
	mapStore
	mu    sync.Mutex
	fails int
}

func (f *flakyStore) LoadPublished(ctx context.Context, code string) (content.Guide, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return content.Guide{}, errors.New("database is locked")
	}
	return f.mapStore.LoadPublished(ctx, code)
}

// publish appends a guide.published event the way content does: in a transaction of its own here.
func publish(t *testing.T, d *db.DB, code string) {
	t.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		err := eventlog.AppendJSON(ctx, tx, time.Now(), event.GuidePublished, code, content.GuideEvent{Code: code, Version: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func codesFor(t *testing.T, s *Service, q string) []string {
	t.Helper()
	resp, err := s.Search(context.Background(), Request{Query: q})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range resp.Results {
		out = append(out, r.Code)
	}
	return out
}

// TestFailedReindexIsRetried: when loading the published guide fails, the event is not marked
// done — the index's position stays before it and the next delivery indexes the guide.
func TestFailedReindexIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := sqliteDB(t)
	s := openFixture(t, nil)
	lg, err := eventlog.Open(ctx, d, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := &flakyStore{mapStore: mapStore{"SX-GS-002": {Code: "SX-GS-002", Name: "劳动能力鉴定申请", Category: content.CategoryInjury, Summary: "评伤残等级。"}}, fails: 1}
	if err := s.Follow(ctx, lg, store); err != nil {
		t.Fatal(err)
	}
	if err := s.RebuildFromStore(ctx); err != nil { // the fixture index recorded no position
		t.Fatal(err)
	}
	publish(t, d, "SX-GS-002")
	if err := lg.Deliver(ctx); err == nil {
		t.Fatal("the failed reindex was reported as delivered")
	}
	if pos, _, _ := getPosition(s.idx); pos != 0 {
		t.Fatalf("index position %d after a failed reindex, want 0", pos)
	}
	if err := lg.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if got := codesFor(t, s, "劳动能力鉴定"); len(got) == 0 || got[0] != "SX-GS-002" {
		t.Fatalf("after the retry: %v", got)
	}
	if pos, _, _ := getPosition(s.idx); pos != 1 {
		t.Fatalf("index position %d, want 1", pos)
	}
}

// TestIndexCatchesUpAfterRestart: the index keeps its position; events appended while it was
// closed (by another process) are applied when it is opened and follows again, without a
// rebuild. An index that records no position is rebuilt from the store.
func TestIndexCatchesUpAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := sqliteDB(t)
	dir := t.TempDir()
	store := mapStore{}
	for _, g := range fixture() {
		store[g.Code] = g
	}
	open := func() (*Service, *eventlog.Log) {
		s := mustOpen(t, Options{Dir: dir})
		lg, err := eventlog.Open(ctx, d, eventlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Follow(ctx, lg, store); err != nil {
			t.Fatal(err)
		}
		return s, lg
	}
	s, _ := open()
	if !s.NeedsRebuild() {
		t.Fatal("a new index does not ask for a rebuild")
	}
	if err := s.RebuildFromStore(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Another process publishes while this index is closed.
	store["SX-GS-002"] = content.Guide{Code: "SX-GS-002", Name: "劳动能力鉴定申请", Category: content.CategoryInjury, Summary: "评伤残等级。"}
	publish(t, d, "SX-GS-002")

	s, _ = open()
	defer s.Close()
	if s.NeedsRebuild() {
		t.Fatal("an index with a position asks for a rebuild")
	}
	if got := codesFor(t, s, "劳动能力鉴定"); len(got) == 0 || got[0] != "SX-GS-002" {
		t.Fatalf("restarted index did not catch up: %v", got)
	}
	if pos, ok, _ := getPosition(s.idx); !ok || pos != 1 {
		t.Fatalf("position %d %v", pos, ok)
	}
}

// TestPublishByAnotherProcessReachesIndexAndSnapshot is issue #18.3 at the package level: the
// running service (content + search on one event log) sees a publish made through a second
// content service with its own database handle, as `shebao import --publish` is, at its next
// read of the log (the poll, called here directly).
func TestPublishByAnotherProcessReachesIndexAndSnapshot(t *testing.T) {
	eachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		g := seedGuides(t)[0]
		g.Related = nil // a guide on its own
		running, err := content.New(ctx, content.Options{DB: d})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := running.Import(ctx, []content.Guide{g}, nil, content.System, true); err != nil {
			t.Fatal(err)
		}
		s := openEmpty(t, d)
		if err := s.Follow(ctx, running.Events(), running); err != nil {
			t.Fatal(err)
		}
		if err := s.RebuildFromStore(ctx); err != nil {
			t.Fatal(err)
		}

		other := d
		if d.Dialect == db.SQLite {
			if other, err = db.OpenSQLite(ctx, d.Where()); err != nil {
				t.Fatal(err)
			}
			defer other.Close()
		}
		cli, err := content.New(ctx, content.Options{DB: other})
		if err != nil {
			t.Fatal(err)
		}
		const word = "犀牛镜湖"
		g2 := g
		g2.Aliases = append(append([]string(nil), g.Aliases...), word)
		g2.ChangeNote = "增加别名"
		if _, err := cli.Import(ctx, []content.Guide{g2}, nil, content.System, true); err != nil {
			t.Fatal(err)
		}

		if err := running.Events().Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		if got := codesFor(t, s, word); len(got) == 0 || got[0] != g.Code {
			t.Errorf("search for the new alias: %v", got)
		}
		p, err := running.Guide(g.Code)
		if err != nil || p.Guide.Version != 2 {
			t.Errorf("served %+v %v, want version 2", p, err)
		}
	})
}

// TestIndexFromAnotherStoreIsRebuilt: an index whose position lies beyond the log's head was
// built from another store; it is rebuilt, and then follows this log from its head.
func TestIndexFromAnotherStoreIsRebuilt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	if err := s.rebuild(ctx, fixture(), 500); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, Options{Dir: dir})
	defer s.Close()
	d := sqliteDB(t)
	lg, err := eventlog.Open(ctx, d, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := mapStore{}
	if err := s.Follow(ctx, lg, store); err != nil {
		t.Fatal(err)
	}
	if !s.NeedsRebuild() {
		t.Fatal("an index ahead of the log is not rebuilt")
	}
	if err := s.RebuildFromStore(ctx); err != nil {
		t.Fatal(err)
	}
	store["SX-GS-002"] = content.Guide{Code: "SX-GS-002", Name: "劳动能力鉴定申请", Category: content.CategoryInjury, Summary: "评伤残等级。"}
	publish(t, d, "SX-GS-002")
	lg.Deliver(ctx)
	if got := codesFor(t, s, "劳动能力鉴定"); len(got) == 0 || got[0] != "SX-GS-002" {
		t.Fatalf("event at position 1 not applied: %v", got)
	}
}
