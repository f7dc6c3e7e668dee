/**
 * Property tests of the JWT verifier against jose as the reference (fast-check, bounded runs). They extend
 * test/unit/jwt/verifier-properties.test.ts (arbitrary strings, mutations of one token, HS256 claim sets) to
 * what it does not cover:
 *  - a key set of several algorithms and kids, with arbitrary headers signed by arbitrary keys (configured or
 *    not): whatever is accepted names an allowed algorithm, is signed by the configured key its header selects,
 *    and jose accepts it with that key;
 *  - HS/RS confusion with every encoding of the RSA public key used as the HMAC secret: never accepted;
 *  - arbitrary payload JSON (any claim of any type) and arbitrary payload text: verify never throws, and
 *    whatever it accepts jose accepts too and carries the claims simplejwt requires.
 */
import assert from 'node:assert/strict';
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jwtVerify } from 'jose';
import {
  createVerifier,
  isJwtFailure,
  type JwtAlgorithm,
  type JwtSettings,
} from '../../src/auth/jwt/index.js';
import { accessClaims, hsSettings, keyPairs, NOW, SECRET } from '../unit/jwt/jwt-fixtures.js';

const b64 = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

async function joseAccepts(token: string, key: KeyObject, algorithm: string): Promise<boolean> {
  try {
    await jwtVerify(token, key, { algorithms: [algorithm], currentDate: new Date(NOW * 1000) });
    return true;
  } catch {
    return false;
  }
}

// ---- a mixed key set --------------------------------------------------------------------------------------

const SECRET_B = 'second-hs-secret-for-rotation-0123456789abcdef';
const SECRET_UNKNOWN = 'an-hs-secret-nobody-configured-0123456789abcd';
const pairs = keyPairs();
const strangerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface ConfiguredKey {
  readonly kid: string;
  readonly algorithm: JwtAlgorithm;
  /** What jose verifies with. */
  readonly joseKey: KeyObject;
}

const CONFIGURED: readonly ConfiguredKey[] = [
  { kid: 'hs-a', algorithm: 'HS256', joseKey: createSecretKey(Buffer.from(SECRET, 'utf8')) },
  { kid: 'hs-b', algorithm: 'HS256', joseKey: createSecretKey(Buffer.from(SECRET_B, 'utf8')) },
  { kid: 'rs', algorithm: 'RS256', joseKey: pairs.RS256.publicKey },
  { kid: 'es', algorithm: 'ES256', joseKey: pairs.ES256.publicKey },
  { kid: 'ed', algorithm: 'EdDSA', joseKey: pairs.EdDSA.publicKey },
];

const mixedSettings: JwtSettings = hsSettings({
  signingKey: { algorithm: 'HS256', kid: 'hs-a', secret: SECRET },
  verifyingKeys: [
    { algorithm: 'HS256', kid: 'hs-b', secret: SECRET_B },
    { algorithm: 'RS256', kid: 'rs', publicKeyPem: pairs.RS256.publicKeyPem },
    { algorithm: 'ES256', kid: 'es', publicKeyPem: pairs.ES256.publicKeyPem },
    { algorithm: 'EdDSA', kid: 'ed', publicKeyPem: pairs.EdDSA.publicKeyPem },
  ],
});

/** The keys a forger may sign with: every configured private key or secret, and some nobody configured. */
type Signer = { readonly name: string; sign(input: string, headerAlg: unknown): string };
const HMAC_HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const hmacSigner = (name: string, secret: string | Buffer): Signer => ({
  name,
  sign: (input, alg) =>
    createHmac(HMAC_HASH[alg as string] ?? 'sha256', secret)
      .update(input)
      .digest('base64url'),
});
const SIGNERS: readonly Signer[] = [
  hmacSigner('hs-a secret', SECRET),
  hmacSigner('hs-b secret', SECRET_B),
  hmacSigner('unknown secret', SECRET_UNKNOWN),
  hmacSigner('RSA public key PEM as HMAC secret', pairs.RS256.publicKeyPem),
  {
    name: 'rs private key',
    sign: (input) => cryptoSign('sha256', Buffer.from(input), pairs.RS256.privateKey).toString('base64url'),
  },
  {
    name: 'stranger RSA key',
    sign: (input) => cryptoSign('sha256', Buffer.from(input), strangerRsa.privateKey).toString('base64url'),
  },
  {
    name: 'es private key',
    sign: (input) =>
      cryptoSign('sha256', Buffer.from(input), {
        key: pairs.ES256.privateKey,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url'),
  },
  {
    name: 'ed private key',
    sign: (input) => cryptoSign(null, Buffer.from(input), pairs.EdDSA.privateKey).toString('base64url'),
  },
  { name: 'empty signature', sign: () => '' },
];

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const anyHeader = fc.record(
  {
    alg: fc.constantFrom<unknown>(
      'HS256',
      'HS384',
      'HS512',
      'RS256',
      'ES256',
      'EdDSA',
      'none',
      'None',
      'hs256',
      'RS512',
      'PS256',
      '',
      null,
      256,
    ),
    kid: optional(fc.constantFrom<unknown>('hs-a', 'hs-b', 'rs', 'es', 'ed', 'nope', '', 5, null, ['hs-a'])),
    typ: optional(fc.constantFrom<unknown>('JWT', 'at+jwt', 'jwt', 7)),
    crit: optional(fc.constantFrom<unknown>(['exp'], ['b64'], [], 'x')),
    b64: optional(fc.boolean()),
    jku: optional(fc.constant('https://attacker.example/jwks.json')),
    jwk: optional(fc.constant({ kty: 'oct', k: b64(SECRET_UNKNOWN) })),
  },
  { requiredKeys: ['alg'] },
);
/** Headers a configured key would accept, so that acceptance (the side being checked) happens often. */
const plausibleHeader = fc
  .tuple(fc.constantFrom(...CONFIGURED), fc.boolean(), fc.boolean())
  .map(([key, withKid, withTyp]) => ({
    alg: key.algorithm as unknown,
    ...(withKid ? { kid: key.kid as unknown } : {}),
    ...(withTyp ? { typ: 'JWT' as unknown } : {}),
  })) as fc.Arbitrary<{ alg: unknown; kid?: unknown; crit?: unknown; b64?: boolean }>;
const header = fc.oneof(anyHeader, plausibleHeader);

describe('JWT verifier with a mixed key set (property)', () => {
  const verifier = createVerifier(mixedSettings, 'access');

  it('accepts only an allowed algorithm signed by the configured key its header selects, as jose does', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(header, fc.constantFrom(...SIGNERS), async (h, signer) => {
        const input = `${b64(JSON.stringify(h))}.${b64(JSON.stringify(accessClaims()))}`;
        const token = `${input}.${signer.sign(input, h.alg)}`;
        const result = verifier.verify(token);
        if (isJwtFailure(result)) return;
        accepted++;
        assert.equal(h.crit, undefined, 'crit is never understood');
        assert.notEqual(h.b64, false, 'unencoded payloads are refused');
        const candidates = CONFIGURED.filter(
          (k) => k.algorithm === h.alg && (h.kid === undefined || h.kid === k.kid),
        );
        assert.ok(
          candidates.length > 0,
          `no configured key for ${JSON.stringify(h)} (signed by ${signer.name})`,
        );
        let joseAgrees = false;
        for (const key of candidates) joseAgrees ||= await joseAccepts(token, key.joseKey, h.alg as string);
        assert.ok(joseAgrees, `jose refuses ${JSON.stringify(h)} signed by ${signer.name}`);
      }),
      { numRuns: 1500 },
    );
    assert.ok(accepted > 20, `only ${accepted} tokens were accepted, the property was barely exercised`);
  });
});

// ---- HS/RS confusion ---------------------------------------------------------------------------------------

describe('HS/RS confusion (property)', () => {
  const publicKey = pairs.RS256.publicKey;
  const pem = pairs.RS256.publicKeyPem;
  const encodings: readonly (string | Buffer)[] = [
    pem,
    pem.trim(),
    pem.replace(/\n/g, '\r\n'),
    pem.replace(/\n/g, ''),
    publicKey.export({ format: 'der', type: 'spki' }),
    publicKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
    publicKey.export({ format: 'der', type: 'pkcs1' }),
    JSON.stringify(publicKey.export({ format: 'jwk' })),
    (publicKey.export({ format: 'jwk' }) as { n: string }).n,
    Buffer.from((publicKey.export({ format: 'jwk' }) as { n: string }).n, 'base64url'),
  ];
  const rsOnly = createVerifier(
    hsSettings({ signingKey: { algorithm: 'RS256', privateKeyPem: pairs.RS256.privateKeyPem } }),
    null,
  );
  const rsAndHs = createVerifier(
    hsSettings({
      signingKey: { algorithm: 'RS256', kid: 'rs', privateKeyPem: pairs.RS256.privateKeyPem },
      verifyingKeys: [{ algorithm: 'HS256', kid: 'hs', secret: SECRET }],
    }),
    null,
  );

  it('a token MACed with the RSA public key in any encoding is never accepted', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...encodings),
        fc.constantFrom('HS256', 'HS384', 'HS512'),
        fc.constantFrom(undefined, 'rs', 'hs'),
        (secret, alg, kid) => {
          const h = kid === undefined ? { alg, typ: 'JWT' } : { alg, kid, typ: 'JWT' };
          const input = `${b64(JSON.stringify(h))}.${b64(JSON.stringify(accessClaims()))}`;
          const token = `${input}.${createHmac(HMAC_HASH[alg]!, secret).update(input).digest('base64url')}`;
          assert.ok(isJwtFailure(rsOnly.verify(token)));
          assert.ok(isJwtFailure(rsAndHs.verify(token)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---- arbitrary payloads ------------------------------------------------------------------------------------

const CLAIM_NAMES = [
  'token_type',
  'exp',
  'iat',
  'nbf',
  'jti',
  'user_id',
  'aud',
  'iss',
  'ok',
  '__proto__',
  'constructor',
  'x',
];
const claimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>('access', 'refresh', NOW + 300, NOW - 1, NOW + 0.5, 1e308, -0, 'abc', '', [], {}),
);
const payloadObject = fc.dictionary(
  fc.oneof(fc.constantFrom(...CLAIM_NAMES), fc.string({ maxLength: 4 })),
  claimValue,
  { maxKeys: 8 },
);
const payloadText = fc.oneof(
  payloadObject.map((o) => JSON.stringify({ ...accessClaims(), ...o })),
  payloadObject.map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    ' {} ',
    '\ufeff{}',
    '{"exp":1,"exp":9999999999}',
    `{"token_type":"access","exp":${NOW + 300},"jti":"a"}`,
  ),
);

describe('JWT verifier on arbitrary payloads (property)', () => {
  const settings = hsSettings();
  const key = createSecretKey(Buffer.from(SECRET, 'utf8'));

  it('never throws; whatever it accepts jose accepts, with the claims simplejwt requires', async () => {
    let accepted = 0;
    const verifiers = [
      createVerifier(settings, 'access'),
      createVerifier({ ...settings, cacheSize: 8 }, null),
    ];
    await fc.assert(
      fc.asyncProperty(payloadText, fc.constantFrom(0, 1), async (text, which) => {
        const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(text)}`;
        const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
        const result = verifiers[which]!.verify(token);
        if (isJwtFailure(result)) return;
        accepted++;
        if (!(await joseAccepts(token, key, 'HS256'))) {
          // One documented difference: PyJWT compares int(nbf) with the whole-second clock, so a fractional nbf
          // is valid during its own second; jose compares the fraction. Anything else jose refuses is a failure.
          const nbf = result['nbf'];
          assert.ok(typeof nbf === 'number' && !Number.isInteger(nbf), `jose refuses ${text}`);
          const truncated = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify({ ...result, nbf: Math.trunc(nbf) }))}`;
          assert.ok(
            await joseAccepts(
              `${truncated}.${createHmac('sha256', SECRET).update(truncated).digest('base64url')}`,
              key,
              'HS256',
            ),
            `jose refuses ${text}`,
          );
        }
        assert.ok(typeof result.exp === 'number' && result.exp > NOW, 'not expired');
        // simplejwt asks only that the claim be there; Gatehouse keeps ids that are text or a number.
        assert.ok(
          typeof result.jti === 'string' || (typeof result.jti === 'number' && Number.isFinite(result.jti)),
          'has a jti',
        );
        assert.ok(result['token_type'] !== undefined, 'has a type');
        if (which === 0) assert.equal(result['token_type'], 'access');
        assert.equal(result.ok, undefined);
      }),
      { numRuns: 1500 },
    );
    assert.ok(accepted > 20, `only ${accepted} payloads were accepted`);
  });

  it('refuses a payload that is not valid UTF-8, as PyJWT does', () => {
    const verifier = createVerifier(settings, 'access');
    fc.assert(
      fc.property(
        fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]),
        (bad) => {
          const payload = Buffer.concat([
            Buffer.from(`{"token_type":"access","exp":${NOW + 300},"iat":${NOW},"jti":"`),
            Buffer.from(bad),
            Buffer.from('","user_id":1}'),
          ]);
          const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(payload)}`;
          const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
          assert.ok(isJwtFailure(verifier.verify(token)));
        },
      ),
      { numRuns: 20 },
    );
  });
});
