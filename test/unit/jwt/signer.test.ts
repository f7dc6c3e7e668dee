import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSigner, createVerifier, isJwtFailure } from '../../../src/auth/jwt/index.js';
import {
  accessClaims,
  hsSettings,
  NON_ASCII_SECRET,
  PYJWT_VECTORS,
  signingKeyFor,
  VECTOR_NOW,
} from './jwt-fixtures.js';

const headerOf = (token: string): string => Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8');

describe('createSigner: PyJWT byte layout', () => {
  it('writes the HS256 header segment simplejwt writes', () => {
    const token = createSigner(hsSettings()).sign(accessClaims());
    assert.ok(token.startsWith('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.'));
  });

  it('is byte-identical to PyJWT for the simplejwt access-token vector, and verifies', () => {
    const { payload, token } = PYJWT_VECTORS.access;
    assert.equal(createSigner(hsSettings()).sign({ ...payload }), token);
    const claims = createVerifier(hsSettings({ now: () => VECTOR_NOW }), 'access').verify(token);
    assert.ok(!isJwtFailure(claims));
    assert.deepEqual({ ...claims }, payload);
  });

  it('is byte-identical with a kid header and non-ASCII, DEL and control characters (ensure_ascii)', () => {
    const { payload, token } = PYJWT_VECTORS.refreshWithKid;
    const settings = hsSettings({
      signingKey: { algorithm: 'HS256', secret: hsSettings().signingKey.secret!, kid: 'k-2023' },
    });
    assert.equal(createSigner(settings).sign({ ...payload }), token);
    const claims = createVerifier({ ...settings, now: () => VECTOR_NOW }, 'refresh').verify(token);
    assert.ok(!isJwtFailure(claims));
    assert.equal(claims['name'], payload.name);
    assert.equal(claims['note'], payload.note);
  });

  it('is byte-identical for HS512 and for a non-ASCII secret (UTF-8 bytes, like PyJWT)', () => {
    const hs512 = hsSettings({ signingKey: { algorithm: 'HS512', secret: hsSettings().signingKey.secret! } });
    assert.equal(createSigner(hs512).sign({ ...PYJWT_VECTORS.access.payload }), PYJWT_VECTORS.accessHs512);
    const nonAscii = hsSettings({ signingKey: { algorithm: 'HS256', secret: NON_ASCII_SECRET } });
    assert.equal(
      createSigner(nonAscii).sign({ ...PYJWT_VECTORS.access.payload }),
      PYJWT_VECTORS.accessNonAsciiKey,
    );
  });

  it('keeps the payload key order of the caller', () => {
    const token = createSigner(hsSettings()).sign({ b: 1, a: 2, token_type: 'access' });
    assert.equal(
      Buffer.from(token.split('.')[1]!, 'base64url').toString(),
      '{"b":1,"a":2,"token_type":"access"}',
    );
  });

  it('sorts the header keys like PyJWT: alg, kid, typ', () => {
    for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
      const signer = createSigner(hsSettings({ signingKey: signingKeyFor(algorithm, 'k1') }));
      assert.equal(signer.algorithm, algorithm);
      assert.equal(signer.kid, 'k1');
      assert.equal(headerOf(signer.sign(accessClaims())), `{"alg":"${algorithm}","kid":"k1","typ":"JWT"}`);
    }
    const plain = createSigner(hsSettings());
    assert.equal(plain.kid, null);
    assert.equal(headerOf(plain.sign(accessClaims())), '{"alg":"HS256","typ":"JWT"}');
  });

  it('refuses a payload that is not a plain object', () => {
    const signer = createSigner(hsSettings());
    for (const payload of [null, [1], 'text', 5]) {
      assert.throws(() => signer.sign(payload as unknown as Record<string, unknown>), TypeError);
    }
  });

  it('cannot be built for an asymmetric key without its private key', () => {
    assert.throws(
      () => createSigner(hsSettings({ signingKey: { algorithm: 'ES256', publicKeyPem: 'x' } })),
      /privateKeyPem/,
    );
  });
});
