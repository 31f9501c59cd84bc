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
	svc, err := newAssistant(ctx, cfg, log, sessions, st.content, idx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	// An answer that says a figure the guide marks 待核实 says it with 以经办机构核定为准. Answers
	// are one passage, so only those that quote a noted clause are held to it.
	quoted, deferred := 0, 0
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
		pub, err := st.content.Guide(g.Code)
		if err != nil {
			t.Fatal(err)
		}
		for _, clause := range strings.FieldsFunc(pub.Guide.TimeLimit.Promised+"；"+pub.Guide.TimeLimit.Statutory, func(r rune) bool { return r == '；' || r == '。' }) {
			before, _, noted := strings.Cut(clause, "（"+content.DefersToAgency)
			if !noted || len([]rune(before)) < 4 || !strings.Contains(a.Text, before) {
				continue
			}
			quoted++
			if strings.Contains(a.Text, content.DefersToAgency) {
				deferred++
			} else {
				t.Errorf("%q quotes the noted %q without deferring to the agency: %s", q, before, a.Text)
			}
		}
	}
	if quoted == 0 {
		t.Error("no answer quoted a noted time limit: the check above proved nothing")
	}
	t.Logf("%d answers quoted a noted time limit, %d deferred to the agency", quoted, deferred)
}
