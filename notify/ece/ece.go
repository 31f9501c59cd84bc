// Package ece is the aes128gcm content encoding of Web Push messages (RFC 8188 with the keys of
// RFC 8291): one record, encrypted by the application server for a browser's subscription key
// and auth secret, and decrypted by the receiver. notify sends with Encrypt; its fake push
// service (notify/pushtest) reads with Decrypt. An independent implementation checks both in
// the interop test (npm web-push-testing).
package ece

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Header is the length of the record header: salt (16), record size (4), key id length (1) and
// the sender's uncompressed P-256 public key (65).
const Header = 16 + 4 + 1 + 65

// aead derives the content-encryption AEAD and nonce of RFC 8291 §3.4 from the ECDH secret, the
// auth secret, both public keys (the receiver's first) and the salt.
func aead(secret, auth, uaPub, asPub, salt []byte) (cipher.AEAD, []byte, error) {
	info := make([]byte, 0, 14+len(uaPub)+len(asPub))
	info = append(append(append(info, "WebPush: info\x00"...), uaPub...), asPub...)
	ikm, err := hkdf.Key(sha256.New, secret, auth, string(info), 32)
	if err != nil {
		return nil, nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, nil, err
	}
	gcm, err := cipher.NewGCM(block)
	return gcm, nonce, err
}

// Encrypt returns the aes128gcm body of plain for the receiver's public key and auth secret,
// with a fresh ephemeral key and salt: one record holding exactly the payload and its 0x02
// delimiter (no padding), whose record-size field is len(plain)+Header+17 as webpush-go writes it.
func Encrypt(plain []byte, ua *ecdh.PublicKey, auth []byte) ([]byte, error) {
	eph, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	secret, err := eph.ECDH(ua)
	if err != nil {
		return nil, err
	}
	ephPub := eph.PublicKey().Bytes()
	body := make([]byte, Header, Header+len(plain)+1+16)
	if _, err := rand.Read(body[:16]); err != nil {
		return nil, err
	}
	gcm, nonce, err := aead(secret, auth, ua.Bytes(), ephPub, body[:16])
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(body[16:20], uint32(len(plain)+Header+17))
	body[20] = byte(len(ephPub))
	copy(body[21:], ephPub)
	// Seal in place after the header.
	data := append(append(body[Header:Header], plain...), 2)
	return gcm.Seal(body[:Header], nonce, data, nil), nil
}

// Decrypt reads a one-record aes128gcm body with the receiver's private key and auth secret,
// and returns the plaintext without its padding and delimiter.
func Decrypt(priv *ecdh.PrivateKey, auth, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen+17 {
		return nil, errors.New("keyid is not a 65-byte public key")
	}
	if rs < 18 {
		return nil, errors.New("record size below 18")
	}
	asPubBytes := body[21 : 21+idlen]
	ct := body[21+idlen:]
	if len(ct) > int(rs) {
		return nil, errors.New("more than one record")
	}
	asPub, err := ecdh.P256().NewPublicKey(asPubBytes)
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	secret, err := priv.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	gcm, nonce, err := aead(secret, auth, priv.PublicKey().Bytes(), asPubBytes, salt)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, errors.New("authentication failed")
	}
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("last record without the 0x02 delimiter")
	}
	return plain[:i], nil
}
