package pushtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
)

// CryptoFloor does the cryptographic work of one Web Push message with the VAPID JWT cached per
// push-service origin (RFC 8292 allows reusing it until it expires) — a fresh ephemeral key, the
// ECDH with the subscription's key ua, the HKDFs with its auth secret, AES-GCM over payload — with
// the standard library alone: the floor the send path's benchmarks (notify's BenchmarkRawCrypto,
// bench/pushsend) compare a send with.
func CryptoFloor(ua *ecdh.PublicKey, auth, payload []byte) {
	eph, _ := ecdh.P256().GenerateKey(rand.Reader)
	secret, _ := eph.ECDH(ua)
	salt := make([]byte, 16)
	rand.Read(salt)
	info := append(append([]byte("WebPush: info\x00"), ua.Bytes()...), eph.PublicKey().Bytes()...)
	ikm, _ := hkdf.Key(sha256.New, secret, auth, string(info), 32)
	cek, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	blk, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(blk)
	gcm.Seal(nil, nonce, append(payload, 2), nil)
}
