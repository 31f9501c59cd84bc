package db_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"shebao/internal/db"
	"shebao/internal/dbtest"
)

func TestRebind(t *testing.T) {
	d := &db.DB{Dialect: db.Postgres}
	got := d.Rebind(`SELECT a FROM t WHERE x = ? AND y = '?' AND z IN (?, ?)`)
	want := `SELECT a FROM t WHERE x = $1 AND y = '?' AND z IN ($2, $3)`
	if got != want {
		t.Errorf("got %s", got)
	}
	if s := (&db.DB{Dialect: db.SQLite}).Rebind("x = ?"); s != "x = ?" {
		t.Errorf("sqlite rebind changed %s", s)
	}
}

func TestMigrateIsIdempotentAndVersioned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ms := []db.Migration{
			{Name: "one", SQL: "CREATE TABLE a (x INTEGER);\nCREATE TABLE b (y INTEGER)"},
			{Name: "two", SQL: "ALTER TABLE a ADD COLUMN z TEXT"},
		}
		for i := 0; i < 2; i++ {
			if err := d.Migrate(ctx, "test", ms); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := d.UpToDate(ctx, "test", ms); !ok || err != nil {
			t.Fatalf("not up to date: %v", err)
		}
		if ok, _ := d.UpToDate(ctx, "test", append(ms, db.Migration{Name: "three", SQL: "SELECT 1"})); ok {
			t.Error("a pending migration should make it not up to date")
		}
		if _, err := d.Exec(ctx, "INSERT INTO a (x, z) VALUES (?, ?)", 1, "q?"); err != nil {
			t.Fatal(err)
		}
		bad := append(ms, db.Migration{Name: "broken", SQL: "CREATE TABLE c (x INTEGER);\nNOT SQL"})
		if err := d.Migrate(ctx, "test", bad); err == nil || !strings.Contains(err.Error(), "broken") {
			t.Fatalf("want error naming the migration, got %v", err)
		}
		// The failed step rolled back as a whole: table c does not exist and the version stayed.
		if _, err := d.Exec(ctx, "INSERT INTO c (x) VALUES (1)"); err == nil {
			t.Error("half-applied migration left table c behind")
		}
		if v, _ := d.SchemaVersion(ctx, "test"); v != 2 {
			t.Errorf("version %d, want 2", v)
		}
	})
}

func TestOpenSQLiteErrorsNameThePath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "bad.db")
	os.WriteFile(corrupt, []byte(strings.Repeat("this is not a database ", 400)), 0o600)
	if _, err := db.OpenSQLite(ctx, corrupt); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("corrupt file: %v", err)
	}
	if os.Geteuid() != 0 { // root can write anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o500)
		if _, err := db.OpenSQLite(ctx, filepath.Join(ro, "x.db")); err == nil || !strings.Contains(err.Error(), ro) {
			t.Errorf("read-only dir: %v", err)
		}
	}
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, nil, 0o600)
	if _, err := db.OpenSQLite(ctx, filepath.Join(file, "x.db")); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("data dir is a file: %v", err)
	}
}

func TestOpenPostgresUnreachableNamesHost(t *testing.T) {
	_, err := db.OpenPostgres(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %v", err)
	}
}

// TestBeforeCommit: the hooks run last, inside the transaction; one that fails rolls it back.
func TestBeforeCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `CREATE TABLE hook_t (n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			tx.BeforeCommit(func() error { _, err := tx.Exec(ctx, `INSERT INTO hook_t (n) VALUES (2)`); return err })
			_, err := tx.Exec(ctx, `INSERT INTO hook_t (n) VALUES (1)`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			tx.BeforeCommit(func() error { return errors.New("refused") })
			_, err := tx.Exec(ctx, `INSERT INTO hook_t (n) VALUES (3)`)
			return err
		})
		if err == nil || err.Error() != "refused" {
			t.Fatalf("failing hook: %v", err)
		}
		var sum, n int
		d.QueryRow(ctx, `SELECT count(*), coalesce(sum(n), 0) FROM hook_t`).Scan(&n, &sum)
		if n != 2 || sum != 3 {
			t.Fatalf("rows %d sum %d, want the first transaction's two rows only", n, sum)
		}
	})
}

// TestTxPrepared: statements prepared once run inside transactions, many times and on more than
// one connection, see the transaction's own writes, and go with a rollback; a bad statement's
// error shows on Scan.
func TestTxPrepared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `CREATE TABLE prep_t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		const ins, get = `INSERT INTO prep_t (k, n) VALUES (?, ?)`, `SELECT n FROM prep_t WHERE k = ?`
		held, err := d.Conn(ctx) // a second connection busy, so the pool prepares on another
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			k := string(rune('a' + i))
			err := d.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.ExecPrepared(ctx, ins, k, i); err != nil {
					return err
				}
				var n int
				if err := tx.QueryRowPrepared(ctx, get, k).Scan(&n); err != nil || n != i {
					t.Errorf("%s inside its transaction: %d, %v", k, n, err)
				}
				if i == 2 {
					return errors.New("roll back")
				}
				return nil
			})
			if (err != nil) != (i == 2) {
				t.Fatalf("transaction %d: %v", i, err)
			}
			if i == 0 {
				held.Close()
			}
		}
		var n, sum int
		d.QueryRow(ctx, `SELECT count(*), coalesce(sum(n), 0) FROM prep_t`).Scan(&n, &sum)
		if n != 2 || sum != 1 {
			t.Fatalf("%d rows, sum %d: want a and b only", n, sum)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error { return tx.QueryRowPrepared(ctx, `SELECT nope FROM prep_t`).Scan(&n) })
		if err == nil {
			t.Fatal("a bad statement ran")
		}
	})
}

// TestAppendRows: every row is scanned and appended in order, SkipRow leaves a row out, a scan
// error stops the loop, and the start slice decides whether no rows give nil or empty.
func TestAppendRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `CREATE TABLE pairs (k TEXT, n INTEGER)`); err != nil {
			t.Fatal(err)
		}
		for i, k := range []string{"a", "b", "c"} {
			if _, err := d.Exec(ctx, `INSERT INTO pairs (k, n) VALUES (?, ?)`, k, i+1); err != nil {
				t.Fatal(err)
			}
		}
		type pair struct {
			K string
			N int
		}
		query := func(where string) *sql.Rows {
			t.Helper()
			rows, err := d.Query(ctx, `SELECT k, n FROM pairs `+where+` ORDER BY k`)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		boom := errors.New("boom")
		cases := []struct {
			name  string
			where string
			start []pair
			scan  func(r db.Scanner, p *pair) error
			want  []pair
			err   error
		}{
			{"all", "", nil, func(r db.Scanner, p *pair) error { return r.Scan(&p.K, &p.N) },
				[]pair{{"a", 1}, {"b", 2}, {"c", 3}}, nil},
			{"appends to start", "WHERE n > 2", []pair{{"z", 9}}, func(r db.Scanner, p *pair) error { return r.Scan(&p.K, &p.N) },
				[]pair{{"z", 9}, {"c", 3}}, nil},
			{"skip", "", nil, func(r db.Scanner, p *pair) error {
				if err := r.Scan(&p.K, &p.N); err != nil || p.K != "b" {
					return err
				}
				return db.SkipRow
			}, []pair{{"a", 1}, {"c", 3}}, nil},
			{"scan error", "", nil, func(r db.Scanner, p *pair) error { return boom }, nil, boom},
			{"none, nil start", "WHERE n > 9", nil, func(r db.Scanner, p *pair) error { return r.Scan(&p.K, &p.N) }, nil, nil},
			{"none, empty start", "WHERE n > 9", []pair{}, func(r db.Scanner, p *pair) error { return r.Scan(&p.K, &p.N) }, []pair{}, nil},
		}
		for _, c := range cases {
			got, err := db.AppendRows(c.start, query(c.where), c.scan)
			if !errors.Is(err, c.err) || !reflect.DeepEqual(got, c.want) || (got == nil) != (c.want == nil) {
				t.Errorf("%s: got %v, %v; want %v, %v", c.name, got, err, c.want, c.err)
			}
		}
		// Every call closed its rows, even the one stopped by an error: no connection is still held.
		if n := d.Stats().InUse; n != 0 {
			t.Errorf("%d connections still in use: rows left open", n)
		}
	})
}
