package db

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointsBesideTheCommits: no commit copies the write-ahead log into the database file
// (SQLite's automatic checkpoint, which made the commit that crossed 1,000 pages take tens of
// milliseconds, is off), and the checkpointer does it within a few of its intervals.
func TestCheckpointsBesideTheCommits(t *testing.T) {
	ctx := context.Background()
	// writePages writes ~1,500 pages (over SQLite's default autocheckpoint of 1,000) in one
	// commit and returns the database file's size before and just after it.
	writePages := func(d *DB, path string) (before, after int64) {
		t.Helper()
		if _, err := d.Exec(ctx, `CREATE TABLE IF NOT EXISTS big (id INTEGER PRIMARY KEY, b TEXT)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		before = fileSize(t, path)
		if err := d.InTx(ctx, func(tx *Tx) error {
			for i := range 3000 {
				if _, err := tx.Exec(ctx, `INSERT INTO big (b) VALUES (?)`, strings.Repeat(string(rune('a'+i%26)), 2000)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return before, fileSize(t, path)
	}

	defer func(e time.Duration) { checkpointEvery = e }(checkpointEvery)
	checkpointEvery = time.Hour
	path := filepath.Join(t.TempDir(), "a.db")
	d, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := d.QueryRow(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	if before, after := writePages(d, path); after != before {
		t.Errorf("the commit copied the log into the database file (%d → %d bytes)", before, after)
	}
	d.Close()

	checkpointEvery = 20 * time.Millisecond
	path = filepath.Join(t.TempDir(), "b.db")
	if d, err = OpenSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before, _ := writePages(d, path)
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, path) < before+4<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the log was not copied into the database file within 5 s (%d bytes)", fileSize(t, path))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
