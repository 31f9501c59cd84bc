package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestUnreachable: a server that is not there is "unreachable" (503, retry); a bad statement is
// not (it stays an internal error).
func TestUnreachable(t *testing.T) {
	s, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.ExecContext(context.Background(), "SELECT 1")
	if err == nil {
		t.Fatal("query on a closed port succeeded")
	}
	if !Unreachable(err) {
		t.Errorf("connection refused not seen as unreachable: %v", err)
	}
	d, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Exec(context.Background(), "SELEC nothing")
	if err == nil || Unreachable(err) {
		t.Errorf("a syntax error is seen as unreachable: %v", err)
	}
	if Unreachable(nil) {
		t.Error("nil is unreachable")
	}
}
