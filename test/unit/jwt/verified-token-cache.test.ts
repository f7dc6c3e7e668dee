import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSigner, createVerifier, isJwtFailure, type JwtClaims } from '../../../src/auth/jwt/index.js';
import { INVALID } from '../../../src/auth/jwt/failures.js';
import { VerifiedTokenCache } from '../../../src/auth/jwt/verified-token-cache.js';
import { accessClaims, hsSettings, NOW } from './jwt-fixtures.js';

const claims = (n: number): JwtClaims => Object.freeze({ exp: NOW + 100, jti: `j${n}` }) as JwtClaims;

describe('VerifiedTokenCache', () => {
  it('returns the stored claims only inside [validFrom, validUntil)', () => {
    const cache = new VerifiedTokenCache(4);
    const c = claims(1);
    cache.add('t1', c, NOW - 10, NOW + 100);
    assert.equal(cache.find('t1', NOW), c);
    assert.equal(cache.find('t1', NOW - 10), c);
    assert.equal(cache.find('t1', NOW + 99.999), c);
    assert.equal(cache.find('t1', NOW - 11), INVALID);
    assert.equal(cache.size, 1, 'a not-yet-valid entry stays');
    assert.equal(cache.find('t1', NOW + 100), INVALID);
    assert.equal(cache.size, 0, 'an expired entry is dropped');
    assert.equal(cache.find('t1', NOW), undefined);
    assert.equal(cache.find('other', NOW), undefined);
  });

  it('never holds more than its capacity, evicting the oldest first', () => {
    const cache = new VerifiedTokenCache(3);
    for (let i = 0; i < 10; i++) {
      cache.add(`t${i}`, claims(i), 0, Infinity);
      assert.ok(cache.size <= 3);
    }
    assert.equal(cache.size, 3);
    assert.equal(cache.find('t6', NOW), undefined);
    for (const i of [7, 8, 9]) assert.equal((cache.find(`t${i}`, NOW) as JwtClaims).jti, `j${i}`);
  });

  it('an early-dropped entry does not make eviction remove a newer entry of the same token', () => {
    const cache = new VerifiedTokenCache(3);
    cache.add('a', claims(1), 0, NOW); // slot 0
    assert.equal(cache.find('a', NOW), INVALID); // expired: dropped, but slot 0 still names "a"
    cache.add('b', claims(2), 0, Infinity); // slot 1
    cache.add('a', claims(3), 0, Infinity); // slot 2, the new "a"
    cache.add('c', claims(4), 0, Infinity); // slot 0: its stale "a" must not remove the new "a"
    assert.equal((cache.find('a', NOW) as JwtClaims).jti, 'j3');
    assert.equal((cache.find('b', NOW) as JwtClaims).jti, 'j2');
    assert.equal(cache.size, 3);
    cache.add('d', claims(5), 0, Infinity); // slot 1: evicts "b"
    assert.equal(cache.find('b', NOW), undefined);
    assert.equal(cache.size, 3);
  });

  it('refuses a capacity below 1', () => {
    assert.throws(() => new VerifiedTokenCache(0), RangeError);
  });
});

describe('verifier with cacheSize > 0', () => {
  it('a hit returns the same claims object; without a cache each call parses anew', () => {
    const token = createSigner(hsSettings()).sign(accessClaims());
    const cached = createVerifier(hsSettings({ cacheSize: 10 }), 'access');
    const first = cached.verify(token);
    assert.ok(!isJwtFailure(first));
    assert.equal(cached.verify(token), first);
    const uncached = createVerifier(hsSettings(), 'access');
    assert.notEqual(uncached.verify(token), uncached.verify(token));
  });

  it('does not return an entry at or after exp (nor before iat when the clock goes back)', () => {
    let now = NOW;
    const settings = hsSettings({ cacheSize: 10, now: () => now });
    const token = createSigner(settings).sign(accessClaims({ exp: NOW + 60 }));
    const verifier = createVerifier(settings, 'access');
    assert.ok(!isJwtFailure(verifier.verify(token)));
    now = NOW + 59.9;
    assert.ok(!isJwtFailure(verifier.verify(token)));
    now = NOW + 60;
    assert.deepEqual(verifier.verify(token), { ok: false, reason: 'invalid' });
    now = NOW - 5;
    assert.deepEqual(verifier.verify(token), { ok: false, reason: 'invalid' }, 'iat is in the future again');
  });

  it('a cached entry honours the leeway exactly like the full check', () => {
    let now = NOW;
    const settings = hsSettings({ cacheSize: 10, leewaySec: 30, now: () => now });
    const token = createSigner(settings).sign(accessClaims({ exp: NOW + 60 }));
    const verifier = createVerifier(settings, 'access');
    assert.ok(!isJwtFailure(verifier.verify(token)));
    now = NOW + 89;
    assert.ok(!isJwtFailure(verifier.verify(token)));
    now = NOW + 90;
    assert.equal(isJwtFailure(verifier.verify(token)), true);
    assert.equal(
      isJwtFailure(createVerifier(settings, 'access').verify(token)),
      true,
      'same answer uncached',
    );
  });

  it('does not cache refusals, and a refused token of another type is refused again', () => {
    const settings = hsSettings({ cacheSize: 10 });
    const refresh = createSigner(settings).sign(accessClaims({ token_type: 'refresh' }));
    const verifier = createVerifier(settings, 'access');
    assert.equal(verifier.verify(refresh), verifier.verify(refresh));
    assert.deepEqual(verifier.verify(refresh), { ok: false, reason: 'wrong_type' });
  });

  it('stays within cacheSize: after eviction a token is verified anew (a new claims object)', () => {
    const settings = hsSettings({ cacheSize: 2 });
    const signer = createSigner(settings);
    const verifier = createVerifier(settings, 'access');
    const tokens = [1, 2, 3].map((id) => signer.sign(accessClaims({ user_id: id })));
    const first = verifier.verify(tokens[0]!);
    verifier.verify(tokens[1]!);
    assert.equal(verifier.verify(tokens[0]!), first, 'still cached');
    verifier.verify(tokens[2]!); // evicts tokens[0], the oldest insertion
    const again = verifier.verify(tokens[0]!);
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
  });

  it('belongs to one verifier: a verifier built with other keys does not accept from it', () => {
    const settings = hsSettings({ cacheSize: 10 });
    const token = createSigner(settings).sign(accessClaims());
    assert.ok(!isJwtFailure(createVerifier(settings, 'access').verify(token)));
    const otherKey = hsSettings({
      cacheSize: 10,
      signingKey: { algorithm: 'HS256', secret: 'a completely different secret key' },
    });
    assert.equal(isJwtFailure(createVerifier(otherKey, 'access').verify(token)), true);
  });
});
