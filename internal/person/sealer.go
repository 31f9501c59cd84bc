package person

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"shebao/internal/db"
)

// Sealer encrypts personal values at rest with AES-256-GCM: each value gets a random nonce and
// is stored as "v1:" + base64(nonce || ciphertext). The empty string stays empty.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("person: the encryption key must be 32 bytes, got %d", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: g}, nil
}

// SealString encrypts s.
func (s *Sealer) SealString(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return "v1:" + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(v), nil)), nil
}

// OpenString decrypts what SealString made.
func (s *Sealer) OpenString(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	raw, ok := strings.CutPrefix(c, "v1:")
	if !ok {
		return "", errors.New("person: sealed value has an unknown format")
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("person: sealed value is damaged")
	}
	p, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return "", errors.New("person: sealed value does not open with this key (was the key changed?)")
	}
	return string(p), nil
}

// openSealer uses the configured key, or the one kept in the store, generating it on first
// start (the embedded default: a development setup where the key lives beside the data).
func openSealer(ctx context.Context, d *db.DB, configured string) (*Sealer, error) {
	if configured != "" {
		k, err := base64.StdEncoding.DecodeString(configured)
		if err != nil {
			return nil, fmt.Errorf("SHEBAO_PERSON_KEY: not base64: %w", err)
		}
		return NewSealer(k)
	}
	k, err := StoredSecret(ctx, d, "person_key", 32)
	if err != nil {
		return nil, err
	}
	return NewSealer(k)
}

// StoredSecret returns the random secret called name kept in the store, creating it with n
// bytes on first use. Concurrent first starts agree on one value.
func StoredSecret(ctx context.Context, d *db.DB, name string, n int) ([]byte, error) {
	read := func() ([]byte, error) {
		var v string
		err := d.QueryRow(ctx, `SELECT value FROM person_secrets WHERE name = ?`, name).Scan(&v)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(v)
	}
	if k, err := read(); err == nil {
		return k, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("person: read secret %s: %w", name, err)
	}
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if _, err := d.Exec(ctx, `INSERT INTO person_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, base64.StdEncoding.EncodeToString(k)); err != nil {
		return nil, fmt.Errorf("person: store secret %s: %w", name, err)
	}
	return read()
}
