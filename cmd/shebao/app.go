package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"shebao/assistant"
	"shebao/bff"
	"shebao/config"
	"shebao/internal/identity"
	"shebao/search"
	"shebao/voice"
)

// application is the wired server: the edge's dependencies plus what runs in the background.
type application struct {
	deps    bff.Deps
	st      *store
	search  *search.Service
	chat    *assistant.Service
	voice   *voice.Service
	log     *slog.Logger
	closers []func() error
}

func buildApp(ctx context.Context, cfg config.Config, log *slog.Logger, accessLog io.Writer, st *store, verifier identity.Verifier) (*application, error) {
	a := &application{st: st, log: log}
	idx, err := search.Open(ctx, search.Options{Dir: filepath.Join(cfg.DataDir, "index"), DB: st.db, Log: log})
	if err != nil {
		return nil, fmt.Errorf("open search index in %s: %w", filepath.Join(cfg.DataDir, "index"), err)
	}
	a.closers = append(a.closers, idx.Close)
	a.search = idx
	// Publishes reach the index through the event bus; the loader reads the store, not a cache.
	idx.Subscribe(st.bus, st.content.LoadPublished)
	vs, voiceSettings, err := newVoice(ctx, cfg, log, st.db)
	if err != nil {
		return nil, err
	}
	a.voice = vs
	chat, err := newAssistantWithVoice(ctx, cfg, log, st.db, st.content, idx, verifier, vs, voiceSettings)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, chat.Close)
	a.chat = chat
	a.deps = bff.Deps{
		Content:       st.content,
		Log:           log,
		AccessLog:     accessLog,
		Version:       version,
		Auth:          verifier,
		Search:        idx,
		Chat:          chat.Handler(),
		Voice:         vs,
		VoiceSettings: voiceSettings,
		TrustProxy:    cfg.TrustProxy,
		Ready: []bff.ReadyCheck{
			{Name: "store", Check: func(ctx context.Context) error { return st.db.PingContext(ctx) }},
			{Name: "migrations", Check: func(ctx context.Context) error {
				ok, err := st.content.SchemaCurrent(ctx)
				if err == nil && !ok {
					err = fmt.Errorf("content schema is not current")
				}
				return err
			}},
			{Name: "index", Check: func(context.Context) error {
				if !idx.Ready() {
					return fmt.Errorf("search index is being built")
				}
				return nil
			}},
		},
	}
	return a, nil
}

// background runs the periodic work until ctx ends: publishing scheduled versions that are due
// (within a second of their time) and delivering outbox events that a crash left behind.
func (a *application) background(ctx context.Context) {
	if a.search.NeedsRebuild() {
		// The server answers not-ready until the new index is swapped in.
		if err := a.search.Rebuild(ctx, a.st.content.PublishedGuides()); err != nil {
			a.log.Error("search index rebuild", "err", err)
		}
	}
	go pruneDaily(ctx, a.log, a.chat, a.search)
	go prewarmVoice(ctx, a.log, a.voice)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.st.content.RunDue(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("scheduled publishing", "err", err)
			}
			if err := a.st.content.Relay(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("outbox relay", "err", err)
			}
		}
	}
}

func (a *application) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Error("close", "err", err)
		}
	}
}
