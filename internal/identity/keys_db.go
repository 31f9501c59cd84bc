package identity

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"shebao/internal/db"
)

// KeyMigrations create the table of signing keys kept in the database. Component "identity_keys".
var KeyMigrations = []db.Migration{
	{
		Name: "signing keys shared by the replicas",
		// private_key is the same PKCS#8 PEM a key file holds, so a key can be moved between a
		// file keyring and the database by copying text.
		SQL: `CREATE TABLE identity_keys (
	kid TEXT PRIMARY KEY,
	private_key TEXT NOT NULL,
	created_at TEXT NOT NULL
)`,
	},
	{
		Name: "key files imported from replicas' data dirs",
		// One row per imported kid, kept after the key is retired, so that the file left in a
		// data dir does not bring a retired key back.
		SQL: `CREATE TABLE identity_key_imports (
	kid TEXT PRIMARY KEY,
	source TEXT NOT NULL,
	imported_at TEXT NOT NULL
)`,
	},
}

// OpenKeyringDB loads the signing keys kept in d (creating a first key if there is none), for
// replicas that share a PostgreSQL database: a token minted by one verifies on all, a rotation
// on one is seen by the others at the first token signed with the new key, and a retirement
// within 30 s. Whoever reads the table can mint an admin token: it needs the same care as the
// key files.
func OpenKeyringDB(ctx context.Context, d *db.DB, o KeyringOptions) (*Keyring, error) {
	if err := d.Migrate(ctx, "identity_keys", KeyMigrations); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	now, maxTTL := o.Now, o.MaxTTL
	if now == nil {
		now = time.Now
	}
	if maxTTL <= 0 {
		maxTTL = DefaultMaxTokenTTL
	}
	return openKeyringIn(ctx, dbKeys{d: d}, now, maxTTL)
}

// dbKeys keeps the keys in the identity_keys table.
type dbKeys struct{ d *db.DB }

func (s dbKeys) shared() bool { return true }

func (s dbKeys) load(ctx context.Context) ([]*localKey, error) {
	rows, err := s.d.Query(ctx, `SELECT kid, private_key, created_at FROM identity_keys`)
	if err != nil {
		return nil, fmt.Errorf("identity: read keys: %w", err)
	}
	defer rows.Close()
	var out []*localKey
	for rows.Next() {
		var kid, text, created string
		if err := rows.Scan(&kid, &text, &created); err != nil {
			return nil, err
		}
		_, priv, err := decodeKeyPEM([]byte(text), "key "+kid)
		if err != nil {
			return nil, err
		}
		at, err := time.Parse(time.RFC3339Nano, created)
		if err != nil {
			return nil, fmt.Errorf("identity: key %s: created_at: %w", kid, err)
		}
		out = append(out, &localKey{kid: kid, priv: priv, created: at})
	}
	return out, rows.Err()
}

func (s dbKeys) save(ctx context.Context, lk *localKey) error {
	text, err := keyPEM(lk)
	if err != nil {
		return err
	}
	if _, err := s.d.Exec(ctx, `INSERT INTO identity_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
		lk.kid, string(text), lk.created.Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("identity: store key: %w", err)
	}
	return nil
}

// keyImportLockKey is the PostgreSQL advisory lock held around an import of key files (and the
// migration before it), so that replicas starting at once import each key once ("idky" in ASCII).
const keyImportLockKey = 0x69646b79

// ImportKeyFiles copies the signing keys of a file keyring (a data dir's keys directory, used
// before the deployment set DATABASE_URL) into the identity_keys table of d, so that the tokens
// those keys signed stay valid on every replica. Each key is imported once: its kid is recorded,
// so a key later retired in the table is not brought back by the next start of a replica that
// still has the file. Replicas starting at once take turns (an advisory lock). A missing or
// empty directory imports nothing. It returns the kids imported.
func ImportKeyFiles(ctx context.Context, d *db.DB, dir string) ([]string, error) {
	var imported []string
	err := d.WithLock(ctx, keyImportLockKey, func() error {
		if err := d.Migrate(ctx, "identity_keys", KeyMigrations); err != nil {
			return err
		}
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		files, err := fileKeys{dir: dir}.load(ctx)
		if err != nil {
			return err
		}
		return d.InTx(ctx, func(tx *db.Tx) error {
			for _, lk := range files {
				var seen int
				if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM identity_key_imports WHERE kid = ?`, lk.kid).Scan(&seen); err != nil {
					return err
				}
				if seen > 0 {
					continue
				}
				text, err := keyPEM(lk)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO identity_keys (kid, private_key, created_at) VALUES (?, ?, ?) ON CONFLICT (kid) DO NOTHING`,
					lk.kid, string(text), lk.created.Format(time.RFC3339Nano)); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO identity_key_imports (kid, source, imported_at) VALUES (?, ?, ?)`,
					lk.kid, dir, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
					return err
				}
				imported = append(imported, lk.kid)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("identity: import the key files of %s: %w", dir, err)
	}
	return imported, nil
}

func (s dbKeys) remove(ctx context.Context, lk *localKey) error {
	_, err := s.d.Exec(ctx, `DELETE FROM identity_keys WHERE kid = ?`, lk.kid)
	return err
}
