package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"shebao/config"
	"shebao/content"
	"shebao/internal/db"
	"shebao/search"
)

// TestChatAnswersHideEditorNotes asks the assistant, wired to the seeded store as the server wires
// it, how long each guide takes: the time limits are where the seed corpus keeps most of its
// 待核实 notes. No answer may show an editor's note, and the noted limits defer to the agency.
func TestChatAnswersHideEditorNotes(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	log := slog.New(slog.DiscardHandler)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.seed(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(ctx, search.Options{DB: st.db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Rebuild(ctx, st.content.PublishedGuides()); err != nil {
		t.Fatal(err)
	}
	sessions, err := db.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sessions.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sessions.Close()
	svc, err := newAssistant(ctx, cfg, log, sessions, st.content, idx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	deferred := 0
	for _, g := range st.content.PublishedSources() {
		if !strings.Contains(g.TimeLimit.Promised+g.TimeLimit.Statutory, "待核实") {
			continue
		}
		q := g.Name + "要多久能办好"
		a, err := svc.Answer(ctx, "", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"待核实", "来源可靠性", "有报道称", "据报道"} {
			if strings.Contains(a.Text, w) || strings.Contains(a.Speakable, w) {
				t.Errorf("%q: the answer shows %q: %s", q, w, a.Text)
			}
		}
		if strings.Contains(a.Text, content.DefersToAgency) {
			deferred++
		}
	}
	if deferred < 20 {
		t.Errorf("only %d answers about noted time limits defer to the agency", deferred)
	}
}
