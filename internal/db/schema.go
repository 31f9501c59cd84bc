package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
)

// FreshSchema makes a new schema, prefix followed by random hex, on the PostgreSQL server at
// base, and returns its name and a URL whose connections use it (search_path): tests and
// benchmarks each get a store of their own on a shared server. drop removes the schema and
// everything in it.
func FreshSchema(ctx context.Context, base, prefix string) (schema, schemaURL string, drop func(), err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
	}
	admin, err := OpenPostgres(ctx, base)
	if err != nil {
		return "", "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema = prefix + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return schema, u.String(), func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}, nil
}
