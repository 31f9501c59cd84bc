// Package db opens the state store — SQLite (embedded default) or PostgreSQL — and runs versioned
// migrations. Stores write hand-written SQL with '?' placeholders; Rebind turns them into '$n' for
// PostgreSQL, so one statement serves both dialects.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL dialect of a DB.
type Dialect string

// The two dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a database handle that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	where   string   // path or host, for messages; never the password
	dsn     string   // PostgreSQL URL, for connections outside the pool (LISTEN); empty for SQLite
	stmts   sync.Map // query text → *sql.Stmt, for QueryPrepared
	// writer is held by the SQLite transaction that writes (every one: they begin IMMEDIATE),
	// so that the process's writers queue here, in turn, instead of in SQLite's busy handler,
	// which sleeps 1, 2, 5, 10 … 100 ms between tries: a webhook waiting for a notice's
	// transaction slept up to 50–240 ms, once the whole 5 s busy timeout. nil on PostgreSQL.
	writer chan struct{}
	// stop ends the SQLite checkpointer (checkpointLoop); nil on PostgreSQL.
	stop     chan struct{}
	stopOnce sync.Once
}

// lockWriter takes the SQLite writer turn, giving up like SQLite's busy timeout would.
func (d *DB) lockWriter(ctx context.Context) error {
	select {
	case d.writer <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(sqliteBusyTimeout)
	defer t.Stop()
	select {
	case d.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("database is locked: no write turn within %s", sqliteBusyTimeout)
	}
}

// sqliteBusyTimeout is how long a writer waits for its turn, and SQLite's busy_timeout (for
// writes outside InTx and other processes on the file).
const sqliteBusyTimeout = 5 * time.Second

// QueryPrepared runs q (with '?' placeholders) as a statement prepared once and kept for the
// DB's lifetime: for hot read paths, where parsing the SQL on every call was a quarter of the
// CPU of a request (GET /api/v1/me/home). q must be a constant text, or one of a bounded set
// (e.g. an IN list padded to a power of two), never built freely per call.
func (d *DB) QueryPrepared(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := d.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowPrepared is QueryPrepared for one row.
func (d *DB) QueryRowPrepared(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := d.prepared(ctx, q)
	if err != nil {
		return d.QueryRow(ctx, q, args...) // the error shows again, on Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func (d *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := d.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := d.DB.PrepareContext(ctx, d.Rebind(q))
	if err != nil {
		return nil, err
	}
	if prev, loaded := d.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// PostgresURL is the URL the PostgreSQL DB was opened with (empty for SQLite): a LISTEN needs a
// connection of its own, outside the pool.
func (d *DB) PostgresURL() string { return d.dsn }

// Where names the file or host the DB lives at (no credentials).
func (d *DB) Where() string { return d.where }

// OpenSQLite opens (creating if needed) the SQLite file at path with WAL and a busy timeout.
// It fails with a one-line error naming the path when the directory is not writable or the file
// is not a database.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create data directory %s: %w", dir, unwrapPath(err))
	}
	if err := checkWritable(dir); err != nil {
		return nil, fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(" + strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10) + ")&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open SQLite file %s: %w", path, err)
	}
	d := &DB{DB: sdb, Dialect: SQLite, where: path, writer: make(chan struct{}, 1), stop: make(chan struct{})}
	d.LimitSQLiteConns(DefaultSQLiteMaxConns)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var n int
	if err := sdb.QueryRowContext(pctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("SQLite file %s is not a usable database: %w", path, err)
	}
	go d.checkpointLoop()
	return d, nil
}

// checkpointEvery is how often the SQLite checkpointer copies the write-ahead log into the
// database file.
var checkpointEvery = time.Second

// checkpointLoop copies the write-ahead log into the database file every checkpointEvery, beside
// the requests, until Close. SQLite's own automatic checkpoint (off: wal_autocheckpoint(0)) runs
// inside the commit that crosses 1,000 pages of log: that commit took 20–67 ms instead of well
// under one, the p99 of whatever request made it — a chat turn's p99 5.8–7.6 ms against 1.3–2.4 ms
// without it, a webhook's 45–70 ms. A passive checkpoint waits for no reader or writer; the log
// starts over from its beginning once a checkpoint has copied all of it.
func (d *DB) checkpointLoop() {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		// A failure is left to the next tick (Close stops the loop before it closes the pool).
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var busy, log, done int
		_ = d.DB.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
		cancel()
	}
}

// Close stops the SQLite checkpointer and closes the database (the last connection to close
// checkpoints what is left in the log).
func (d *DB) Close() error {
	if d.stop != nil {
		d.stopOnce.Do(func() { close(d.stop) })
	}
	return d.DB.Close()
}

// DefaultSQLiteMaxConns caps the connections to an SQLite file. SQLite writes one at a time
// (WAL lets readers run beside the writer), so more connections than a few per core only queue
// in the file lock, while each costs two or three file handles and its own page cache. The
// handles of a closed connection stay open while any other connection of the process holds a
// lock on the file (POSIX locks are per process), so they follow the peak number of connections:
// unbounded, a burst of 400 requests left 290 open; with the cap, 21.
const DefaultSQLiteMaxConns = 16

// LimitSQLiteConns caps an SQLite DB at n open connections, all of which may stay idle for reuse
// until a minute without use closes them. It does nothing on PostgreSQL, whose pool is sized
// for the server. Fewer kept idle than open made every burst past the idle count close
// connections on release and open new ones: each new connection reads the whole schema and
// prepares the hot statements again, 10 % of the server's CPU in bench/me_home.sh's run of
// home-screen misses.
func (d *DB) LimitSQLiteConns(n int) {
	if d.Dialect != SQLite || n <= 0 {
		return
	}
	d.SetMaxOpenConns(n)
	d.SetMaxIdleConns(n)
	d.SetConnMaxIdleTime(time.Minute)
}

// OpenPostgres connects to the PostgreSQL server at dsn and checks that it answers within 5 s.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	host := hostOf(dsn)
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid DATABASE_URL for %s: %w", host, err)
	}
	sdb.SetMaxOpenConns(20)
	// As many kept idle as may be open: with fewer, every burst past the idle count closes
	// connections on release and opens new ones on the next request (a backend forked, the
	// statements of QueryPrepared prepared again): 272 sessions in one bench/me_home.sh run with
	// 10 kept, 21 with 20.
	sdb.SetMaxIdleConns(20)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %s", host, firstLine(err))
	}
	return &DB{DB: sdb, Dialect: Postgres, where: host, dsn: dsn}, nil
}

// Rebind rewrites '?' placeholders to '$1', '$2', … for PostgreSQL. Question marks inside single
// quoted literals are left alone.
func (d *DB) Rebind(q string) string {
	if d.Dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Exec runs q (with '?' placeholders) on the DB.
func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, d.Rebind(q), args...)
}

// Query runs q (with '?' placeholders) on the DB.
func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(ctx, d.Rebind(q), args...)
}

// QueryRow runs q (with '?' placeholders) on the DB.
func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, d.Rebind(q), args...)
}

// Tx is a transaction that rebinds like DB.
type Tx struct {
	*sql.Tx
	db           *DB
	beforeCommit []func() error
}

// BeforeCommit registers fn to run inside the transaction just before it commits, after
// everything else the transaction does: for writes that take a global lock (the event log's
// append order on PostgreSQL), so that the lock is never held while waiting for row locks.
func (t *Tx) BeforeCommit(fn func() error) { t.beforeCommit = append(t.beforeCommit, fn) }

// Commit runs the BeforeCommit functions in order, then commits; when one fails, the
// transaction is rolled back and its error returned.
func (t *Tx) Commit() error {
	for _, fn := range t.beforeCommit {
		if err := fn(); err != nil {
			_ = t.Tx.Rollback()
			return err
		}
	}
	return t.Tx.Commit()
}

// Begin starts a transaction.
func (d *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := d.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: d}, nil
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling back otherwise.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if d.writer != nil {
		if err := d.lockWriter(ctx); err != nil {
			return err
		}
		defer func() { <-d.writer }()
	}
	tx, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Exec runs q (with '?' placeholders) in the transaction.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.db.Rebind(q), args...)
}

// Query runs q (with '?' placeholders) in the transaction.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.db.Rebind(q), args...)
}

// QueryRow runs q (with '?' placeholders) in the transaction.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.db.Rebind(q), args...)
}

// ExecPrepared is Exec through the DB's statement for q, prepared once per connection and kept
// (see DB.QueryPrepared): for statements a hot path runs again and again (the 经办 webhook's
// writes, multi-row writes of a few fixed sizes), which SQLite otherwise parses afresh every
// time. q must be one of a bounded set of texts.
func (t *Tx) ExecPrepared(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.db.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// QueryRowPrepared is QueryRow with q prepared once for the DB, as ExecPrepared.
func (t *Tx) QueryRowPrepared(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.db.prepared(ctx, q)
	if err != nil {
		return t.QueryRow(ctx, q, args...) // the error shows again, on Scan
	}
	return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// QueryPrepared is ExecPrepared for a statement that returns rows.
func (t *Tx) QueryPrepared(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.db.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// Dialect returns the transaction's dialect.
func (t *Tx) Dialect() Dialect { return t.db.Dialect }

// InsertID inserts with q and returns the new row's id column. q must not end in RETURNING.
func (t *Tx) InsertID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := t.QueryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return unwrapPath(err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func hostOf(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Host != "" {
		return u.Host
	}
	for _, f := range strings.Fields(dsn) {
		if h, ok := strings.CutPrefix(f, "host="); ok {
			return h
		}
	}
	return "the configured DATABASE_URL"
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Unreachable reports whether err means the database could not be reached or went away (a
// restart, a failover, a refused connection) rather than that the statement was wrong: the edge
// answers such failures 503 service_unavailable, which clients and balancers retry, and the pool
// reconnects by itself once the server is back.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}
