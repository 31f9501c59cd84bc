package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"shebao/bff"
	"shebao/config"
	"shebao/internal/identity"
)

// application is the wired server: the edge's dependencies plus what runs in the background.
type application struct {
	deps    bff.Deps
	st      *store
	log     *slog.Logger
	closers []func() error
}

func buildApp(ctx context.Context, cfg config.Config, log *slog.Logger, st *store, verifier identity.Verifier) (*application, error) {
	a := &application{st: st, log: log}
	a.deps = bff.Deps{
		Content:    st.content,
		Log:        log,
		Version:    version,
		Auth:       verifier,
		TrustProxy: cfg.TrustProxy,
		Ready: []bff.ReadyCheck{
			{Name: "store", Check: func(ctx context.Context) error { return st.db.PingContext(ctx) }},
			{Name: "migrations", Check: func(ctx context.Context) error {
				ok, err := st.content.SchemaCurrent(ctx)
				if err == nil && !ok {
					err = fmt.Errorf("content schema is not current")
				}
				return err
			}},
		},
	}
	return a, nil
}

// background runs the periodic work until ctx ends: publishing scheduled versions that are due
// (within a second of their time) and delivering outbox events that a crash left behind.
func (a *application) background(ctx context.Context) {
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
