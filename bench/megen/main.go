// Command megen fills a store with people and applications for the /api/v1/me/home benchmark
// (BENCHMARKS.md): --people people and --apps applications shaped as internal/homebench makes
// them (profiles, applications with their steps, follows, notices, guide uses); it writes one
// user token per person to --tokens.
//
//	go run ./bench/megen --data-dir /tmp/bench --people 100000 --apps 1000000 --tokens /tmp/bench/tokens.txt
//	go run ./bench/megen --database-url postgres://… --data-dir /tmp/bench-pg …
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"shebao/internal/db"
	"shebao/internal/homebench"
	"shebao/internal/identity"
)

func main() {
	dataDir := flag.String("data-dir", "./data", "data dir (SQLite file and signing keys)")
	dbURL := flag.String("database-url", "", "PostgreSQL URL; empty = the SQLite file in the data dir")
	people := flag.Int("people", 100000, "people")
	apps := flag.Int("apps", 1000000, "applications")
	tokens := flag.String("tokens", "", "file to write one token per person to (empty = none)")
	tokensOnly := flag.Bool("tokens-only", false, "only write --tokens for the --people already in the store")
	flag.Parse()
	var err error
	if *tokensOnly {
		err = onlyTokens(context.Background(), *dataDir, *dbURL, *people, *tokens)
	} else {
		err = run(context.Background(), *dataDir, *dbURL, *people, *apps, *tokens)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "megen:", err)
		os.Exit(1)
	}
}

// open opens the store of the data dir, or the PostgreSQL one at dbURL.
func open(ctx context.Context, dataDir, dbURL string) (*db.DB, error) {
	if dbURL != "" {
		return db.OpenPostgres(ctx, dbURL)
	}
	return db.OpenSQLite(ctx, filepath.Join(dataDir, "shebao.db"))
}

// onlyTokens writes the tokens of a store filled before.
func onlyTokens(ctx context.Context, dataDir, dbURL string, nPeople int, tokensPath string) error {
	d, err := open(ctx, dataDir, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	return mintTokens(ctx, d, dataDir, nPeople, tokensPath)
}

func run(ctx context.Context, dataDir, dbURL string, nPeople, nApps int, tokensPath string) error {
	d, err := open(ctx, dataDir, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := homebench.Fill(ctx, d, nPeople, nApps, os.Stdout); err != nil {
		return err
	}
	if tokensPath == "" {
		return nil
	}
	return mintTokens(ctx, d, dataDir, nPeople, tokensPath)
}

// mintTokens writes one user token per person, signed with the keys the server verifies with:
// the identity_keys table on PostgreSQL (where replicas share them), else the data dir's files.
func mintTokens(ctx context.Context, d *db.DB, dataDir string, nPeople int, tokensPath string) error {
	var keys *identity.Keyring
	var err error
	if d.Dialect == db.Postgres {
		keys, err = identity.OpenKeyringDB(ctx, d, identity.KeyringOptions{})
	} else {
		keys, err = identity.OpenKeyring(filepath.Join(dataDir, "keys"))
	}
	if err != nil {
		return err
	}
	f, err := os.Create(tokensPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := 0; i < nPeople; i++ {
		tok, err := keys.Mint(subject(i), "", []identity.Role{identity.RoleUser}, 24*time.Hour)
		if err != nil {
			return err
		}
		w.WriteString(tok + "\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func subject(i int) string { return homebench.Subject(i) }
