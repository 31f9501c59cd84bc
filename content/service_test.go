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
	total := 0
	for _, c := range s.CategoryCounts() {
		total += c.Count
	}
	if total != n {
		t.Errorf("category counts sum %d, want %d", total, n)
	}
}
