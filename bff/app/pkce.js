// PKCE (RFC 7636) and state helpers for the identity service's authorization code flow. Pure
// functions over Web Crypto, so node's test runner checks them against the RFC's vectors.

// base64url encodes bytes without padding (RFC 4648 §5), as PKCE requires.
export function base64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// randomVerifier returns a code verifier of 43 characters from 32 random bytes (RFC 7636 §4.1).
export function randomVerifier(cryptoObj = globalThis.crypto) {
  const b = new Uint8Array(32);
  cryptoObj.getRandomValues(b);
  return base64url(b);
}

// challengeS256 is BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2).
export async function challengeS256(verifier, cryptoObj = globalThis.crypto) {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new Error('invalid code verifier');
  const d = await cryptoObj.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(d);
}

// authorizeURL builds the authorization request of the code flow with PKCE.
export function authorizeURL(endpoint, { clientId, redirectUri, challenge, state, nonce, scope = 'openid profile' }) {
  const u = new URL(endpoint);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', clientId);
  u.searchParams.set('redirect_uri', redirectUri);
  u.searchParams.set('scope', scope);
  u.searchParams.set('code_challenge', challenge);
  u.searchParams.set('code_challenge_method', 'S256');
  u.searchParams.set('state', state);
  if (nonce) u.searchParams.set('nonce', nonce);
  return u.toString();
}

// tokenRequestBody is the form body that exchanges the code (RFC 6749 §4.1.3 + RFC 7636 §4.5).
export function tokenRequestBody({ code, redirectUri, clientId, verifier }) {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier }).toString();
}

// readCallback checks the redirect back from the identity service: the state must be the one
// sent; an error answer is returned as such. Returns null when the URL is no callback.
export function readCallback(search, expectedState) {
  const q = new URLSearchParams(search);
  if (!q.has('code') && !q.has('error')) return null;
  if (!expectedState || q.get('state') !== expectedState) return { error: 'state_mismatch' };
  if (q.has('error')) return { error: q.get('error'), description: q.get('error_description') || '' };
  return { code: q.get('code') };
}
