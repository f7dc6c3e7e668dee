/**
 * Property tests (fast-check, bounded runs): verify() never throws, never accepts what jose refuses, never
 * accepts a changed token, and answers the same with and without its cache.
 */
import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { createSigner, createVerifier, isJwtFailure, type JwtSettings } from '../../../src/auth/jwt/index.js';
import { accessClaims, hsSettings, NOW, SECRET, signingKeyFor } from './jwt-fixtures.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const joseKey = createSecretKey(Buffer.from(SECRET, 'utf8'));

async function joseAccepts(token: string, options: JWTVerifyOptions): Promise<boolean> {
  try {
    await jwtVerify(token, joseKey, { algorithms: ['HS256'], currentDate: new Date(NOW * 1000), ...options });
    return true;
  } catch {
    return false;
  }
}

const tokenLike = fc
  .array(fc.string({ unit: fc.constantFrom(...ALPHABET, '=', '+', '/', ' ', 'é'), maxLength: 60 }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((segments) => segments.join('.'));

describe('verify() properties', () => {
  it('never throws and refuses arbitrary strings as invalid', () => {
    const verifier = createVerifier(hsSettings({ cacheSize: 16 }), null);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), tokenLike), (input) => {
        const result = verifier.verify(input);
        assert.ok(isJwtFailure(result) && result.reason === 'invalid');
      }),
      { numRuns: 1000 },
    );
  });

  it('a changed valid token is never accepted (and never throws); jose agrees on what it accepts', async () => {
    const settings = hsSettings();
    const original = createSigner(settings).sign(accessClaims());
    const verifier = createVerifier(settings, 'access');
    const mutation = fc.record({
      kind: fc.constantFrom('replace', 'insert', 'delete', 'truncate', 'swap', 'duplicate'),
      position: fc.nat({ max: original.length }),
      character: fc.constantFrom(...ALPHABET, '.', '=', '+', '/', ' ', 'é', '\u0000'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        let token = original;
        for (const { kind, position, character } of mutations) {
          const at = Math.min(position, token.length);
          if (kind === 'replace') token = token.slice(0, at) + character + token.slice(at + 1);
          else if (kind === 'insert') token = token.slice(0, at) + character + token.slice(at);
          else if (kind === 'delete') token = token.slice(0, at) + token.slice(at + 1);
          else if (kind === 'truncate') token = token.slice(0, at);
          else if (kind === 'duplicate') token = token.slice(0, at) + token.slice(at);
          else {
            const [h = '', p = '', s = ''] = token.split('.');
            token = [p, h, s].join('.');
          }
        }
        const accepted = !isJwtFailure(verifier.verify(token));
        if (accepted) {
          assert.equal(token, original, 'only the unchanged token is accepted');
          assert.ok(await joseAccepts(token, {}));
        }
      }),
      { numRuns: 600 },
    );
  });

  it('asymmetric keys: arbitrary signatures are refused without throwing', () => {
    for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
      const settings = hsSettings({ signingKey: signingKeyFor(algorithm) });
      const [header, payload] = createSigner(settings).sign(accessClaims()).split('.');
      const verifier = createVerifier(settings, 'access');
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          const token = `${header}.${payload}.${Buffer.from(bytes).toString('base64url')}`;
          assert.deepEqual(verifier.verify(token), { ok: false, reason: 'invalid' });
        }),
        { numRuns: 300 },
      );
    }
  });

  const timeValue = fc.oneof(
    fc.integer({ min: NOW - 400, max: NOW + 400 }),
    fc.double({ min: NOW - 400, max: NOW + 400, noNaN: true }),
    fc.constantFrom('1700000000', null, true, [NOW], 1e308, -1),
  );
  const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const claimSet = fc.record({
    token_type: optional(fc.constantFrom('access', 'refresh', 7)),
    exp: optional(timeValue),
    nbf: optional(timeValue),
    iat: optional(timeValue),
    jti: optional(fc.constantFrom('abc', '', 5)),
    aud: optional(fc.constantFrom('api', 'web', ['api'], ['web', 'api'], [], ['api', 3], 4)),
    iss: optional(fc.constantFrom('gatehouse', 'mallory', 1)),
    user_id: fc.constant(1),
  });
  const configuration = fc.record({
    leewaySec: fc.constantFrom(0, 5, 30),
    audience: fc.constantFrom(null, 'api', ['web', 'other']),
    issuer: fc.constantFrom(null, 'gatehouse'),
  });

  it('never accepts a signed claims set that jose refuses (same clock, leeway, audience, issuer)', async () => {
    let acceptedCount = 0;
    await fc.assert(
      fc.asyncProperty(claimSet, configuration, async (claims, config) => {
        const settings: JwtSettings = hsSettings(config);
        const token = createSigner(settings).sign(
          JSON.parse(JSON.stringify(claims)) as Record<string, unknown>,
        );
        const result = createVerifier(settings, null).verify(token);
        if (!isJwtFailure(result)) {
          acceptedCount++;
          const options: JWTVerifyOptions = { clockTolerance: config.leewaySec };
          if (config.audience !== null) options.audience = config.audience;
          if (config.issuer !== null) options.issuer = config.issuer;
          assert.ok(await joseAccepts(token, options), `jose refuses ${JSON.stringify(claims)}`);
        }
      }),
      { numRuns: 800 },
    );
    assert.ok(acceptedCount > 0, 'some claim sets were accepted, so the property was exercised');
  });

  it('answers the same with and without the cache, at any later or earlier time', () => {
    // Mostly well-formed claims, so that many tokens are valid at NOW and get cached.
    const cacheable = fc.record({
      token_type: fc.constant('access'),
      exp: fc.oneof(
        fc.integer({ min: NOW - 50, max: NOW + 400 }),
        fc.double({ min: NOW - 50, max: NOW + 400, noNaN: true }),
      ),
      nbf: optional(fc.integer({ min: NOW - 400, max: NOW + 10 })),
      iat: optional(
        fc.oneof(
          fc.integer({ min: NOW - 400, max: NOW + 10 }),
          fc.double({ min: NOW - 400, max: NOW + 10, noNaN: true }),
        ),
      ),
      jti: fc.constant('abc'),
    });
    let primed = 0;
    fc.assert(
      fc.property(
        cacheable,
        fc.constantFrom(0, 5),
        fc.array(fc.double({ min: NOW - 500, max: NOW + 500, noNaN: true }), { minLength: 1, maxLength: 6 }),
        (claims, leewaySec, times) => {
          let now = NOW;
          const settings = hsSettings({ leewaySec, now: () => now });
          const token = createSigner(settings).sign(
            JSON.parse(JSON.stringify(claims)) as Record<string, unknown>,
          );
          const cached = createVerifier({ ...settings, cacheSize: 4 }, null);
          const uncached = createVerifier(settings, null);
          if (!isJwtFailure(cached.verify(token))) primed++; // primes the cache when valid at NOW
          for (const time of times) {
            now = time;
            assert.deepEqual(cached.verify(token), uncached.verify(token));
          }
        },
      ),
      { numRuns: 600 },
    );
    assert.ok(primed > 100, `only ${primed} runs had a cached entry`);
  });
});
