import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importJWK, jwtVerify } from 'jose';
import { createSigner, publicJwks } from '../../../src/auth/jwt/index.js';
import { accessClaims, hsSettings, keyPairs, NOW, SECRET, signingKeyFor } from './jwt-fixtures.js';

describe('publicJwks', () => {
  it('is null when only HMAC keys are configured', () => {
    assert.equal(publicJwks(hsSettings()), null);
  });

  it('lists the public half of every asymmetric key, signing key first, with kid, alg and use', async () => {
    const settings = hsSettings({
      signingKey: signingKeyFor('ES256', 'es'),
      verifyingKeys: [
        { algorithm: 'RS256', kid: 'rs', publicKeyPem: keyPairs().RS256.publicKeyPem },
        { algorithm: 'EdDSA', kid: 'ed', publicKeyPem: keyPairs().EdDSA.publicKeyPem },
        { algorithm: 'HS256', kid: 'hs', secret: SECRET },
      ],
    });
    const jwks = publicJwks(settings)!;
    assert.deepEqual(
      jwks.keys.map((k) => [
        (k as { kid: string }).kid,
        (k as { alg: string }).alg,
        (k as { kty: string }).kty,
      ]),
      [
        ['es', 'ES256', 'EC'],
        ['rs', 'RS256', 'RSA'],
        ['ed', 'EdDSA', 'OKP'],
      ],
    );
    for (const jwk of jwks.keys) {
      assert.equal((jwk as { use: string }).use, 'sig');
      assert.ok(!('d' in jwk), 'no private member');
    }
    // A client can verify Gatehouse's tokens with the published key.
    const token = createSigner(settings).sign(accessClaims());
    const publicKey = await importJWK(jwks.keys[0] as never, 'ES256');
    const { payload } = await jwtVerify(token, publicKey, { currentDate: new Date(NOW * 1000) });
    assert.equal(payload['user_id'], 1);
  });
});
