// Command shebao is the backend of the Shaanxi social-insurance app: `shebao serve` runs the
// server; the other subcommands manage its data and talk to a running server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a subcommand may touch: its streams and the process environment.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the server (the default)", runServe},
		"migrate": {"apply database migrations and exit", runMigrate},
		"export":  {"write every published guide as JSON, one object per line, to stdout", runExport},
		"import":  {"validate a guide file (YAML or JSON, - for stdin) and load it as drafts or, with --publish, publish", runImport},
		"eval":    {"measure quality: eval search FILE.tsv (recall@1/@3, MRR vs a cjk baseline), eval chat [GOLDEN.yaml] or eval parse [FILE.tsv]", runEval},
		"parse":   {"read a spoken answer as a form value: parse --type date 五三年三月 prints 1953-03", runParse},
		"chat":    {"talk to the assistant of a running server from the terminal", runChat},
		"token":   {"mint a bearer token signed with the local key in the data dir", runToken},
		"retire":  {"compute the statutory retirement age for a category and birth month", runRetire},
		"version": {"print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run dispatches to a subcommand and turns its error into one line on stderr and exit code 1
// (2 for usage errors).
func run(ctx context.Context, env *environment, args []string) int {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		usage(env.stdout)
		return 0
	}
	if name == "help" {
		usage(env.stdout)
		return 0
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(env.stderr, "shebao: unknown command %q\n", name)
		usage(env.stderr)
		return 2
	}
	err := cmd.run(ctx, env, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(env.stderr, "shebao %s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(env.stderr, "shebao %s: %v\n", name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "shebao — backend of the Shaanxi social-insurance app")
	fmt.Fprintln(w, "\nUsage: shebao <command> [flags]   (shebao <command> --help for its flags)\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// flags is a subcommand's flag set that prints help to stdout and leaves errors to run.
type flags struct {
	*flag.FlagSet
	out      io.Writer
	synopsis string
}

func newFlags(env *environment, name, synopsis string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, out: env.stdout, synopsis: synopsis}
}

// parse parses args: --help prints the synopsis and flags and returns flag.ErrHelp; any other
// flag error becomes a usage error.
func (f *flags) parse(args []string) error {
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(f.out, "Usage: shebao %s\n\n", f.synopsis)
		f.SetOutput(f.out)
		f.PrintDefaults()
		return err
	}
	if err != nil {
		return usageError{err.Error()}
	}
	return nil
}

func runVersion(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := fs.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "shebao", version)
	return nil
}
