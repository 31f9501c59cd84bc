package identity

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// jwk is one JSON Web Key (RFC 7517) as published in a JWKS; only the members we use.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// minRSABits is the smallest RSA modulus we trust; shorter keys are factorable in practice.
const minRSABits = 2048

// verificationKey returns the public key in j with the algorithm it is bound to. Keys we cannot
// use for our allowed algorithms are an error, which the caller treats as "skip this key".
func (j jwk) verificationKey() (verificationKey, error) {
	if j.Use != "" && j.Use != "sig" {
		return verificationKey{}, fmt.Errorf("key use %q is not sig", j.Use)
	}
	var (
		vk  verificationKey
		err error
	)
	vk.alg = j.Alg
	switch j.Kty {
	case "RSA":
		vk.key, err = j.rsaKey()
	case "EC":
		vk.key, err = j.ecKey()
	case "OKP":
		vk.key, err = j.okpKey()
	default:
		err = fmt.Errorf("key type %q is not supported", j.Kty)
	}
	if err != nil {
		return verificationKey{}, err
	}
	if vk.alg != "" && !vk.fits(vk.alg) {
		return verificationKey{}, fmt.Errorf("key type %s with alg %q is not allowed", j.Kty, vk.alg)
	}
	return vk, nil
}

// rsaKey decodes an RSA public key.
func (j jwk) rsaKey() (*rsa.PublicKey, error) {
	m, err := decodeMembers("RSA", "n", j.N, "e", j.E)
	if err != nil {
		return nil, err
	}
	n, e := m[0], m[1]
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
	if pub.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("RSA key has %d bits, fewer than %d", pub.N.BitLen(), minRSABits)
	}
	eb := new(big.Int).SetBytes(e)
	if !eb.IsInt64() || eb.Int64() < 3 || eb.Int64() > 1<<31-1 || eb.Bit(0) == 0 {
		return nil, errors.New("RSA exponent is out of range")
	}
	pub.E = int(eb.Int64())
	return pub, nil
}

// ecKey decodes a P-256 public key, checking that the point is on the curve: an off-curve point
// is the invalid-curve attack.
func (j jwk) ecKey() (*ecdsa.PublicKey, error) {
	if j.Crv != "P-256" {
		return nil, fmt.Errorf("EC curve %q is not supported", j.Crv)
	}
	m, err := decodeMembers("EC", "x", j.X, "y", j.Y)
	if err != nil {
		return nil, err
	}
	x, y := m[0], m[1]
	if len(x) != 32 || len(y) != 32 {
		return nil, errors.New("EC coordinates are not 32 bytes")
	}
	point := append(append([]byte{4}, x...), y...)
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
}

// okpKey decodes an Ed25519 public key.
func (j jwk) okpKey() (ed25519.PublicKey, error) {
	if j.Crv != "Ed25519" {
		return nil, fmt.Errorf("OKP curve %q is not supported", j.Crv)
	}
	m, err := decodeMembers("OKP", "x", j.X)
	if err != nil {
		return nil, err
	}
	x := m[0]
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("Ed25519 key is %d bytes, want %d", len(x), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}

// decodeMembers decodes base64url members of a key of type kty, given as name, value pairs, in
// order; an error names the member.
func decodeMembers(kty string, named ...string) ([][]byte, error) {
	out := make([][]byte, 0, len(named)/2)
	for i := 0; i+1 < len(named); i += 2 {
		b, err := decodeB64URL(named[i+1])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kty, named[i], err)
		}
		out = append(out, b)
	}
	return out, nil
}

// decodeB64URL decodes base64url, tolerating the padding some services add against RFC 7518.
func decodeB64URL(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
