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

	"shebao/config"
	"shebao/content"
	apps "shebao/internal/application"
	"shebao/internal/db"
	"shebao/internal/eventlog"
	"shebao/internal/person"
	"shebao/internal/queue"
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
}

func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store, error) {
	d, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := &store{db: d}
	if st.events, err = eventlog.Open(ctx, d, eventlog.Options{Log: log}); err == nil {
		st.jobs, err = queue.Open(ctx, d, queue.Options{})
	}
	if err == nil {
		st.content, err = content.New(ctx, content.Options{DB: d, Events: st.events, Jobs: st.jobs, Log: log})
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("open content store at %s: %w", d.Where(), err)
	}
	return st, nil
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
		{"person", person.Migrations}, {"application", apps.Migrations}} {
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

func (s *store) Close() error { return s.db.Close() }
