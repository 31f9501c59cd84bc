package content

import (
	"context"
	"strings"
	"sync"
	"testing"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/event"
	"shebao/internal/eventlog"
)

func testGuide(code, name string) Guide {
	gs, err := ParseGuides("t.yaml", []byte("guides:\n"+strings.Replace(minimalGuideYAML, "CODE", code, 1)))
	if err != nil {
		panic(err)
	}
	gs[0].Name = name
	return gs[0]
}

type recorder struct {
	mu  sync.Mutex
	evs []event.Event
}

func (r *recorder) handle(_ context.Context, e event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
	return nil
}

// openEvents opens the event log on d, as cmd/shebao does before the content service.
func openEvents(t testing.TB, d *db.DB) *eventlog.Log {
	t.Helper()
	l, err := eventlog.Open(context.Background(), d, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newTestService(t *testing.T, d *db.DB) (*Service, *recorder) {
	bus := openEvents(t, d)
	rec := &recorder{}
	bus.Subscribe(event.GuidePublished, rec.handle)
	s, err := New(context.Background(), Options{DB: d, Events: bus})
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

func TestImportPublishServesAndEmits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, rec := newTestService(t, d)
		gs := []Guide{testGuide("T-1", "事项一"), testGuide("T-2", "事项二")}
		res, err := s.Import(ctx, gs, nil, System, true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 {
			t.Errorf("created %d", res.Created)
		}
		p, err := s.Guide("T-1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Guide.Version != 1 || p.Guide.Status != StatusPublished || p.ETag == "" || p.Guide.PublicUpdatedAt.IsZero() {
			t.Errorf("published guide metadata: %+v", p.Guide)
		}
		if len(rec.evs) != 2 || rec.evs[0].Topic != event.GuidePublished {
			t.Errorf("events: %+v", rec.evs)
		}
		// Re-importing the same content is a no-op; a change makes version 2.
		res, _ = s.Import(ctx, gs, nil, System, true)
		if res.Unchanged != 2 {
			t.Errorf("reimport: %+v", res)
		}
		gs[0].Summary = "新的简述"
		res, err = s.Import(ctx, gs[:1], nil, System, true)
		if err != nil || res.Versions != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		p, _ = s.Guide("T-1")
		if p.Guide.Version != 2 || p.Guide.Summary != "新的简述" {
			t.Errorf("after change: v%d %q", p.Guide.Version, p.Guide.Summary)
		}
		if _, err := s.Guide("NOPE"); !apperr.Is(err, apperr.GuideNotFound) {
			t.Errorf("missing guide: %v", err)
		}
		var logged int
		d.QueryRow(ctx, "SELECT count(*) FROM event_log WHERE topic = ?", event.GuidePublished).Scan(&logged)
		if logged != 3 || len(rec.evs) != 3 {
			t.Errorf("publish events: %d in the log, %d delivered, want 3 each", logged, len(rec.evs))
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newTestService(t, d)
		bad := testGuide("T-2", "坏事项")
		bad.Materials = nil
		_, err := s.Import(ctx, []Guide{testGuide("T-1", "好事项"), bad}, []string{"a.yaml", "a.yaml"}, System, true)
		if !apperr.Is(err, apperr.ImportInvalid) || !strings.Contains(err.Error(), "申请材料") || !strings.Contains(err.Error(), "T-2") {
			t.Fatalf("want import_invalid naming T-2 and 申请材料, got %v", err)
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Errorf("half-loaded: %d guides", n)
		}
		if _, err := s.Import(ctx, []Guide{testGuide("T-1", "x")}, nil, Actor{ID: "ed", Roles: []string{"editor"}}, true); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("non-admin publish: %v", err)
		}
		if _, err := s.Import(ctx, []Guide{testGuide("T-1", "x")}, nil, Actor{ID: "ed", Roles: []string{"editor"}}, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Guide("T-1"); !apperr.Is(err, apperr.GuideNotFound) {
			t.Errorf("a draft must not be served: %v", err)
		}
	})
}

func TestSeedCorpusPublishesAtFirstStart(t *testing.T) {
	d := dbtest.SQLite(t)
	s, _ := newTestService(t, d)
	n, err := s.SeedIfEmpty(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 || len(s.PublishedGuides()) != n {
		t.Errorf("seeded %d, published %d", n, len(s.PublishedGuides()))
	}
	if again, _ := s.SeedIfEmpty(context.Background()); again != 0 {
		t.Errorf("second seed loaded %d", again)
	}
	// The seed's forms are published with their guides, each at version 1.
	fs, err := s.PublishedForms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range fs {
		got[f.Code] = f.Version
	}
	for _, code := range []string{"F-SY-001", "F-YL-012", "F-YL-001", "F-YB-007", "F-SBK-003"} {
		if got[code] != 1 {
			t.Errorf("seed form %s: published version %d, want 1", code, got[code])
		}
	}
	total := 0
	for _, c := range s.CategoryCounts() {
		total += c.Count
	}
	if total != n {
		t.Errorf("category counts sum %d, want %d", total, n)
	}
}

// A publishing import never reports "unchanged" for content that is not online: with an identical
// draft waiting it fails and says why, for guides and for forms alike.
func TestImportPublishOverIdenticalDraftFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newWF(t, d)
		g := testGuide("P-1", "原名")
		f := testForm("PF-1", "P-1")
		if _, _, err := e.s.ImportBundle(e.ctx, Bundle{Guides: []Guide{g}, Forms: []Form{f}}, adminE, true); err != nil {
			t.Fatal(err)
		}
		g.Name, f.Title = "新名", "新表"
		gr, fr, err := e.s.ImportBundle(e.ctx, Bundle{Guides: []Guide{g}, Forms: []Form{f}}, editorA, false)
		if err != nil || gr.Versions != 1 || fr.Versions != 1 {
			t.Fatalf("draft import: %+v %+v %v", gr, fr, err)
		}
		for name, b := range map[string]Bundle{"guide": {Guides: []Guide{g}}, "form": {Forms: []Form{f}}} {
			gr, fr, err := e.s.ImportBundle(e.ctx, b, adminE, true)
			ae := wantKind(t, err, apperr.ImportInvalid)
			if !strings.Contains(ae.Message, "第2版") {
				t.Errorf("%s: the reason does not name the waiting draft: %s", name, ae.Message)
			}
			if gr.Unchanged+fr.Unchanged != 0 {
				t.Errorf("%s: reported unchanged: %+v %+v", name, gr, fr)
			}
		}
		if p, _ := e.s.Guide("P-1"); p.Guide.Version != 1 || p.Guide.Name != "原名" {
			t.Errorf("online guide changed: %+v", p.Guide)
		}
		// What is online already is unchanged, for drafts and publishes alike.
		g.Name, f.Title = "原名", testForm("PF-1", "P-1").Title
		gr, fr, err = e.s.ImportBundle(e.ctx, Bundle{Guides: []Guide{g}, Forms: []Form{f}}, adminE, true)
		if err != nil || gr.Unchanged != 1 || fr.Unchanged != 1 {
			t.Fatalf("publishing what is online: %+v %+v %v", gr, fr, err)
		}
	})
}
