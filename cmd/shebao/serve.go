package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"shebao/bff"
	"shebao/internal/logsink"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "serve", "serve [--config FILE]")
	cfgPath := configFlag(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	// Access logs are batched: one write per line would cost more than a cached request.
	sink := logsink.New(env.stdout, 64<<10, 200*time.Millisecond)
	defer sink.Close()
	log := newLogger(cfg, sink)
	start := time.Now()
	if cfg.DatabaseURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return fmt.Errorf("cannot create data directory %s: %w", cfg.DataDir, unwrapPathErr(err))
		}
	}
	// Claim the port first so that a second instance fails fast, before touching the data.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.Addr, unwrapOpErr(err))
	}
	defer ln.Close()

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.Seed {
		n, err := st.content.SeedIfEmpty(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("seeded guides", "count", n)
		}
	}
	verifier, _, err := openVerifier(ctx, cfg)
	if err != nil {
		return err
	}
	app, err := buildApp(ctx, cfg, log, st, verifier)
	if err != nil {
		return err
	}
	defer app.close()

	srv := bff.New(app.deps)
	errc := make(chan error, 1)
	go func() { errc <- srv.App().Listener(ln) }()
	log.Info("shebao listening", "addr", ln.Addr().String(), "data_dir", absPath(cfg.DataDir),
		"store", string(st.db.Dialect), "startup_ms", time.Since(start).Milliseconds())
	go app.background(ctx)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := srv.Shutdown(cfg.ShutdownTimeout); err != nil {
		log.Error("shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func unwrapOpErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}
