// The PKCE helpers of /app (bff/app/pkce.js) against RFC 7636 Appendix B and the code flow's
// rules: the state must come back unchanged, the verifier has the allowed length and alphabet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { base64url, randomVerifier, challengeS256, authorizeURL, tokenRequestBody, readCallback } from '../bff/app/pkce.js';

test('S256 challenge of the RFC 7636 Appendix B verifier', async () => {
  assert.equal(await challengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', webcrypto), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('base64url has no padding and the URL alphabet', () => {
  assert.equal(base64url(new Uint8Array([251, 255, 191])), '-_-_');
  assert.equal(base64url(new Uint8Array([1])), 'AQ');
});

test('verifiers are 43 characters of the unreserved alphabet and differ', async () => {
  const a = randomVerifier(webcrypto), b = randomVerifier(webcrypto);
  assert.match(a, /^[A-Za-z0-9\-_]{43}$/);
  assert.notEqual(a, b);
  await assert.rejects(challengeS256('short', webcrypto));
  await assert.rejects(challengeS256('a'.repeat(42) + '+', webcrypto));
});

test('the authorization request carries the challenge, S256 and the state', () => {
  const u = new URL(authorizeURL('https://id.example.gov.cn/authorize?x=1', { clientId: 'app', redirectUri: 'https://s.example/app/', challenge: 'C', state: 'S', nonce: 'N' }));
  const q = Object.fromEntries(u.searchParams);
  assert.deepEqual(q, { x: '1', response_type: 'code', client_id: 'app', redirect_uri: 'https://s.example/app/', scope: 'openid profile', code_challenge: 'C', code_challenge_method: 'S256', state: 'S', nonce: 'N' });
});

test('the token request sends the code and the verifier', () => {
  const q = Object.fromEntries(new URLSearchParams(tokenRequestBody({ code: 'K', redirectUri: 'https://s.example/app/', clientId: 'app', verifier: 'V' })));
  assert.deepEqual(q, { grant_type: 'authorization_code', code: 'K', redirect_uri: 'https://s.example/app/', client_id: 'app', code_verifier: 'V' });
});

test('the callback is refused unless the state matches', () => {
  assert.equal(readCallback('?foo=1', 'S'), null);
  assert.deepEqual(readCallback('?code=K&state=S', 'S'), { code: 'K' });
  assert.deepEqual(readCallback('?code=K&state=T', 'S'), { error: 'state_mismatch' });
  assert.deepEqual(readCallback('?code=K&state=S', ''), { error: 'state_mismatch' });
  assert.deepEqual(readCallback('?error=access_denied&state=S', 'S'), { error: 'access_denied', description: '' });
});
