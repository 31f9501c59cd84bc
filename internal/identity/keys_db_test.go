package identity

import (
	"context"
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
