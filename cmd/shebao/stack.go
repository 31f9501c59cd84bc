package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"shebao/config"
	"shebao/content"
	apps "shebao/internal/application"
	"shebao/internal/db"
	"shebao/internal/eventlog"
	"shebao/internal/lease"
	"shebao/internal/person"
	"shebao/internal/queue"
	"shebao/notify"
)

// configFlag adds --config to a flag set; loadConfig reads it.
func configFlag(fs *flags) *string {
	return fs.String("config", "", "YAML config file (env vars SHEBAO_* override it)")
}

// loadConfig reads the config of a command that uses the data dir, and says on stderr when that
// dir does not exist yet and is about to be created and seeded, so that a command run outside the
// repository root does not silently make a ./data of its own there.
func loadConfig(env *environment, path string) (config.Config, error) {
	cfg, err := config.Load(path, env.getenv)
	if err != nil {
		return cfg, err
	}
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
		abs, aerr := filepath.Abs(cfg.DataDir)
		if aerr != nil {
			abs = cfg.DataDir
		}
		fmt.Fprintf(env.stderr, "shebao: data dir %s does not exist; creating it (set SHEBAO_DATA_DIR or data_dir to use another)\n", abs)
	}
	return cfg, nil
}

// parseConfig parses a command's flags, then loads the config its --config names.
func parseConfig(env *environment, fs *flags, path *string, args []string) (config.Config, error) {
	if err := fs.parse(args); err != nil {
		return config.Config{}, err
	}
	return loadConfig(env, *path)
}

// newLogger builds the process logger from the config.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openDB opens PostgreSQL when DATABASE_URL is set, else the SQLite file in the data dir.
func openDB(ctx context.Context, cfg config.Config) (*db.DB, error) {
	if cfg.DatabaseURL != "" {
		return db.OpenPostgres(ctx, cfg.DatabaseURL)
	}
	d, err := db.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "shebao.db"))
	if err != nil {
		return nil, err
	}
	d.LimitSQLiteConns(cfg.SQLiteMaxConns)
	return d, nil
}

// store is the state every subcommand that touches data needs.
type store struct {
	db      *db.DB
	events  *eventlog.Log // broadcast events: every consumer in every process sees each one
	jobs    *queue.Queue  // jobs: exactly one worker does each
	content *content.Service
	leases  *lease.Leases   // daily work done by one replica of all
	redis   *redis.Client   // shared with the other replicas; nil without REDIS_URL
	signal  eventlog.Signal // wakes other replicas on new events; nil = polling only
	stop    context.CancelFunc
}

// startupLockKey is the PostgreSQL advisory lock held around migrations and the seed, so that
// replicas started at once on an empty database do them once ("shbo" in ASCII).
const startupLockKey = 0x7368626f

func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store, error) {
	d, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	st := &store{db: d, stop: stop}
	if cfg.RedisURL != "" {
		if st.redis, err = openRedis(cfg.RedisURL); err != nil {
			stop()
			d.Close()
			return nil, err
		}
	}
	st.signal = newSignal(bg, cfg, d, st.redis, log)
	err = d.WithLock(ctx, startupLockKey, func() error {
		var err error
		if st.events, err = eventlog.Open(ctx, d, eventlog.Options{Log: log, Poll: cfg.EventsPoll, Signal: st.signal}); err == nil {
			st.jobs, err = queue.Open(ctx, d, queue.Options{Lease: cfg.QueueLease})
		}
		if err == nil {
			st.leases, err = lease.Open(ctx, d, nil)
		}
		if err == nil {
			st.content, err = content.New(ctx, content.Options{DB: d, Events: st.events, Jobs: st.jobs, Log: log})
		}
		return err
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open content store at %s: %w", d.Where(), err)
	}
	return st, nil
}

// openRedis returns a client that fails fast: a down Redis must cost a request milliseconds (the
// rate limits fall back to memory, events to polling), not the client's default retries.
func openRedis(rawURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = 500 * time.Millisecond
	opt.WriteTimeout = 500 * time.Millisecond
	opt.MaxRetries = 1
	return redis.NewClient(opt), nil
}

// newSignal picks how this process wakes the others on new events (events_signal): Redis
// pub/sub, PostgreSQL LISTEN/NOTIFY, or none (polling only; SQLite has one process anyway).
func newSignal(ctx context.Context, cfg config.Config, d *db.DB, rdb *redis.Client, log *slog.Logger) eventlog.Signal {
	kind := cfg.EventsSignal
	if kind == "auto" {
		switch {
		case rdb != nil:
			kind = "redis"
		case d.Dialect == db.Postgres:
			kind = "postgres"
		default:
			kind = "none"
		}
	}
	switch kind {
	case "redis":
		return eventlog.NewRedisSignal(ctx, rdb, cfg.EventsPoll, log)
	case "postgres":
		if d.Dialect != db.Postgres {
			return nil
		}
		return eventlog.NewPostgresSignal(ctx, d.PostgresURL(), eventlog.NotifyVia(func(ctx context.Context, q string, args ...any) error {
			_, err := d.Exec(ctx, q, args...)
			return err
		}), cfg.EventsPoll, log)
	}
	return nil
}

// seed publishes the built-in guides when the config asks for it and the store has none; it
// returns how many it published.
func (s *store) seed(ctx context.Context, cfg config.Config) (int, error) {
	if !cfg.Seed {
		return 0, nil
	}
	n, err := s.content.SeedIfEmpty(ctx)
	if err == nil {
		// A store seeded before a form shipped gets it now.
		_, err = s.content.SeedFormsIfMissing(ctx)
	}
	return n, err
}

// schemaCurrent fails when a component's migrations are not all applied (for /readyz).
func (s *store) schemaCurrent(ctx context.Context) error {
	for _, c := range []struct {
		name string
		ms   []db.Migration
	}{{"content", content.Migrations}, {"people", content.PeopleMigrations}, {"eventlog", eventlog.Migrations}, {"queue", queue.Migrations},
		{"person", person.Migrations}, {"application", apps.Migrations}, {"lease", lease.Migrations}, {"notify", notify.Migrations}} {
		ok, err := s.db.UpToDate(ctx, c.name, c.ms)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s schema is not current", c.name)
		}
	}
	return nil
}

// Close stops the signal and closes the connections.
func (s *store) Close() error {
	s.stop()
	if s.redis != nil {
		s.redis.Close()
	}
	return s.db.Close()
}
