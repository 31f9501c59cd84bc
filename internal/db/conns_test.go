package db_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"shebao/internal/db"
)

// openFilesOn counts this process's open file handles on files whose name starts with path
// (the database, its WAL and shared-memory files).
func openFilesOn(t *testing.T, path string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd on this system: cannot count file handles")
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(target, path) {
			n++
		}
	}
	return n
}

// TestSQLiteConnectionsAreCapped: a burst asking for more connections than the cap waits for
// one instead of opening more, and once it is over the connections it used stay open for reuse
// (none closed and reopened), as many as the cap at most, with their file handles.
func TestSQLiteConnectionsAreCapped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shebao.db")
	d, err := db.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	max := db.DefaultSQLiteMaxConns
	if got := d.Stats().MaxOpenConnections; got != max {
		t.Fatalf("max open connections %d, want %d", got, max)
	}
	var held []*sql.Conn
	for range max {
		c, err := d.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A connection opens its files on first use.
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(new(int)); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	got := make(chan *sql.Conn)
	go func() {
		c, err := d.Conn(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	for d.Stats().WaitCount == 0 {
		time.Sleep(5 * time.Millisecond) // until the extra request waits for a connection
	}
	if open := d.Stats().OpenConnections; open != max {
		t.Errorf("%d connections open with %d requests, want the cap %d", open, max+1, max)
	}
	held[0].Close()
	held[0] = <-got
	for _, c := range held {
		c.Close()
	}
	// A burst of eight times the cap, each holding its connection until all have asked for one.
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 8 * max {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := d.Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			_ = c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(new(int))
			<-release
		}()
	}
	for d.Stats().InUse < max {
		time.Sleep(5 * time.Millisecond)
	}
	// SQLite keeps a closed connection's file handles while other connections hold locks on the
	// file (POSIX locks are per process), so the handles follow the peak number of connections:
	// the cap is what bounds them (a burst of 400 requests left 290 open before it).
	peak := openFilesOn(t, path)
	close(release)
	wg.Wait()
	if limit := 3*max + 3; peak > limit {
		t.Errorf("%d file handles on the database during a burst of %d, want at most %d", peak, 8*max, limit)
	}
	// The connections of the burst stay for reuse (closing them on release and opening new ones
	// on the next burst cost a schema read and the prepared statements each), never more than
	// the cap, and so do their handles.
	st := d.Stats()
	if st.OpenConnections > max || st.Idle > max || st.MaxIdleClosed > 0 {
		t.Errorf("after the burst: %d open, %d idle, %d closed for want of idle room; want at most %d and none closed",
			st.OpenConnections, st.Idle, st.MaxIdleClosed, max)
	}
	if after, limit := openFilesOn(t, path), 3*max+3; after > limit {
		t.Errorf("%d file handles on the database after the burst, want at most %d", after, limit)
	}
	t.Logf("file handles on the database: %d during a burst of %d, %d after", peak, 8*max, openFilesOn(t, path))
}

// TestLimitSQLiteConnsLeavesPostgresAlone: the cap is for SQLite only.
func TestLimitSQLiteConnsLeavesPostgresAlone(t *testing.T) {
	d := &db.DB{DB: &sql.DB{}, Dialect: db.Postgres}
	d.LimitSQLiteConns(2) // would panic on the zero sql.DB if it touched the pool
}

// TestSQLiteWritersTakeTurns: the process's SQLite transactions queue for one write turn in Go,
// not in SQLite's busy handler (which sleeps up to 100 ms between tries): every one of many
// concurrent writers commits, in turn, and a writer still waiting when its context ends gives
// up at once, holding no connection.
func TestSQLiteWritersTakeTurns(t *testing.T) {
	ctx := context.Background()
	d, err := db.OpenSQLite(ctx, filepath.Join(t.TempDir(), "turns.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(ctx, `CREATE TABLE n (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO n (v) VALUES (1)`)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := d.QueryRow(ctx, `SELECT count(*) FROM n`).Scan(&n); err != nil || n != 40 {
		t.Fatalf("%d rows, %v", n, err)
	}

	held, release := make(chan struct{}), make(chan struct{})
	go d.InTx(ctx, func(tx *db.Tx) error { close(held); <-release; return nil })
	<-held
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.InTx(wctx, func(tx *db.Tx) error { return nil }) }()
	time.Sleep(20 * time.Millisecond)
	if inUse := d.Stats().InUse; inUse != 1 {
		t.Errorf("%d connections in use while one writer holds the turn and another waits; want 1", inUse)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a writer whose context ended ran anyway")
		}
	case <-time.After(3 * time.Second): // SQLite's busy handler would have slept until its 5 s timeout
		t.Fatal("a waiting writer did not give up when its context ended")
	}
	close(release)
}
