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
	"sync/atomic"
	"time"

	"shebao/bff"
	"shebao/config"
	"shebao/internal/eventlog"
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
	// Replicas started at once on an empty database: one seeds and builds, the others wait for
	// the lock and find the work done (every step below is idempotent).
	var verifier verifiers
	var app *application
	err = st.db.WithLock(ctx, startupLockKey, func() error {
		if n, err := st.seed(ctx, cfg); err != nil {
			return err
		} else if n > 0 {
			log.Info("seeded guides", "count", n)
		}
		if verifier, err = openVerifier(ctx, cfg, st.db, log); err != nil {
			return err
		}
		app, err = buildApp(ctx, cfg, log, accessLog(cfg, sink), st, verifier)
		return err
	})
	if err != nil {
		return err
	}
	defer app.close()
	var draining atomic.Bool
	app.deps.Ready = append(app.deps.Ready, bff.ReadyCheck{Name: "draining", Check: func(context.Context) error {
		if draining.Load() {
			return errors.New("shutting down: new requests should go to another replica")
		}
		return nil
	}})

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
		"store", string(st.db.Dialect), "events_signal", signalName(st.signal), "startup_ms", time.Since(start).Milliseconds())
	go app.background(ctx)
	go pruneRevocations(ctx, log, st.leases, verifier.revocations)
	if cfg.DebugAddr != "" {
		go servePprof(cfg.DebugAddr, log)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Draining: /readyz answers 503 at once so the balancer stops sending new requests, while
	// this replica keeps serving for drain_delay (the balancer's check interval); then the
	// listeners close, in-flight requests finish within shutdown_timeout, and chat sockets are
	// closed with 1001 (going away) by the assistant so clients reconnect to another replica.
	draining.Store(true)
	log.Info("shutting down: readiness off, draining", "drain_delay", cfg.DrainDelay.String(), "timeout", cfg.ShutdownTimeout.String())
	if cfg.DrainDelay > 0 {
		time.Sleep(cfg.DrainDelay)
	}
	if err := srv.Shutdown(cfg.ShutdownTimeout); err != nil {
		log.Error("shutdown", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	_ = chatSrv.Shutdown(sctx) // hijacked chat connections are closed by the assistant's Close
	log.Info("stopped")
	return nil
}

// accessLog is where access records go: the batched sink when the log level shows them.
func accessLog(cfg config.Config, sink io.Writer) io.Writer {
	if lvl := cfg.LogLevel; cfg.LogFormat == "json" && (lvl == "debug" || lvl == "info") {
		return sink
	}
	return nil
}

// signalName names the event signal in use, for the start-up log.
func signalName(s eventlog.Signal) string {
	switch s.(type) {
	case *eventlog.RedisSignal:
		return "redis"
	case *eventlog.PostgresSignal:
		return "postgres"
	}
	return "none (polling)"
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
