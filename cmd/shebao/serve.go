package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"time"

	"shebao/bff"
	"shebao/internal/logsink"
	"shebao/internal/splitlisten"
)

// servePprof serves Go's profiler on a separate (loopback) address for operators.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("pprof server", "addr", addr, "err", err)
	}
}

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "serve", "serve [--config FILE]")
	cfgPath := configFlag(fs)
	cfg, err := parseConfig(env, fs, cfgPath, args)
	if err != nil {
		return err
	}
	// Access logs are batched: one write per line would cost more than a cached request.
	sink := logsink.New(env.stdout, 64<<10, 200*time.Millisecond)
	defer sink.Close()
	log := newLogger(cfg, sink)
	start := time.Now()
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
	if n, err := st.seed(ctx, cfg); err != nil {
		return err
	} else if n > 0 {
		log.Info("seeded guides", "count", n)
	}
	verifier, err := openVerifier(ctx, cfg, st.db, log)
	if err != nil {
		return err
	}
	var accessLog io.Writer
	if lvl := cfg.LogLevel; cfg.LogFormat == "json" && (lvl == "debug" || lvl == "info") {
		accessLog = sink
	}
	app, err := buildApp(ctx, cfg, log, accessLog, st, verifier)
	if err != nil {
		return err
	}
	defer app.close()

	app.deps.Revocations = verifier.revocations
	if cfg.Dev {
		// Dev mode only: the demo person and editor sign in with one tap on /app.
		app.deps.DevMinter = verifier.keys
		log.Warn("dev mode: demo accounts can sign in without a password; never run production this way", "accounts", len(bff.DevAccounts))
	}
	app.person.listening(ln.Addr())
	srv := bff.New(app.deps)
	// One port: connections that open with the chat WebSocket request go to a plain net/http
	// server (cheaper idle connections for gorilla/websocket) behind the same edge (request ids,
	// access log, metrics, error bodies); everything else to Fiber, which also serves the chat
	// through its adaptor for clients that reuse a keep-alive connection.
	split := splitlisten.New(ln, "GET", "/api/v1/chat")
	chatSrv := &http.Server{Handler: srv.ChatHandler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: bff.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 3)
	go func() { errc <- split.Serve() }()
	go func() { errc <- srv.App().Listener(split.Primary) }()
	go func() {
		if err := chatSrv.Serve(srv.ChatListener(split.Secondary)); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errc <- err
		}
	}()
	log.Info("shebao listening", "addr", ln.Addr().String(), "data_dir", absPath(cfg.DataDir),
		"store", string(st.db.Dialect), "startup_ms", time.Since(start).Milliseconds())
	go app.background(ctx)
	go pruneRevocations(ctx, log, verifier.revocations)
	if cfg.DebugAddr != "" {
		go servePprof(cfg.DebugAddr, log)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := srv.Shutdown(cfg.ShutdownTimeout); err != nil {
		log.Error("shutdown", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	_ = chatSrv.Shutdown(sctx) // hijacked chat connections are closed by the assistant's Close
	log.Info("stopped")
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func unwrapOpErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}
