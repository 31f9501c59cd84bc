package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"shebao/config"
	"shebao/content"
	"shebao/internal/person"
	"shebao/notify"
)

// openFromArgs parses a command that takes only --config and opens the store it names, so the
// data commands share one way of reaching the database.
func openFromArgs(ctx context.Context, env *environment, name, usage string, args []string) (*store, config.Config, error) {
	fs := newFlags(env, name, usage)
	cfgPath := configFlag(fs)
	cfg, err := parseConfig(env, fs, cfgPath, args)
	if err != nil {
		return nil, cfg, err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, env.stderr))
	return st, cfg, err
}

func runMigrate(ctx context.Context, env *environment, args []string) error {
	st, _, err := openFromArgs(ctx, env, "migrate", "migrate [--config FILE]", args)
	if err != nil {
		return err
	}
	defer st.Close()
	// notify's migrations move facts into the person store's profiles: person's come first.
	if err := st.db.Migrate(ctx, "person", person.Migrations); err != nil {
		return err
	}
	if err := st.db.Migrate(ctx, "notify", notify.Migrations); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "migrations applied to %s\n", st.db.Where())
	return nil
}

func runExport(ctx context.Context, env *environment, args []string) error {
	st, cfg, err := openFromArgs(ctx, env, "export", "export [--config FILE] > guides.json", args)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.seed(ctx, cfg); err != nil {
		return err
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetEscapeHTML(false)
	for _, g := range st.content.PublishedSources() {
		if err := enc.Encode(g); err != nil {
			return err
		}
	}
	return nil
}

func runImport(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "import", "import [--publish --token TOKEN] [--config FILE] FILE|-")
	cfgPath := configFlag(fs)
	publish := fs.Bool("publish", false, "publish the guides (needs an admin token) instead of loading them as drafts")
	token := fs.String("token", "", "bearer token of the person importing, from: shebao token --subject ID --role admin (admin role needed with --publish)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"need exactly one FILE (or - for stdin)"}
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	var data []byte
	if name == "-" {
		data, err = io.ReadAll(env.stdin)
		name = "stdin"
	} else {
		data, err = os.ReadFile(name)
		name = filepath.Base(name)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	// Who imports is settled before the file is parsed, so a refused import costs nothing.
	actor, err := cliActor(ctx, cfg, *token, *publish)
	if err != nil {
		return err
	}
	guides, err := content.ParseGuides(name, data)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.stderr)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	files := make([]string, len(guides))
	for i := range files {
		files[i] = name
	}
	res, err := st.content.Import(ctx, guides, files, actor, *publish)
	if err != nil {
		return oneLine(err)
	}
	state := "drafts"
	if *publish {
		state = "published"
	}
	fmt.Fprintf(env.stdout, "imported %d guides as %s: %d new, %d new versions, %d unchanged\n",
		len(guides), state, res.Created, res.Versions, res.Unchanged)
	return nil
}

// oneLine folds a multi-line error (e.g. every problem of an import) into one line.
func oneLine(err error) error {
	return fmt.Errorf("%s", strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "；")), " "))
}
