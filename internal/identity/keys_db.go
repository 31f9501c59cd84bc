package identity

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
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
	der, err := x509.MarshalPKCS8PrivateKey(lk.priv)
	if err != nil {
		return fmt.Errorf("identity: encode key: %w", err)
	}
	text := pem.EncodeToMemory(&pem.Block{Type: keyPEMType, Headers: map[string]string{
		keyHeaderKid: lk.kid, keyHeaderCreate: lk.created.Format(time.RFC3339Nano)}, Bytes: der})
	if _, err := s.d.Exec(ctx, `INSERT INTO identity_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
		lk.kid, string(text), lk.created.Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("identity: store key: %w", err)
	}
	return nil
}

func (s dbKeys) remove(ctx context.Context, lk *localKey) error {
	_, err := s.d.Exec(ctx, `DELETE FROM identity_keys WHERE kid = ?`, lk.kid)
	return err
}
