import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createSigner,
  createVerifier,
  JwtSettingsError,
  validateJwtSettings,
  type JwtKeyInput,
  type JwtSettings,
} from '../../../src/auth/jwt/index.js';
import { hsSettings, keyPairs, SECRET, signingKeyFor } from './jwt-fixtures.js';

const pem = (pair: {
  publicKey: { export(o: object): string | Buffer };
  privateKey: { export(o: object): string | Buffer };
}) => ({
  publicKeyPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
});

function problemsOf(overrides: Partial<JwtSettings>): string[] {
  return validateJwtSettings(hsSettings(overrides));
}

function expectProblem(overrides: Partial<JwtSettings>, pattern: RegExp): void {
  const problems = problemsOf(overrides);
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got ${JSON.stringify(problems)}`,
  );
}

const key = (input: JwtKeyInput): Partial<JwtSettings> => ({ signingKey: input });

describe('validateJwtSettings', () => {
  it('accepts the defaults with an HS256 secret, and each asymmetric algorithm', () => {
    assert.deepEqual(problemsOf({}), []);
    for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
      assert.deepEqual(problemsOf(key(signingKeyFor(algorithm))), []);
      assert.deepEqual(
        problemsOf({
          ...key(signingKeyFor(algorithm)),
          signingKey: { ...signingKeyFor(algorithm), publicKeyPem: keyPairs()[algorithm].publicKeyPem },
        }),
        [],
      );
    }
  });

  const cases: Array<[string, Partial<JwtSettings>, RegExp]> = [
    ['missing secret', key({ algorithm: 'HS256' }), /^signingKey\.secret: HS256 needs a non-empty secret/],
    ['empty secret', key({ algorithm: 'HS256', secret: '' }), /^signingKey\.secret/],
    [
      'unknown algorithm',
      key({ algorithm: 'none' as never, secret: SECRET }),
      /^signingKey\.algorithm: expected one of/,
    ],
    ['lowercase algorithm', key({ algorithm: 'hs256' as never, secret: SECRET }), /^signingKey\.algorithm/],
    [
      'HS key with a PEM',
      key({ algorithm: 'HS256', secret: SECRET, publicKeyPem: 'x' }),
      /^signingKey: HS256 takes a secret/,
    ],
    [
      'a PEM public key as HMAC secret',
      key({ algorithm: 'HS256', secret: keyPairs().RS256.publicKeyPem }),
      /^signingKey\.secret: looks like an asymmetric key/,
    ],
    [
      'an SSH key as HMAC secret',
      key({ algorithm: 'HS256', secret: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA user@host' }),
      /^signingKey\.secret: looks like/,
    ],
    [
      'asymmetric key with a secret',
      key({ algorithm: 'RS256', secret: SECRET }),
      /^signingKey\.secret: RS256 takes PEM keys/,
    ],
    [
      'asymmetric signing key without private key',
      key({ algorithm: 'RS256', publicKeyPem: keyPairs().RS256.publicKeyPem }),
      /^signingKey\.privateKeyPem: the signing key needs/,
    ],
    [
      'unreadable private PEM',
      key({
        algorithm: 'RS256',
        privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      }),
      /^signingKey\.privateKeyPem: not a PEM private key Node can read/,
    ],
    [
      'private key text that is not PEM',
      key({ algorithm: 'RS256', privateKeyPem: 'secret' }),
      /^signingKey\.privateKeyPem: expected a PEM private key/,
    ],
    [
      'a private key given as public key',
      { verifyingKeys: [{ algorithm: 'ES256', kid: 'e', publicKeyPem: keyPairs().ES256.privateKeyPem }] },
      /^verifyingKeys\[0\]\.publicKeyPem: holds a private key/,
    ],
    [
      'public key of another pair',
      key({
        ...signingKeyFor('ES256'),
        publicKeyPem: pem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' })).publicKeyPem,
      }),
      /^signingKey\.publicKeyPem: does not belong to privateKeyPem/,
    ],
    [
      'verifying key with no key at all',
      { verifyingKeys: [{ algorithm: 'EdDSA', kid: 'x' }] },
      /^verifyingKeys\[0\]: EdDSA needs publicKeyPem/,
    ],
    [
      'EC key for RS256',
      key({ algorithm: 'RS256', privateKeyPem: keyPairs().ES256.privateKeyPem }),
      /^signingKey: RS256 needs an RSA key, got ec/,
    ],
    [
      'RSA key for ES256',
      key({ algorithm: 'ES256', privateKeyPem: keyPairs().RS256.privateKeyPem }),
      /^signingKey: ES256 needs an EC key on curve P-256/,
    ],
    [
      'P-384 key for ES256',
      key({ algorithm: 'ES256', ...pem(generateKeyPairSync('ec', { namedCurve: 'secp384r1' })) }),
      /P-256/,
    ],
    [
      'Ed448 key for EdDSA',
      key({ algorithm: 'EdDSA', ...pem(generateKeyPairSync('ed448')) }),
      /^signingKey: EdDSA needs an Ed25519 key, got ed448/,
    ],
    [
      'RSA key under 2048 bits',
      key({ algorithm: 'RS256', ...pem(generateKeyPairSync('rsa', { modulusLength: 1024 })) }),
      /at least 2048 bits/,
    ],
    [
      'empty kid',
      key({ algorithm: 'HS256', secret: SECRET, kid: '' }),
      /^signingKey\.kid: expected a non-empty string/,
    ],
    [
      'duplicate kid',
      {
        signingKey: { algorithm: 'HS256', secret: SECRET, kid: 'k' },
        verifyingKeys: [{ algorithm: 'ES256', kid: 'k', publicKeyPem: keyPairs().ES256.publicKeyPem }],
      },
      /kid "k" is used by more than one key/,
    ],
    [
      'two HS keys without kids',
      { verifyingKeys: [{ algorithm: 'HS512', secret: 'another secret' }] },
      /2 HS keys are configured; each needs a kid/,
    ],
    ['verifyingKeys not an array', { verifyingKeys: {} as never }, /^verifyingKeys: expected an array/],
    [
      'verifying key not an object',
      { verifyingKeys: ['secret'] as never },
      /^verifyingKeys\[0\]: expected an object/,
    ],
    ['negative leeway', { leewaySec: -1 }, /^leewaySec/],
    ['leeway not a number', { leewaySec: '5' as never }, /^leewaySec/],
    ['empty audience', { audience: '' }, /^audience/],
    ['audience list with a non-string', { audience: ['a', 5] as never }, /^audience/],
    ['empty issuer', { issuer: '' }, /^issuer/],
    ['empty token type claim', { tokenTypeClaim: '' }, /^tokenTypeClaim/],
    ['inherited claim name', { jtiClaim: 'constructor' }, /^jtiClaim: "constructor" cannot be used/],
    ['reserved claim name ok', { tokenTypeClaim: 'ok' }, /^tokenTypeClaim: "ok" cannot be used/],
    ['maxTokenLength 0', { maxTokenLength: 0 }, /^maxTokenLength/],
    ['fractional cache size', { cacheSize: 1.5 }, /^cacheSize/],
    ['negative cache size', { cacheSize: -1 }, /^cacheSize/],
    ['clock not a function', { now: 5 as never }, /^now/],
  ];
  for (const [name, overrides, pattern] of cases) {
    it(`reports ${name}`, () => expectProblem(overrides, pattern));
  }

  it('reports every problem at once', () => {
    const problems = problemsOf({ leewaySec: -1, cacheSize: -1, signingKey: { algorithm: 'HS256' } });
    assert.equal(problems.length, 3);
  });

  it('never puts key material in a message', () => {
    const secretPem = keyPairs().RS256.privateKeyPem;
    const problems = problemsOf({
      signingKey: { algorithm: 'HS256', secret: secretPem },
      verifyingKeys: [{ algorithm: 'ES256', kid: 'x', publicKeyPem: secretPem }],
    });
    assert.ok(problems.length >= 2);
    for (const line of secretPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      for (const problem of problems) assert.ok(!problem.includes(line));
    }
  });

  it('createVerifier and createSigner throw a JwtSettingsError carrying the list', () => {
    const bad = hsSettings({ cacheSize: -1 });
    for (const build of [() => createVerifier(bad, 'access'), () => createSigner(bad)]) {
      assert.throws(
        build,
        (error: unknown) => error instanceof JwtSettingsError && error.problems.length === 1,
      );
    }
  });
});
