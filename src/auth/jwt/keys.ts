/**
 * The configured keys, parsed once: one signing key plus the keys still accepted for verification, each
 * bound to exactly one algorithm. Binding a key to its algorithm is what makes algorithm confusion
 * impossible (RFC 8725 §2.1, §3.1): an HMAC secret is never used to check an RS/ES/EdDSA signature, and an
 * RSA public key is never used as an HMAC secret, whatever the token header says.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  AsymmetricJwsKey,
  familyOf,
  HmacJwsKey,
  isHmacAlgorithm,
  JWT_ALGORITHMS,
  type JwsKey,
} from './algorithms.js';
import type { JwtKeyInput } from './types.js';

export interface KeySet {
  readonly signing: JwsKey;
  /** Every accepted key, the signing key first (it is tried first when a token names no kid). */
  readonly verifying: readonly JwsKey[];
}

/** PyJWT's HMACAlgorithm.prepare_key refuses secrets that are really asymmetric keys or certificates. */
const LOOKS_LIKE_PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const LOOKS_LIKE_SSH_KEY = /^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)) /;

/** RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms." */
const MIN_RSA_BITS = 2048;

type Role = 'signing' | 'verifying';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Builds the key set, adding every problem found to `problems` (messages name the field and never contain
 * key material). Returns null when any key is unusable.
 */
export function buildKeySet(
  signingInput: unknown,
  verifyingInput: unknown,
  problems: string[],
): KeySet | null {
  const before = problems.length;
  const signing = prepareKey(signingInput, 'signingKey', 'signing', problems);
  const verifying: JwsKey[] = signing === null ? [] : [signing];
  if (!Array.isArray(verifyingInput)) problems.push('verifyingKeys: expected an array of keys');
  else {
    verifyingInput.forEach((input: unknown, i) => {
      const key = prepareKey(input, `verifyingKeys[${i}]`, 'verifying', problems);
      if (key !== null) verifying.push(key);
    });
  }
  checkKeyIds(verifying, problems);
  if (signing === null || problems.length > before) return null;
  return { signing, verifying };
}

function prepareKey(input: unknown, where: string, role: Role, problems: string[]): JwsKey | null {
  if (!isObject(input)) {
    problems.push(`${where}: expected an object {algorithm, kid?, secret | privateKeyPem | publicKeyPem}`);
    return null;
  }
  const { algorithm, kid } = input as Partial<JwtKeyInput>;
  if (typeof algorithm !== 'string' || !JWT_ALGORITHMS.includes(algorithm)) {
    problems.push(`${where}.algorithm: expected one of ${JWT_ALGORITHMS.join(', ')}`);
    return null;
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    problems.push(`${where}.kid: expected a non-empty string`);
    return null;
  }
  const keyId = kid ?? null;
  return isHmacAlgorithm(algorithm)
    ? prepareHmacKey(input, algorithm, keyId, where, problems)
    : prepareAsymmetricKey(input, algorithm, keyId, where, role, problems);
}

function prepareHmacKey(
  input: Record<string, unknown>,
  algorithm: 'HS256' | 'HS384' | 'HS512',
  kid: string | null,
  where: string,
  problems: string[],
): JwsKey | null {
  const { secret } = input;
  if (input['privateKeyPem'] !== undefined || input['publicKeyPem'] !== undefined) {
    problems.push(`${where}: ${algorithm} takes a secret, not a PEM key`);
    return null;
  }
  if (typeof secret !== 'string' || secret.length === 0) {
    problems.push(`${where}.secret: ${algorithm} needs a non-empty secret`);
    return null;
  }
  if (LOOKS_LIKE_PEM.test(secret) || LOOKS_LIKE_SSH_KEY.test(secret)) {
    problems.push(
      `${where}.secret: looks like an asymmetric key or certificate, which must not be an HMAC secret`,
    );
    return null;
  }
  return new HmacJwsKey(algorithm, kid, Buffer.from(secret, 'utf8'));
}

function prepareAsymmetricKey(
  input: Record<string, unknown>,
  algorithm: 'RS256' | 'ES256' | 'EdDSA',
  kid: string | null,
  where: string,
  role: Role,
  problems: string[],
): JwsKey | null {
  const { secret, privateKeyPem, publicKeyPem } = input;
  if (secret !== undefined) {
    problems.push(`${where}.secret: ${algorithm} takes PEM keys, not a secret`);
    return null;
  }
  let privateKey: KeyObject | null = null;
  let publicKey: KeyObject | null = null;
  if (privateKeyPem !== undefined) {
    privateKey = readPem(privateKeyPem, 'private', `${where}.privateKeyPem`, problems);
    if (privateKey === null) return null;
  } else if (role === 'signing') {
    problems.push(`${where}.privateKeyPem: the signing key needs its private key to sign with`);
    return null;
  }
  if (publicKeyPem !== undefined) {
    publicKey = readPem(publicKeyPem, 'public', `${where}.publicKeyPem`, problems);
    if (publicKey === null) return null;
  }
  if (privateKey !== null) {
    const derived = createPublicKey(privateKey);
    if (publicKey !== null && !publicKey.equals(derived)) {
      problems.push(`${where}.publicKeyPem: does not belong to privateKeyPem`);
      return null;
    }
    publicKey = derived;
  }
  if (publicKey === null) {
    problems.push(`${where}: ${algorithm} needs publicKeyPem (or privateKeyPem)`);
    return null;
  }
  const mismatch = keyTypeProblem(algorithm, publicKey);
  if (mismatch !== null) {
    problems.push(`${where}: ${mismatch}`);
    return null;
  }
  return new AsymmetricJwsKey(algorithm, kid, publicKey, privateKey);
}

function readPem(
  pem: unknown,
  kind: 'private' | 'public',
  where: string,
  problems: string[],
): KeyObject | null {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN ')) {
    problems.push(`${where}: expected a PEM ${kind} key`);
    return null;
  }
  // createPublicKey() also accepts a private key and quietly derives its public half; a private key has no
  // business in a place that is published or shared, so it is refused.
  if (kind === 'public' && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    problems.push(`${where}: holds a private key; give the public key (SPKI PEM)`);
    return null;
  }
  try {
    return kind === 'private'
      ? createPrivateKey({ key: pem, format: 'pem' })
      : createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problems.push(
      `${where}: not a PEM ${kind} key Node can read${typeof code === 'string' ? ` (${code})` : ''}`,
    );
    return null;
  }
}

/** The key must be of the type its algorithm is defined for (RFC 7518 §3.3, §3.4; RFC 8037 §3.1). */
function keyTypeProblem(algorithm: 'RS256' | 'ES256' | 'EdDSA', key: KeyObject): string | null {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (algorithm) {
    case 'RS256':
      if (type !== 'rsa') return `RS256 needs an RSA key, got ${type ?? 'unknown'}`;
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS)
        return `RS256 needs an RSA key of at least ${MIN_RSA_BITS} bits`;
      return null;
    case 'ES256':
      if (type !== 'ec' || details.namedCurve !== 'prime256v1') return 'ES256 needs an EC key on curve P-256';
      return null;
    case 'EdDSA':
      if (type !== 'ed25519') return `EdDSA needs an Ed25519 key, got ${type ?? 'unknown'}`;
      return null;
  }
}

/**
 * A kid names one key, so it must be unique. Several keys of one family without kids would leave a token
 * that names no kid to be tried against all of them, and a configuration that cannot say which key a kid
 * means, so each key of such a family must carry a kid (tokens without a kid are still tried against every
 * key of their algorithm, signing key first).
 */
function checkKeyIds(keys: readonly JwsKey[], problems: string[]): void {
  const seen = new Set<string>();
  const byFamily = new Map<string, JwsKey[]>();
  for (const key of keys) {
    if (key.kid !== null) {
      if (seen.has(key.kid)) problems.push(`kid "${key.kid}" is used by more than one key`);
      seen.add(key.kid);
    }
    const family = familyOf(key.algorithm);
    byFamily.set(family, [...(byFamily.get(family) ?? []), key]);
  }
  for (const [family, members] of byFamily) {
    if (members.length > 1 && members.some((key) => key.kid === null)) {
      problems.push(
        `signingKey / verifyingKeys: ${members.length} ${family} keys are configured; each needs a kid`,
      );
    }
  }
}

/** The public keys as a JWK Set (RFC 7517 §5), for clients that verify tokens themselves; null when none. */
export function jwksOf(keys: KeySet): { keys: object[] } | null {
  const jwks: object[] = [];
  for (const key of keys.verifying) {
    if (key.publicKey === null) continue;
    const jwk = key.publicKey.export({ format: 'jwk' });
    jwks.push({
      ...jwk,
      ...(key.kid === null ? {} : { kid: key.kid }),
      alg: key.algorithm,
      use: 'sig',
    });
  }
  return jwks.length === 0 ? null : { keys: jwks };
}
