/**
 * jose as an independent oracle: what Gatehouse signs, jose verifies; what jose signs, Gatehouse verifies; and
 * a table of bad tokens is refused by both - except where jose's rules differ from PyJWT's or Gatehouse's,
 * which the table names and checks (jose accepting them), so a change on either side shows up here.
 */
import assert from 'node:assert/strict';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { jwtVerify, SignJWT, type JWTVerifyOptions } from 'jose';
import {
  createSigner,
  createVerifier,
  isJwtFailure,
  type JwtAlgorithm,
  type JwtSettings,
} from '../../../src/auth/jwt/index.js';
import {
  accessClaims,
  HS256_HEADER,
  hsSettings,
  hsToken,
  keyPairs,
  NOW,
  SECRET,
  signingKeyFor,
  signInput,
} from './jwt-fixtures.js';

const ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'];
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

function settingsFor(algorithm: JwtAlgorithm): JwtSettings {
  return algorithm.startsWith('HS')
    ? hsSettings({ signingKey: { algorithm, secret: SECRET } })
    : hsSettings({ signingKey: signingKeyFor(algorithm as 'RS256' | 'ES256' | 'EdDSA') });
}

function joseKeys(algorithm: JwtAlgorithm): { signKey: KeyObject; verifyKey: KeyObject } {
  if (algorithm.startsWith('HS')) {
    const secret = createSecretKey(Buffer.from(SECRET, 'utf8'));
    return { signKey: secret, verifyKey: secret };
  }
  const pair = keyPairs()[algorithm as 'RS256' | 'ES256' | 'EdDSA'];
  return { signKey: pair.privateKey, verifyKey: pair.publicKey };
}

async function joseAccepts(token: string, key: KeyObject, options: JWTVerifyOptions = {}): Promise<boolean> {
  try {
    await jwtVerify(token, key, { currentDate: new Date(NOW * 1000), ...options });
    return true;
  } catch {
    return false;
  }
}

function gatehouseAccepts(token: string, settings: JwtSettings = hsSettings()): boolean {
  return !isJwtFailure(createVerifier(settings, 'access').verify(token));
}

describe('jose oracle: interoperability', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: jose verifies what Gatehouse signs`, async () => {
      const token = createSigner(settingsFor(algorithm)).sign(accessClaims());
      const { verifyKey } = joseKeys(algorithm);
      const { payload, protectedHeader } = await jwtVerify(token, verifyKey, {
        algorithms: [algorithm],
        currentDate: new Date(NOW * 1000),
      });
      assert.deepEqual(payload, accessClaims());
      assert.deepEqual(protectedHeader, { alg: algorithm, typ: 'JWT' });
    });

    it(`${algorithm}: Gatehouse verifies what jose signs, with {alg, typ} and with {alg} only`, async () => {
      const { signKey } = joseKeys(algorithm);
      for (const header of [{ alg: algorithm, typ: 'JWT' }, { alg: algorithm }]) {
        const token = await new SignJWT(accessClaims()).setProtectedHeader(header).sign(signKey);
        assert.ok(gatehouseAccepts(token, settingsFor(algorithm)), JSON.stringify(header));
      }
    });
  }
});

describe('jose oracle: bad tokens', () => {
  const hsKey = joseKeys('HS256').verifyKey;
  const valid = (): string => createSigner(hsSettings()).sign(accessClaims());
  const rsSettings = hsSettings({ signingKey: signingKeyFor('RS256') });

  interface BadToken {
    readonly name: string;
    readonly token: () => string;
    readonly settings?: JwtSettings;
    readonly joseKey?: KeyObject;
    readonly joseOptions?: JWTVerifyOptions;
    /** Why jose accepts this one (null: jose refuses it too). */
    readonly joseDiffers?: string;
  }

  const table: BadToken[] = [
    {
      name: 'alg none',
      token: () => `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(accessClaims()))}.`,
    },
    {
      name: 'HS/RS confusion (RSA public key PEM as HMAC secret)',
      token: () => hsToken(HS256_HEADER, accessClaims(), keyPairs().RS256.publicKeyPem),
      settings: rsSettings,
      joseKey: keyPairs().RS256.publicKey,
    },
    {
      name: 'tampered header',
      token: () => {
        const [, p, s] = valid().split('.');
        return `${b64('{"alg":"HS256","typ":"JWT","x":1}')}.${p}.${s}`;
      },
    },
    {
      name: 'tampered payload',
      token: () => {
        const [h, , s] = valid().split('.');
        return `${h}.${b64(JSON.stringify(accessClaims({ user_id: 2 })))}.${s}`;
      },
    },
    {
      name: 'tampered signature',
      token: () => {
        const t = valid();
        return t.slice(0, -20) + (t.at(-20) === 'x' ? 'y' : 'x') + t.slice(-19);
      },
    },
    { name: 'expired', token: () => hsToken(HS256_HEADER, accessClaims({ exp: NOW - 1 })) },
    { name: 'expired exactly now', token: () => hsToken(HS256_HEADER, accessClaims({ exp: NOW })) },
    { name: 'future nbf', token: () => hsToken(HS256_HEADER, accessClaims({ nbf: NOW + 60 })) },
    {
      name: 'future iat',
      token: () => hsToken(HS256_HEADER, accessClaims({ iat: NOW + 60 })),
      joseDiffers: 'jose checks iat against the clock only with maxTokenAge; PyJWT 2.6 refuses a future iat',
    },
    { name: 'string exp', token: () => hsToken(HS256_HEADER, accessClaims({ exp: String(NOW + 300) })) },
    {
      name: 'wrong aud',
      token: () => hsToken(HS256_HEADER, accessClaims({ aud: 'other' })),
      settings: hsSettings({ audience: 'api' }),
      joseOptions: { audience: 'api' },
    },
    {
      name: 'missing aud',
      token: () => hsToken(HS256_HEADER, accessClaims()),
      settings: hsSettings({ audience: 'api' }),
      joseOptions: { audience: 'api' },
    },
    {
      name: 'wrong iss',
      token: () => hsToken(HS256_HEADER, accessClaims({ iss: 'mallory' })),
      settings: hsSettings({ issuer: 'gatehouse' }),
      joseOptions: { issuer: 'gatehouse' },
    },
    { name: 'two segments', token: () => valid().split('.').slice(0, 2).join('.') },
    { name: 'four segments', token: () => valid() + '.e30' },
    {
      name: 'padding in the payload (re-signed over the padded text)',
      token: () =>
        signInput(`${b64(JSON.stringify(HS256_HEADER))}.${b64(JSON.stringify(accessClaims({ p: 1 })))}=`),
      joseDiffers: "jose decodes with atob(), which accepts '=' padding",
    },
    {
      name: 'padding after the signature',
      token: () => valid() + '=',
      joseDiffers:
        "atob() accepts '=' padding (PyJWT too: it pads and decodes leniently); RFC 7515 §2 has none",
    },
    {
      name: 'non-canonical last character of the signature',
      token: () => {
        const t = valid();
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        return t.slice(0, -1) + alphabet[alphabet.indexOf(t.at(-1)!) + 1];
      },
      joseDiffers: 'atob() ignores the spare bits of the last character (RFC 4648 §3.5 lets decoders reject)',
    },
    {
      name: 'huge token (over maxTokenLength)',
      token: () => createSigner(hsSettings()).sign(accessClaims({ pad: 'x'.repeat(5000) })),
      joseDiffers: 'jose has no length cap; Gatehouse refuses before any work',
    },
    { name: 'crit header', token: () => hsToken({ alg: 'HS256', crit: ['exp'], exp: 1 }, accessClaims()) },
    {
      name: 'crit header naming an unknown extension',
      token: () => hsToken({ alg: 'HS256', crit: ['x'], x: 1 }, accessClaims()),
    },
    {
      name: 'alg HS512 when HS256 is configured',
      token: () => hsToken({ alg: 'HS512' }, accessClaims(), SECRET, 'sha512'),
      joseOptions: { algorithms: ['HS256'] },
    },
    {
      name: 'payload not an object',
      token: () => hsToken(HS256_HEADER, '[1]'),
    },
    {
      name: 'signature of another key',
      token: () => hsToken(HS256_HEADER, accessClaims(), 'another secret key of sufficient length'),
    },
    {
      name: 'signature computed over another input',
      token: () => {
        const [h, p] = valid().split('.');
        return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}x`).digest('base64url')}`;
      },
    },
  ];

  for (const bad of table) {
    it(`${bad.name}: refused by Gatehouse${bad.joseDiffers === undefined ? ' and by jose' : ' (jose accepts: ' + bad.joseDiffers + ')'}`, async () => {
      const token = bad.token();
      assert.equal(gatehouseAccepts(token, bad.settings), false);
      const joseVerdict = await joseAccepts(token, bad.joseKey ?? hsKey, bad.joseOptions);
      assert.equal(joseVerdict, bad.joseDiffers !== undefined);
    });
  }
});
