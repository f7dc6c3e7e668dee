import assert from 'node:assert/strict';
import { createHmac, sign as cryptoSign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createSigner,
  createVerifier,
  isJwtFailure,
  MESSAGE_OF_REASON,
  type JwtClaims,
  type JwtFailure,
  type JwtSettings,
} from '../../../src/auth/jwt/index.js';
import {
  accessClaims,
  HS256_HEADER,
  hsSettings,
  hsToken,
  keyPairs,
  NOW,
  PYJWT_VECTORS,
  SECRET,
  signingKeyFor,
  signInput,
  VECTOR_NOW,
} from './jwt-fixtures.js';

function reasonOf(result: JwtClaims | JwtFailure): string {
  return isJwtFailure(result) ? result.reason : 'ok';
}

function verdict(
  token: string,
  settings: JwtSettings = hsSettings(),
  type: 'access' | 'refresh' | null = 'access',
) {
  return reasonOf(createVerifier(settings, type).verify(token));
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('createVerifier: acceptance', () => {
  it('accepts a token of createSigner and returns its claims, frozen', () => {
    const token = createSigner(hsSettings()).sign(accessClaims());
    const result = createVerifier(hsSettings(), 'access').verify(token);
    assert.ok(!isJwtFailure(result));
    assert.deepEqual({ ...result }, accessClaims());
    assert.ok(Object.isFrozen(result));
    assert.ok(!('ok' in result));
  });

  it('accepts the PyJWT/simplejwt vector', () => {
    const settings = hsSettings({ now: () => VECTOR_NOW });
    assert.equal(verdict(PYJWT_VECTORS.access.token, settings), 'ok');
  });

  it('`verify` works detached from its object', () => {
    const { verify } = createVerifier(hsSettings(), 'access');
    assert.equal(reasonOf(verify(createSigner(hsSettings()).sign(accessClaims()))), 'ok');
  });

  it('accepts headers other than the precomputed ones (jose, other key order, spaces, extra members)', () => {
    for (const header of [
      { alg: 'HS256' },
      { typ: 'JWT', alg: 'HS256' },
      '{ "alg" : "HS256" , "typ" : "JWT" }',
      { alg: 'HS256', typ: 'JWT', cty: 'x' },
      { alg: 'HS256', typ: 'at+jwt' },
    ]) {
      assert.equal(verdict(hsToken(header, accessClaims())), 'ok', JSON.stringify(header));
    }
  });

  it('exports simplejwt messages for every reason', () => {
    assert.deepEqual(MESSAGE_OF_REASON, {
      invalid: 'Token is invalid or expired',
      no_exp: "Token has no 'exp' claim",
      no_jti: 'Token has no id',
      no_type: 'Token has no type',
      wrong_type: 'Token has wrong type',
    });
  });

  it('returns the same frozen failure object for every refusal', () => {
    const verifier = createVerifier(hsSettings(), 'access');
    const a = verifier.verify('garbage');
    const b = verifier.verify('x.y.z');
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a));
  });
});

describe('createVerifier: structure and signature ("invalid")', () => {
  const valid = (): string => createSigner(hsSettings()).sign(accessClaims());
  const cases: Array<[string, () => string]> = [
    ['empty string', () => ''],
    ['garbage', () => 'not a token'],
    ['two segments', () => valid().split('.').slice(0, 2).join('.')],
    ['four segments', () => valid() + '.AAAA'],
    ['empty signature', () => valid().replace(/[^.]+$/, '')],
    [
      'signature of another key',
      () => hsToken(HS256_HEADER, accessClaims(), 'another secret entirely, also long'),
    ],
    [
      'tampered payload',
      () => {
        const [h, , s] = valid().split('.');
        return `${h}.${b64(JSON.stringify(accessClaims({ user_id: 2 })))}.${s}`;
      },
    ],
    [
      'tampered header',
      () => {
        const [, p, s] = valid().split('.');
        return `${b64('{"alg":"HS256","typ":"JWS"}')}.${p}.${s}`;
      },
    ],
    [
      'one signature character changed',
      () => {
        const t = valid();
        const i = t.length - 10;
        return t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
      },
    ],
    [
      'signature with spare bits set (same bytes, other spelling)',
      () => {
        const t = valid();
        const last = t.at(-1)!;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        return t.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
      },
    ],
    ['signature with padding', () => valid() + '='],
    [
      'payload with padding (re-signed)',
      () => signInput(b64(JSON.stringify(HS256_HEADER)) + '.' + b64(JSON.stringify(accessClaims())) + '=='),
    ],
    [
      'payload in the standard alphabet (re-signed)',
      () => {
        const payload = Buffer.from(JSON.stringify(accessClaims({ x: '>>>???' })))
          .toString('base64')
          .replace(/=+$/, '');
        assert.match(payload, /[+/]/);
        return signInput(b64(JSON.stringify(HS256_HEADER)) + '.' + payload);
      },
    ],
    [
      'payload with spare bits set (re-signed)',
      () => {
        let payload = b64(JSON.stringify(accessClaims({ pad: 'x' })));
        if (payload.length % 4 === 0) payload = b64(JSON.stringify(accessClaims({ pad: 'xy' })));
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        payload = payload.slice(0, -1) + alphabet[alphabet.indexOf(payload.at(-1)!) + 1];
        return signInput(b64(JSON.stringify(HS256_HEADER)) + '.' + payload);
      },
    ],
    [
      'header with spare bits / padding',
      () => signInput(b64(JSON.stringify({ alg: 'HS256' })) + '=.' + b64('{}')),
    ],
    ['payload not JSON', () => hsToken(HS256_HEADER, 'not json')],
    ['payload a JSON array', () => hsToken(HS256_HEADER, '[1,2]')],
    ['payload a JSON string', () => hsToken(HS256_HEADER, '"exp"')],
    ['payload null', () => hsToken(HS256_HEADER, 'null')],
    ['header not JSON', () => signInput(b64('alg HS256') + '.' + b64(JSON.stringify(accessClaims())))],
    ['header a JSON array', () => hsToken('["HS256"]', accessClaims())],
    [
      'alg none without signature',
      () => `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(accessClaims()))}.`,
    ],
    ['alg none with an HMAC signature', () => hsToken({ alg: 'none', typ: 'JWT' }, accessClaims())],
    ['alg in lowercase', () => hsToken({ alg: 'hs256', typ: 'JWT' }, accessClaims())],
    ['alg missing', () => hsToken({ typ: 'JWT' }, accessClaims())],
    ['alg not a string', () => hsToken({ alg: ['HS256'] }, accessClaims())],
    [
      'alg of an unconfigured HMAC variant',
      () => hsToken({ alg: 'HS512', typ: 'JWT' }, accessClaims(), SECRET, 'sha512'),
    ],
    ['crit header', () => hsToken({ alg: 'HS256', crit: ['exp'], exp: 1 }, accessClaims())],
    ['b64=false', () => hsToken({ alg: 'HS256', b64: false, crit: ['b64'] }, accessClaims())],
    ['b64=false without crit', () => hsToken({ alg: 'HS256', b64: false }, accessClaims())],
    ['kid not a string', () => hsToken({ alg: 'HS256', kid: 1 }, accessClaims())],
    ['unknown kid', () => hsToken({ alg: 'HS256', kid: 'nobody', typ: 'JWT' }, accessClaims())],
    [
      'a claims set with an ok member',
      () => hsToken(HS256_HEADER, accessClaims({ ok: false, reason: 'no_jti' })),
    ],
    ['non-ASCII in the payload segment', () => valid().replace('.', '.é')],
  ];
  for (const [name, make] of cases) {
    it(`refuses: ${name}`, () => assert.equal(verdict(make()), 'invalid'));
  }

  it('refuses a valid token longer than maxTokenLength, before any work', () => {
    const token = createSigner(hsSettings()).sign(accessClaims({ pad: 'x'.repeat(4000) }));
    assert.ok(token.length > 4096);
    assert.equal(verdict(token), 'invalid');
    assert.equal(verdict(token, hsSettings({ maxTokenLength: token.length })), 'ok');
  });

  it('refuses non-string input without throwing', () => {
    const verifier = createVerifier(hsSettings(), 'access');
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      assert.equal(reasonOf(verifier.verify(value as unknown as string)), 'invalid');
    }
  });
});

describe('createVerifier: registered claims (PyJWT 2.6)', () => {
  const at = (overrides: Record<string, unknown>, settings?: Partial<JwtSettings>) =>
    verdict(hsToken(HS256_HEADER, accessClaims(overrides)), hsSettings(settings));

  it('exp: expired when exp <= now - leeway', () => {
    assert.equal(at({ exp: NOW + 1 }), 'ok');
    assert.equal(at({ exp: NOW }), 'invalid');
    assert.equal(at({ exp: NOW - 1000 }), 'invalid');
    assert.equal(at({ exp: NOW - 5 }, { leewaySec: 6 }), 'ok');
    assert.equal(at({ exp: NOW - 5 }, { leewaySec: 5 }), 'invalid');
  });

  it('exp must be a JSON number (a numeric string crashes the reference; here it is invalid)', () => {
    for (const exp of [String(NOW + 300), null, true, [NOW + 300], { t: 1 }]) {
      assert.equal(at({ exp }), 'invalid', JSON.stringify(exp));
    }
    assert.equal(verdict(hsToken(HS256_HEADER, `{"token_type":"access","exp":1e999,"jti":"j"}`)), 'invalid');
  });

  it("follows PyJWT's whole-second clock and int() truncation", () => {
    const half = { now: () => NOW + 0.5 };
    assert.equal(at({ exp: NOW + 1 }, half), 'ok');
    assert.equal(at({ exp: NOW }, half), 'invalid');
    // int(NOW + 0.7) = NOW <= floor(NOW + 0.5): PyJWT says expired, although exp is still ahead.
    assert.equal(at({ exp: NOW + 0.7 }, half), 'invalid');
    assert.equal(at({ exp: NOW + 1.7 }, half), 'ok');
    // iat is compared as given with the floored clock: NOW + 0.3 > NOW is "not yet valid".
    assert.equal(at({ iat: NOW + 0.3 }, half), 'invalid');
    // nbf is truncated: int(NOW + 0.9) = NOW is not > NOW.
    assert.equal(at({ nbf: NOW + 0.9 }, half), 'ok');
    assert.equal(at({ nbf: NOW + 1 }, half), 'invalid');
  });

  it('nbf: not yet valid when nbf > now + leeway', () => {
    assert.equal(at({ nbf: NOW }), 'ok');
    assert.equal(at({ nbf: NOW + 1 }), 'invalid');
    assert.equal(at({ nbf: NOW + 5 }, { leewaySec: 5 }), 'ok');
    assert.equal(at({ nbf: NOW + 6 }, { leewaySec: 5 }), 'invalid');
    assert.equal(at({ nbf: String(NOW) }), 'invalid');
  });

  it('iat: a future iat is invalid; it must be a number', () => {
    assert.equal(at({ iat: NOW + 1 }), 'invalid');
    assert.equal(at({ iat: NOW + 5 }, { leewaySec: 5 }), 'ok');
    assert.equal(at({ iat: undefined }), 'ok');
    assert.equal(at({ iat: 'yesterday' }), 'invalid');
    assert.equal(at({ iat: null }), 'invalid');
  });

  it('aud is ignored when no audience is configured', () => {
    assert.equal(at({ aud: 'anything' }), 'ok');
    assert.equal(at({ aud: 5 }), 'ok');
  });

  it('aud must contain a configured audience', () => {
    const one = { audience: 'api' };
    assert.equal(at({ aud: 'api' }, one), 'ok');
    assert.equal(at({ aud: ['other', 'api'] }, one), 'ok');
    assert.equal(at({ aud: 'other' }, one), 'invalid');
    assert.equal(at({}, one), 'invalid');
    assert.equal(at({ aud: [] }, one), 'invalid');
    assert.equal(at({ aud: '' }, one), 'invalid');
    assert.equal(at({ aud: ['api', 5] }, one), 'invalid');
    assert.equal(at({ aud: { api: true } }, one), 'invalid');
    const two = { audience: ['a', 'b'] };
    assert.equal(at({ aud: 'b' }, two), 'ok');
    assert.equal(at({ aud: ['c', 'a'] }, two), 'ok');
    assert.equal(at({ aud: 'c' }, two), 'invalid');
  });

  it('iss must equal the configured issuer; ignored otherwise', () => {
    assert.equal(at({ iss: 'gatehouse' }, { issuer: 'gatehouse' }), 'ok');
    assert.equal(at({ iss: 'other' }, { issuer: 'gatehouse' }), 'invalid');
    assert.equal(at({}, { issuer: 'gatehouse' }), 'invalid');
    assert.equal(at({ iss: ['gatehouse'] }, { issuer: 'gatehouse' }), 'invalid');
    assert.equal(at({ iss: 'whoever' }), 'ok');
  });
});

describe('createVerifier: simplejwt Token.verify reasons', () => {
  const without = (...names: string[]) => {
    const claims = accessClaims();
    for (const name of names) delete claims[name];
    return hsToken(HS256_HEADER, claims);
  };

  it('no exp -> no_exp (before the jti and type checks)', () => {
    assert.equal(verdict(without('exp')), 'no_exp');
    assert.equal(verdict(without('exp', 'jti', 'token_type')), 'no_exp');
  });

  it('no jti, or a jti that is neither text nor a number -> no_jti', () => {
    assert.equal(verdict(without('jti')), 'no_jti');
    assert.equal(verdict(without('jti', 'token_type')), 'no_jti');
    for (const jti of [null, true, [], {}])
      assert.equal(verdict(hsToken(HS256_HEADER, accessClaims({ jti }))), 'no_jti', JSON.stringify(jti));
  });

  it('any string or number is an id, as simplejwt only asks that the claim be there', () => {
    for (const jti of ['', 'x', 12, 1.5])
      assert.equal(verdict(hsToken(HS256_HEADER, accessClaims({ jti }))), 'ok', JSON.stringify(jti));
  });

  it('no token_type -> no_type, with a expected type and without one', () => {
    assert.equal(verdict(without('token_type')), 'no_type');
    assert.equal(verdict(without('token_type'), hsSettings(), null), 'no_type');
  });

  it('another token_type -> wrong_type; null expected accepts any present type', () => {
    const refresh = hsToken(HS256_HEADER, accessClaims({ token_type: 'refresh' }));
    assert.equal(verdict(refresh, hsSettings(), 'access'), 'wrong_type');
    assert.equal(verdict(refresh, hsSettings(), 'refresh'), 'ok');
    assert.equal(verdict(refresh, hsSettings(), null), 'ok');
    assert.equal(verdict(hsToken(HS256_HEADER, accessClaims()), hsSettings(), 'refresh'), 'wrong_type');
    assert.equal(
      verdict(hsToken(HS256_HEADER, accessClaims({ token_type: null })), hsSettings(), 'access'),
      'wrong_type',
    );
  });

  it('PyJWT failures come first: an expired token without jti is invalid', () => {
    const claims = accessClaims({ exp: NOW - 1 });
    delete claims['jti'];
    assert.equal(verdict(hsToken(HS256_HEADER, claims)), 'invalid');
  });

  it('uses the configured claim names', () => {
    const settings = hsSettings({ tokenTypeClaim: 'typ', jtiClaim: 'id' });
    const token = hsToken(HS256_HEADER, { typ: 'access', exp: NOW + 60, id: 'abc' });
    assert.equal(verdict(token, settings), 'ok');
    assert.equal(verdict(hsToken(HS256_HEADER, accessClaims()), settings), 'no_jti');
  });

  it('does not check user_id (the authentication stage does)', () => {
    const claims = accessClaims();
    delete claims['user_id'];
    assert.equal(verdict(hsToken(HS256_HEADER, claims)), 'ok');
  });
});

describe('createVerifier: keys, kid and rotation', () => {
  const OLD = 'the previous secret key of this deployment, long enough';
  const rotated = hsSettings({
    signingKey: { algorithm: 'HS256', secret: SECRET, kid: 'new' },
    verifyingKeys: [{ algorithm: 'HS256', secret: OLD, kid: 'old' }],
  });

  it('kid selects the key', () => {
    assert.equal(
      verdict(hsToken({ alg: 'HS256', kid: 'old', typ: 'JWT' }, accessClaims(), OLD), rotated),
      'ok',
    );
    assert.equal(
      verdict(hsToken({ alg: 'HS256', kid: 'new', typ: 'JWT' }, accessClaims(), SECRET), rotated),
      'ok',
    );
    assert.equal(
      verdict(hsToken({ alg: 'HS256', kid: 'new', typ: 'JWT' }, accessClaims(), OLD), rotated),
      'invalid',
    );
    assert.equal(verdict(hsToken({ kid: 'old', alg: 'HS256' }, accessClaims(), OLD), rotated), 'ok');
    assert.equal(
      verdict(hsToken({ alg: 'HS256', kid: 'gone', typ: 'JWT' }, accessClaims(), OLD), rotated),
      'invalid',
    );
  });

  it('without a kid, every key of the algorithm is tried (old simplejwt tokens keep working)', () => {
    assert.equal(verdict(hsToken(HS256_HEADER, accessClaims(), OLD), rotated), 'ok');
    assert.equal(verdict(hsToken(HS256_HEADER, accessClaims(), SECRET), rotated), 'ok');
    assert.equal(
      verdict(hsToken(HS256_HEADER, accessClaims(), 'a third key nobody configured'), rotated),
      'invalid',
    );
  });

  it('a kid of a key of another algorithm matches nothing', () => {
    const settings = hsSettings({
      signingKey: { algorithm: 'HS256', secret: SECRET, kid: 'a' },
      verifyingKeys: [{ algorithm: 'HS512', secret: OLD, kid: 'b' }],
    });
    assert.equal(verdict(hsToken({ alg: 'HS256', kid: 'b' }, accessClaims(), OLD), settings), 'invalid');
    // Even with an HS512 signature made with b's secret: the header's alg must be b's algorithm.
    assert.equal(
      verdict(hsToken({ alg: 'HS256', kid: 'b' }, accessClaims(), OLD, 'sha512'), settings),
      'invalid',
    );
    assert.equal(verdict(hsToken({ alg: 'HS512', kid: 'b' }, accessClaims(), OLD, 'sha512'), settings), 'ok');
    assert.equal(verdict(hsToken({ alg: 'HS512' }, accessClaims(), OLD, 'sha512'), settings), 'ok');
  });

  it('rotation: the signer uses the new key, tokens of the old one stay valid until it is removed', () => {
    const before = hsSettings({ signingKey: { algorithm: 'HS256', secret: OLD, kid: 'old' } });
    const oldToken = createSigner(before).sign(accessClaims());
    const signer = createSigner(rotated);
    assert.equal(signer.kid, 'new');
    const newToken = signer.sign(accessClaims());
    assert.ok(newToken.startsWith(b64('{"alg":"HS256","kid":"new","typ":"JWT"}') + '.'));
    assert.equal(verdict(oldToken, rotated), 'ok');
    assert.equal(verdict(newToken, rotated), 'ok');
    assert.equal(verdict(newToken, before), 'invalid');
    const after = hsSettings({ signingKey: { algorithm: 'HS256', secret: SECRET, kid: 'new' } });
    assert.equal(verdict(oldToken, after), 'invalid');
    assert.equal(verdict(newToken, after), 'ok');
  });

  it('HS/RS confusion is impossible: the RSA public key PEM used as an HMAC secret', () => {
    const { publicKeyPem } = keyPairs().RS256;
    const rs = hsSettings({ signingKey: signingKeyFor('RS256') });
    const forged = hsToken(HS256_HEADER, accessClaims(), publicKeyPem);
    assert.equal(verdict(forged, rs), 'invalid');
    const forgedRsHeader = hsToken({ alg: 'RS256', typ: 'JWT' }, accessClaims(), publicKeyPem);
    assert.equal(verdict(forgedRsHeader, rs), 'invalid');
    // And an RS256 header never reaches an HMAC key.
    const rsToken = createSigner(rs).sign(accessClaims());
    assert.equal(verdict(rsToken, hsSettings()), 'invalid');
  });

  for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`${algorithm}: signs and verifies; a verifier with only the public key accepts; tampering is refused`, () => {
      const settings = hsSettings({ signingKey: signingKeyFor(algorithm, 'k1') });
      const token = createSigner(settings).sign(accessClaims());
      assert.equal(verdict(token, settings), 'ok');
      const publicOnly = hsSettings({
        signingKey: { algorithm: 'HS256', secret: SECRET, kid: 'hs' },
        verifyingKeys: [{ algorithm, publicKeyPem: keyPairs()[algorithm].publicKeyPem, kid: 'k1' }],
      });
      assert.equal(verdict(token, publicOnly), 'ok');
      const [h, p, s] = token.split('.') as [string, string, string];
      const flipped = s.slice(0, 5) + (s[5] === 'A' ? 'B' : 'A') + s.slice(6);
      assert.equal(verdict(`${h}.${p}.${flipped}`, settings), 'invalid');
      assert.equal(
        verdict(`${h}.${b64(JSON.stringify(accessClaims({ user_id: 9 })))}.${s}`, settings),
        'invalid',
      );
      assert.equal(verdict(`${h}.${p}.${s}A`, settings), 'invalid');
      assert.equal(verdict(`${h}.${p}.`, settings), 'invalid');
    });
  }

  it('ES256 signatures must be raw R||S (JOSE), not DER', () => {
    const settings = hsSettings({ signingKey: signingKeyFor('ES256') });
    const input = b64('{"alg":"ES256","typ":"JWT"}') + '.' + b64(JSON.stringify(accessClaims()));
    const der = cryptoSign('sha256', Buffer.from(input), keyPairs().ES256.privateKey);
    const raw = cryptoSign('sha256', Buffer.from(input), {
      key: keyPairs().ES256.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    assert.equal(verdict(`${input}.${der.toString('base64url')}`, settings), 'invalid');
    assert.equal(verdict(`${input}.${raw.toString('base64url')}`, settings), 'ok');
  });

  it('refuses to build from invalid settings, naming the problems but not the secret', () => {
    assert.throws(
      () =>
        createVerifier(
          hsSettings({ signingKey: { algorithm: 'HS256', secret: '' }, leewaySec: -1 }),
          'access',
        ),
      (error: Error) => /signingKey\.secret/.test(error.message) && /leewaySec/.test(error.message),
    );
    const pemSecret = keyPairs().RS256.publicKeyPem;
    assert.throws(
      () => createVerifier(hsSettings({ signingKey: { algorithm: 'HS256', secret: pemSecret } }), 'access'),
      (error: Error) => !error.message.includes(pemSecret.slice(30, 60)),
    );
  });

  it('uses createHmac-equal signatures for a long (hashed) secret', () => {
    const long = 'L'.repeat(200);
    const settings = hsSettings({ signingKey: { algorithm: 'HS256', secret: long } });
    const token = createSigner(settings).sign(accessClaims());
    const [h, p, s] = token.split('.');
    assert.equal(s, createHmac('sha256', long).update(`${h}.${p}`).digest('base64url'));
    assert.equal(verdict(token, settings), 'ok');
  });
});
