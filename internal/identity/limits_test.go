package identity

import (
	"log/slog"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shebao/internal/apperr"
	"shebao/internal/db"
	"shebao/internal/dbtest"
)

// TestMaxTokenLifetime: Mint refuses a lifetime over the maximum, and Verify refuses a token
// whose exp − iat exceeds it even when a key of the keyring signed it (100 years was accepted).
func TestMaxTokenLifetime(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	k := openTestKeyringWith(t, KeyringOptions{MaxTTL: 24 * time.Hour, Now: clock.Now})
	if _, err := k.Mint("u-1", "", []Role{RoleEditor}, 100*365*24*time.Hour); err == nil {
		t.Error("minted a 100-year token")
	}
	if _, err := k.Mint("u-1", "", []Role{RoleEditor}, 25*time.Hour); err == nil {
		t.Error("minted a token over the maximum")
	}
	ok, err := k.Mint("u-1", "", []Role{RoleEditor}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v := k.Verifier()
	if _, err := v.Verify(t.Context(), ok); err != nil {
		t.Errorf("token at the maximum: %v", err)
	}
	now := clock.Now()
	for name, c := range map[string]jwt.MapClaims{
		"100 years": {"iss": LocalIssuer, "sub": "u-1", "roles": []string{"admin"}, "jti": "a",
			"iat": now.Unix(), "exp": now.Add(100 * 365 * 24 * time.Hour).Unix()},
		"no iat": {"iss": LocalIssuer, "sub": "u-1", "roles": []string{"admin"}, "jti": "b",
			"exp": now.Add(time.Hour).Unix()},
	} {
		tok, err := k.sign(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), tok); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
	// A lower maximum applies to tokens already out.
	k2, err := OpenKeyringWith(k.store.(fileKeys).dir, KeyringOptions{MaxTTL: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Verifier().Verify(t.Context(), ok); err == nil {
		t.Error("a 24 h token passed a 1 h maximum")
	}
}

// TestRevocations revokes one token and then a person, on both dialects, and checks that a
// second Revocations on the same store (another replica, or the CLI) sees both after its
// refresh.
func TestRevocations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := newTestClock()
		k := openTestKeyringWith(t, KeyringOptions{Now: clock.Now})
		here, err := OpenRevocations(t.Context(), d, RevocationOptions{Now: clock.Now, Refresh: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		there, err := OpenRevocations(t.Context(), d, RevocationOptions{Now: clock.Now, Refresh: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		vHere, vThere := WithRevocations(k.Verifier(), here), WithRevocations(k.Verifier(), there)
		mint := func(sub string) (string, Principal) {
			tok, err := k.Mint(sub, "", []Role{RoleEditor}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			p, err := vHere.Verify(t.Context(), tok)
			if err != nil {
				t.Fatal(err)
			}
			return tok, p
		}
		a1, p1 := mint("a")
		a2, _ := mint("a")
		b1, _ := mint("b")

		if err := here.RevokeToken(t.Context(), p1.TokenID, p1.ExpiresAt, "admin", "lost phone"); err != nil {
			t.Fatal(err)
		}
		if _, err := vHere.Verify(t.Context(), a1); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("revoked token accepted at once where it was revoked: %v", err)
		}
		if _, err := vHere.Verify(t.Context(), a2); err != nil {
			t.Errorf("another token of the same person: %v", err)
		}
		// The other process reads the list again after its refresh, not before: a small cache.
		if _, err := vThere.Verify(t.Context(), a1); err != nil {
			t.Errorf("before the refresh the cached list applies: %v", err)
		}
		clock.Add(time.Minute)
		if _, err := vThere.Verify(t.Context(), a1); err == nil {
			t.Error("revoked token accepted by another process after its refresh")
		}

		if err := here.RevokeSubject(t.Context(), "a", clock.Now(), "admin", "left the job"); err != nil {
			t.Fatal(err)
		}
		if _, err := vHere.Verify(t.Context(), a2); err == nil {
			t.Error("token of a revoked person accepted")
		}
		if _, err := vHere.Verify(t.Context(), b1); err != nil {
			t.Errorf("someone else's token: %v", err)
		}
		// An earlier revocation time never moves the line back.
		if err := here.RevokeSubject(t.Context(), "a", clock.Now().Add(-time.Hour), "admin", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := vHere.Verify(t.Context(), a2); err == nil {
			t.Error("an earlier revocation time revived a token")
		}
		clock.Add(2 * time.Second)
		a3, _ := k.Mint("a", "", []Role{RoleEditor}, time.Hour)
		if _, err := vHere.Verify(t.Context(), a3); err != nil {
			t.Errorf("token issued after the person's revocation: %v", err)
		}

		// Entries of expired tokens go; the person's stays.
		clock.Add(2 * time.Hour)
		if n, err := here.Prune(t.Context()); err != nil || n != 1 {
			t.Errorf("prune: %d %v", n, err)
		}
		if err := here.reload(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, ok := here.cur.Load().subjects["a"]; !ok {
			t.Error("prune dropped a person's revocation")
		}
	})
}

// TestRevocationsSurviveAStoreOutage: when the list cannot be re-read, the last copy still
// applies (a revoked token stays refused, others are accepted).
func TestRevocationsSurviveAStoreOutage(t *testing.T) {
	d := dbtest.SQLite(t)
	clock := newTestClock()
	k := openTestKeyringWith(t, KeyringOptions{Now: clock.Now})
	rev, err := OpenRevocations(t.Context(), d, RevocationOptions{Now: clock.Now, Refresh: time.Second, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	v := WithRevocations(k.Verifier(), rev)
	bad, _ := k.Mint("a", "", []Role{RoleEditor}, time.Hour)
	good, _ := k.Mint("b", "", []Role{RoleEditor}, time.Hour)
	c, err := PeekClaims(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.RevokeToken(t.Context(), c.ID, c.ExpiresAt, "admin", ""); err != nil {
		t.Fatal(err)
	}
	d.Close()
	clock.Add(time.Minute)
	if _, err := v.Verify(t.Context(), bad); err == nil {
		t.Error("revoked token accepted while the store is down")
	}
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Errorf("good token refused while the store is down: %v", err)
	}
}
