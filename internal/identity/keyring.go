package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// LocalIssuer is the iss of tokens minted by a Keyring, which is how Chain tells them apart from
// the identity service's.
const LocalIssuer = "shebao-local"

// Key files are PKCS#8 PEM with the kid and creation time as PEM headers, so that an operator can
// see which key is which with a text editor and restore a backup by copying files.
const (
	keyFileExt      = ".pem"
	keyPEMType      = "PRIVATE KEY"
	keyHeaderKid    = "Kid"
	keyHeaderCreate = "Created"
)

// Keyring holds the Ed25519 keys that sign local tokens, one file per key in a directory. The
// newest key signs; older keys keep verifying the tokens they signed until retired, so Rotate
// logs nobody out. It is safe for concurrent use, but one process should own a directory: other
// processes do not see a rotation until they reopen it.
type Keyring struct {
	store  keyStore
	now    func() time.Time
	maxTTL time.Duration // longest exp − iat minted or accepted

	mu       sync.RWMutex
	keys     map[string]*localKey // by kid
	current  *localKey            // signs new tokens; always in keys
	loadedAt time.Time            // when keys were last read from a shared store
	reload   sync.Mutex           // one re-read at a time
}

// keyStore is where the keys live: files in the data dir (one process), or a table in the
// shared PostgreSQL database (every replica signs and verifies with the same keys).
type keyStore interface {
	load(ctx context.Context) ([]*localKey, error)
	save(ctx context.Context, lk *localKey) error
	remove(ctx context.Context, lk *localKey) error
	// shared reports whether other processes change the keys, so that lookups re-read them.
	shared() bool
}

// localKey is one signing key and where it lives.
type localKey struct {
	kid     string
	priv    ed25519.PrivateKey
	created time.Time
	path    string
}

// DefaultMaxTokenTTL is the longest lifetime of a local token unless configured otherwise: a
// month covers an operator's working token, while a leaked token cannot outlive the month (a
// probe minted one for 100 years). Revocation covers the time before that.
const DefaultMaxTokenTTL = 30 * 24 * time.Hour

// KeyringOptions tunes a Keyring; zero fields take defaults.
type KeyringOptions struct {
	// MaxTTL is the longest lifetime (exp − iat) Mint signs and Verify accepts
	// (DefaultMaxTokenTTL), so that a token minted before the limit was lowered stops too.
	MaxTTL time.Duration
	// Now is the clock (time.Now), so tests can mint tokens in the past or future.
	Now func() time.Time
}

// OpenKeyring loads the signing keys in dir, creating the directory (0700) and a first key
// (file 0600) if there are none yet, with the default options.
func OpenKeyring(dir string) (*Keyring, error) {
	return OpenKeyringWith(dir, KeyringOptions{})
}

// openKeyring is OpenKeyring with a clock.
func openKeyring(dir string, now func() time.Time) (*Keyring, error) {
	return OpenKeyringWith(dir, KeyringOptions{Now: now})
}

// OpenKeyringWith is OpenKeyring with options.
func OpenKeyringWith(dir string, o KeyringOptions) (*Keyring, error) {
	now, maxTTL := o.Now, o.MaxTTL
	if now == nil {
		now = time.Now
	}
	if maxTTL <= 0 {
		maxTTL = DefaultMaxTokenTTL
	}
	if dir == "" {
		return nil, errors.New("identity: key directory is not set")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("identity: create key directory: %w", err)
	}
	return openKeyringIn(context.Background(), fileKeys{dir: dir}, now, maxTTL)
}

// openKeyringIn loads the keys of store, creating a first one if there is none.
func openKeyringIn(ctx context.Context, store keyStore, now func() time.Time, maxTTL time.Duration) (*Keyring, error) {
	k := &Keyring{store: store, now: now, maxTTL: maxTTL, keys: map[string]*localKey{}}
	if err := k.loadKeys(ctx); err != nil {
		return nil, err
	}
	if k.current == nil {
		if _, err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// loadKeys (re)reads every key from the store and picks the current one.
func (k *Keyring) loadKeys(ctx context.Context) error {
	loaded, err := k.store.load(ctx)
	if err != nil {
		return err
	}
	keys := map[string]*localKey{}
	var current *localKey
	for _, lk := range loaded {
		if _, dup := keys[lk.kid]; dup {
			return fmt.Errorf("identity: two keys with kid %q", lk.kid)
		}
		keys[lk.kid] = lk
		if current == nil || newer(lk, current) {
			current = lk
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys, k.loadedAt = keys, k.now()
	if current != nil {
		k.current = current
	}
	return nil
}

// fileKeys keeps one PEM file per key in a directory.
type fileKeys struct{ dir string }

func (f fileKeys) shared() bool { return false }

func (f fileKeys) load(context.Context) ([]*localKey, error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return nil, fmt.Errorf("identity: read key directory: %w", err)
	}
	var out []*localKey
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || filepath.Ext(e.Name()) != keyFileExt {
			continue // temporary files and anything else an operator keeps there
		}
		lk, err := readKeyFile(filepath.Join(f.dir, e.Name()))
		if err != nil {
			// Failing loudly beats skipping: a silently dropped key logs out everyone it signed for.
			return nil, err
		}
		out = append(out, lk)
	}
	return out, nil
}

func (f fileKeys) save(_ context.Context, lk *localKey) error {
	lk.path = filepath.Join(f.dir, lk.kid+keyFileExt)
	return writeKeyFile(f.dir, lk)
}

func (f fileKeys) remove(_ context.Context, lk *localKey) error {
	if err := os.Remove(lk.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// newer orders keys by creation time, breaking ties by kid so every process agrees on the
// current key.
func newer(a, b *localKey) bool {
	if c := a.created.Compare(b.created); c != 0 {
		return c > 0
	}
	return a.kid > b.kid
}

// readKeyFile parses one key file, refusing files others can read: whoever reads the key can mint
// an admin token.
func readKeyFile(path string) (*localKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("identity: key file %s has mode %v; it must be readable by its owner only (chmod 600)", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	block, priv, err := decodeKeyPEM(data, "key file "+path)
	if err != nil {
		return nil, err
	}
	lk := &localKey{kid: block.Headers[keyHeaderKid], priv: priv, path: path}
	if lk.kid == "" {
		lk.kid = thumbprint(priv.Public().(ed25519.PublicKey))
	}
	if s := block.Headers[keyHeaderCreate]; s != "" {
		if lk.created, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, fmt.Errorf("identity: key file %s: %s header: %w", path, keyHeaderCreate, err)
		}
	} else {
		lk.created = info.ModTime()
	}
	return lk, nil
}

// thumbprint is the RFC 7638 JWK thumbprint of an Ed25519 public key: a kid derived from the key
// itself, so it cannot collide and stays the same if the key is ever published as a JWK.
func thumbprint(pub ed25519.PublicKey) string {
	// Members in lexicographic order and no whitespace, as RFC 7638 requires.
	canonical := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Rotate creates a new key and makes it the one that signs; tokens signed by older keys keep
// verifying until those keys are retired. It returns the new key's kid.
func (k *Keyring) Rotate() (string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("identity: generate key: %w", err)
	}
	lk := &localKey{kid: thumbprint(priv.Public().(ed25519.PublicKey)), priv: priv, created: k.now().UTC()}

	k.mu.Lock()
	defer k.mu.Unlock()
	// Keep creation times strictly increasing so the newest key wins when the directory is
	// reopened, even if the clock stepped back.
	if k.current != nil && !lk.created.After(k.current.created) {
		lk.created = k.current.created.Add(time.Nanosecond)
	}
	if err := k.store.save(context.Background(), lk); err != nil {
		return "", err
	}
	k.keys[lk.kid] = lk
	k.current = lk
	return lk.kid, nil
}

// writeKeyFile writes lk to lk.path atomically, so a crash never leaves a half-written key that
// would stop the next start.
func writeKeyFile(dir string, lk *localKey) error {
	text, err := keyPEM(lk)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".key-*.tmp") // created 0600
	if err != nil {
		return fmt.Errorf("identity: write key: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(text); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: write key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("identity: write key: %w", err)
	}
	if err := os.Rename(tmp.Name(), lk.path); err != nil {
		return fmt.Errorf("identity: write key: %w", err)
	}
	return nil
}

// keyPEM encodes lk as a key file holds it (and the identity_keys table): PKCS#8 PEM with the
// kid and creation time as headers.
func keyPEM(lk *localKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(lk.priv)
	if err != nil {
		return nil, fmt.Errorf("identity: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: keyPEMType, Headers: map[string]string{
		keyHeaderKid:    lk.kid,
		keyHeaderCreate: lk.created.Format(time.RFC3339Nano),
	}, Bytes: der}), nil
}

// Retire deletes the key kid so tokens it signed stop verifying, e.g. after a leak or once every
// token it signed has expired. The current key cannot be retired: Rotate first.
func (k *Keyring) Retire(kid string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	lk, ok := k.keys[kid]
	if !ok {
		return fmt.Errorf("identity: retire key %q: %w", kid, fs.ErrNotExist)
	}
	if lk == k.current {
		return fmt.Errorf("identity: key %q is the current signing key; rotate before retiring it", kid)
	}
	if err := k.store.remove(context.Background(), lk); err != nil {
		return fmt.Errorf("identity: retire key %q: %w", kid, err)
	}
	delete(k.keys, kid)
	return nil
}

// KeyIDs lists the kids of all keys that verify, the current signing key first, then older keys
// newest first, so an operator can see what Retire may remove.
func (k *Keyring) KeyIDs() []string {
	k.mu.RLock()
	keys := make([]*localKey, 0, len(k.keys))
	for _, lk := range k.keys {
		keys = append(keys, lk)
	}
	k.mu.RUnlock()
	slices.SortFunc(keys, func(a, b *localKey) int {
		switch {
		case newer(a, b):
			return -1
		case newer(b, a):
			return 1
		}
		return 0
	})
	kids := make([]string, len(keys))
	for i, lk := range keys {
		kids[i] = lk.kid
	}
	return kids
}

// localClaims is the payload of a local token. A struct rather than a map keeps the claim
// set fixed and roles always an array.
type localClaims struct {
	jwt.RegisteredClaims
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles"`
}

// Mint signs a token for subject with the current key, valid for ttl from now.
func (k *Keyring) Mint(subject, name string, roles []Role, ttl time.Duration) (string, error) {
	if strings.TrimSpace(subject) == "" {
		return "", errors.New("identity: mint: subject is empty")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("identity: mint: ttl %v is not positive", ttl)
	}
	if ttl > k.maxTTL {
		return "", fmt.Errorf("identity: mint: ttl %v is longer than the maximum token lifetime %v", ttl, k.maxTTL)
	}
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		// Minting a role no verifier will recognise is a bug at the call site; say so now.
		parsed, err := ParseRole(string(r))
		if err != nil {
			return "", fmt.Errorf("identity: mint: unknown role %q", r)
		}
		names = append(names, string(parsed))
	}
	jti := make([]byte, 16)
	rand.Read(jti) // never fails; see crypto/rand.Read
	now := k.now()
	return k.sign(localClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    LocalIssuer,
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Name:  name,
		Roles: names,
	})
}

// sign signs claims with the current key, naming it in the kid header.
func (k *Keyring) sign(claims jwt.Claims) (string, error) {
	k.mu.RLock()
	lk := k.current
	k.mu.RUnlock()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = lk.kid
	s, err := t.SignedString(lk.priv)
	if err != nil {
		return "", fmt.Errorf("identity: sign token: %w", err)
	}
	return s, nil
}

// lookup returns the public key kid, if it has not been retired.
func (k *Keyring) lookup(ctx context.Context, kid string) ([]verificationKey, error) {
	k.mu.RLock()
	lk, ok := k.keys[kid]
	stale := k.now().Sub(k.loadedAt)
	k.mu.RUnlock()
	// Keys in a shared store change under us: another replica rotated (a kid we have not seen)
	// or retired one (seen within keyRefresh).
	if k.store.shared() && ((!ok && stale > keyMissReload) || stale > keyRefresh) {
		if lk2, ok2, err := k.refresh(ctx, kid); err == nil {
			lk, ok = lk2, ok2
		}
	}
	if !ok {
		return nil, fmt.Errorf("unknown or retired local key %q", clip(kid))
	}
	return []verificationKey{{key: lk.priv.Public(), alg: "EdDSA"}}, nil
}

// How often a Keyring over a shared store re-reads it: at most once a second for an unknown kid
// (so a flood of forged kids cannot turn into a flood of queries), and every 30 s regardless, so
// a key retired on another replica stops verifying here within that.
const (
	keyMissReload = time.Second
	keyRefresh    = 30 * time.Second
)

// refresh re-reads the shared store (one caller at a time) and looks kid up again.
func (k *Keyring) refresh(ctx context.Context, kid string) (*localKey, bool, error) {
	k.reload.Lock()
	defer k.reload.Unlock()
	k.mu.RLock()
	fresh := k.now().Sub(k.loadedAt) <= keyMissReload
	k.mu.RUnlock()
	if !fresh {
		if err := k.loadKeys(ctx); err != nil {
			return nil, false, err
		}
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	lk, ok := k.keys[kid]
	return lk, ok, nil
}

// MaxTTL is the longest token lifetime the Keyring mints and accepts.
func (k *Keyring) MaxTTL() time.Duration { return k.maxTTL }

// Verifier returns a Verifier for tokens this Keyring minted. It sees later rotations and
// retirements immediately, and refuses tokens whose lifetime exceeds the maximum.
func (k *Keyring) Verifier() Verifier {
	return &localVerifier{keyring: k, parser: newParser(LocalIssuer, "", k.now)}
}

// localVerifier verifies tokens against a Keyring's keys.
type localVerifier struct {
	keyring *Keyring
	parser  *jwt.Parser
}

// Issuer reports LocalIssuer, for Chain.
func (v *localVerifier) Issuer() string { return LocalIssuer }

// Verify checks a token minted by the Keyring, and that its lifetime is within the maximum:
// a token signed before the maximum was lowered (or by a leaked key with a long exp) is refused.
func (v *localVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	p, err := verifyToken(ctx, v.parser, token, v.keyring.lookup, "roles")
	if err != nil {
		return Principal{}, err
	}
	if p.IssuedAt.IsZero() {
		return Principal{}, unauthenticated(errors.New("local token has no iat"))
	}
	if life := p.ExpiresAt.Sub(p.IssuedAt); life > v.keyring.maxTTL {
		return Principal{}, unauthenticated(fmt.Errorf("token lifetime %v exceeds the maximum %v", life, v.keyring.maxTTL))
	}
	return p, nil
}

// decodeKeyPEM reads a PEM block holding a PKCS#8 Ed25519 private key; what names the key in
// errors ("key file PATH", "key KID").
func decodeKeyPEM(data []byte, what string) (*pem.Block, ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != keyPEMType {
		return nil, nil, fmt.Errorf("identity: %s: no %q PEM block", what, keyPEMType)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: %s: %w", what, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("identity: %s holds a %T, want an Ed25519 key", what, parsed)
	}
	return block, priv, nil
}
