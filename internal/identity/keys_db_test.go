package identity

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"shebao/internal/db"
	"shebao/internal/dbtest"
	"shebao/internal/testutil"
)

// clock is a settable time for two keyrings at once.
type clock = testutil.Clock

// TestKeysInDatabaseAreSharedByReplicas: two keyrings on one database are two replicas. A token
// minted on either verifies on both, also after a rotation on one; a key retired on one stops
// verifying on the other within the refresh interval.
func TestKeysInDatabaseAreSharedByReplicas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := testutil.NewClock(time.Now())
		a, err := OpenKeyringDB(ctx, d, KeyringOptions{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		b, err := OpenKeyringDB(ctx, d, KeyringOptions{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if ka, kb := a.KeyIDs(), b.KeyIDs(); len(ka) != 1 || len(kb) != 1 || ka[0] != kb[0] {
			t.Fatalf("second replica made a key of its own: a=%v b=%v", ka, kb)
		}
		verify := func(k *Keyring, tok, _ string) error {
			t.Helper()
			_, err := k.Verifier().Verify(ctx, tok)
			return err
		}
		first, err := a.Mint("u1", "", []Role{RoleUser}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(b, first, "first"); err != nil {
			t.Fatalf("token minted on A refused on B: %v", err)
		}
		oldKid := a.KeyIDs()[0]
		if _, err := a.Rotate(); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Second) // past the unknown-kid reload throttle
		second, err := a.Mint("u2", "", []Role{RoleUser}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(b, second, "after rotation"); err != nil {
			t.Fatalf("token signed with A's rotated key refused on B: %v", err)
		}
		if err := a.Retire(oldKid); err != nil {
			t.Fatal(err)
		}
		if err := verify(a, first, "retired"); err == nil {
			t.Fatal("A still accepts a token of the key it retired")
		}
		clk.Add(keyRefresh + time.Second)
		if err := verify(b, first, "retired elsewhere"); err == nil {
			t.Fatal("B still accepts a token of a key retired on A after the refresh interval")
		}
		if err := verify(b, second, "current"); err != nil {
			t.Fatalf("B refuses a token of the current key after the refresh: %v", err)
		}
	})
}

// TestImportKeyFilesKeepsIssuedTokensValid: a replica that signed with key files moves to the
// database. Its tokens verify on every replica afterwards, the files' newest key keeps signing,
// a second import adds nothing, and a key retired in the table is not brought back by the file
// still in the data dir.
func TestImportKeyFilesKeepsIssuedTokensValid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "keys")
		files, err := OpenKeyring(dir)
		if err != nil {
			t.Fatal(err)
		}
		old, err := files.Mint("u1", "", []Role{RoleUser}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		oldKid := files.KeyIDs()[0]
		if _, err := files.Rotate(); err != nil {
			t.Fatal(err)
		}
		recent, err := files.Mint("u2", "", []Role{RoleUser}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		kids, err := ImportKeyFiles(ctx, d, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sorted(kids), sorted(files.KeyIDs())) {
			t.Fatalf("imported %v, the files hold %v", kids, files.KeyIDs())
		}
		again, err := ImportKeyFiles(ctx, d, dir)
		if err != nil || len(again) != 0 {
			t.Fatalf("second import: %v, %v", again, err)
		}
		k, err := OpenKeyringDB(ctx, d, KeyringOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := k.KeyIDs(); !slices.Equal(got, files.KeyIDs()) {
			t.Fatalf("database keys %v, want the files' %v (and no new one)", got, files.KeyIDs())
		}
		for _, tok := range []string{old, recent} {
			if _, err := k.Verifier().Verify(ctx, tok); err != nil {
				t.Fatalf("a token signed with the files is refused after the import: %v", err)
			}
		}
		if err := k.Retire(oldKid); err != nil {
			t.Fatal(err)
		}
		if again, err := ImportKeyFiles(ctx, d, dir); err != nil || len(again) != 0 {
			t.Fatalf("import after a retirement: %v, %v", again, err)
		}
		k2, err := OpenKeyringDB(ctx, d, KeyringOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k2.Verifier().Verify(ctx, old); err == nil {
			t.Fatal("the retired key came back from its file")
		}
		// a data dir without keys imports nothing
		if none, err := ImportKeyFiles(ctx, d, filepath.Join(t.TempDir(), "absent")); err != nil || len(none) != 0 {
			t.Fatalf("import of a missing directory: %v, %v", none, err)
		}
	})
}

// TestImportKeyFilesFromReplicasStartingAtOnce: three replicas, each with its own key files
// (as each kept them before), start at once on one PostgreSQL database. Every key is imported
// exactly once and every replica's old tokens verify on every replica.
func TestImportKeyFilesFromReplicasStartingAtOnce(t *testing.T) {
	base := dbtest.Postgres(t)
	if base == nil {
		t.Skip("set " + dbtest.EnvVar + " to run against PostgreSQL (advisory locks)")
	}
	ctx := context.Background()
	clk := testutil.NewClock(time.Now())
	const n = 3
	dirs, tokens := make([]string, n), make([]string, n)
	for i := range n {
		dirs[i] = filepath.Join(t.TempDir(), "keys")
		f, err := OpenKeyring(dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		if tokens[i], err = f.Mint("u", "", []Role{RoleUser}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	rings := make([]*Keyring, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			d, err := db.OpenPostgres(ctx, base.PostgresURL())
			if err != nil {
				errs <- err
				return
			}
			t.Cleanup(func() { d.Close() })
			if _, err := ImportKeyFiles(ctx, d, dirs[i]); err != nil {
				errs <- err
				return
			}
			rings[i], err = OpenKeyringDB(ctx, d, KeyringOptions{Now: clk.Now})
			errs <- err
		}()
	}
	for range n {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute): // hang detector
			t.Fatal("replicas starting at once did not finish importing")
		}
	}
	var count, imports int
	if err := base.QueryRow(ctx, `SELECT COUNT(*) FROM identity_keys`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if err := base.QueryRow(ctx, `SELECT COUNT(*) FROM identity_key_imports`).Scan(&imports); err != nil {
		t.Fatal(err)
	}
	if count != n || imports != n {
		t.Fatalf("%d keys and %d imports in the table, want %d of each", count, imports, n)
	}
	// a replica that opened before another's import sees its keys at the first unknown kid
	clk.Add(2 * keyMissReload)
	for _, k := range rings {
		for i, tok := range tokens {
			if _, err := k.Verifier().Verify(ctx, tok); err != nil {
				t.Fatalf("replica %d's old token refused: %v", i, err)
			}
		}
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
