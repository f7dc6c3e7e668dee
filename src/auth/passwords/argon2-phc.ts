import { timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, argon2i, argon2id } from 'argon2';
import { decodeUnpaddedBase64, encodeUnpaddedBase64 } from './strict-base64.js';

/**
 * Argon2 variants accepted for passwords. argon2d is left out: its data-dependent memory access is open to
 * side-channel attacks, so RFC 9106 (§1, §4) keeps it for settings without that threat, not password logins.
 */
export type Argon2Variant = 'argon2id' | 'argon2i';

/** Argon2 version 1.3 (0x13), the current one; version 1.0 (0x10) is what a PHC string without `v=` means. */
export const ARGON2_VERSION_1_3 = 0x13;
const ARGON2_VERSION_1_0 = 0x10;

export interface Argon2Parameters {
  readonly variant: Argon2Variant;
  readonly version: number;
  readonly memoryCostKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export interface Argon2Hash extends Argon2Parameters {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const VARIANT_CODE = { argon2id, argon2i } as const satisfies Record<Argon2Variant, number>;
const VERSION_FIELD = /^v=(16|19)$/;
/** Up to 10 digits, no leading zero: keeps Number() exact and rejects "0", "-1", "1e9". */
const DECIMAL = /^[1-9][0-9]{0,9}$/;

/**
 * Parses the PHC string format (https://github.com/P-H-C/phc-string-format) as argon2 writes it:
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, salt and hash in unpadded standard base64. The three parameters
 * may come in any order (the `argon2` npm package writes m,p,t; libargon2 and argon2-cffi write m,t,p) but must
 * each appear exactly once; `keyid`/`data` parameters are refused. Null when the string is anything else.
 */
export function parseArgon2Phc(phc: string, variants: readonly Argon2Variant[]): Argon2Hash | null {
  const fields = phc.split('$');
  if (fields[0] !== '') return null;
  const variant = fields[1] as Argon2Variant;
  if (!variants.includes(variant)) return null;

  let version = ARGON2_VERSION_1_0;
  let rest: string[];
  const versionMatch = VERSION_FIELD.exec(fields[2] ?? '');
  if (versionMatch !== null) {
    version = Number(versionMatch[1]);
    rest = fields.slice(3);
  } else {
    rest = fields.slice(2);
  }
  if (rest.length !== 3) return null;
  const [paramText, saltText, hashText] = rest as [string, string, string];

  const params = new Map<string, number>();
  for (const pair of paramText.split(',')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (
      eq < 0 ||
      !(name === 'm' || name === 't' || name === 'p') ||
      params.has(name) ||
      !DECIMAL.test(value)
    ) {
      return null;
    }
    params.set(name, Number(value));
  }
  const memoryCostKiB = params.get('m');
  const timeCost = params.get('t');
  const parallelism = params.get('p');
  if (memoryCostKiB === undefined || timeCost === undefined || parallelism === undefined) return null;

  const salt = decodeUnpaddedBase64(saltText);
  const hash = decodeUnpaddedBase64(hashText);
  if (salt === null || hash === null) return null;
  return { variant, version, memoryCostKiB, timeCost, parallelism, salt, hash };
}

/** The canonical PHC string, parameters in libargon2's m,t,p order so any argon2 implementation can read it. */
export function encodeArgon2Phc(h: Argon2Hash): string {
  return (
    `$${h.variant}$v=${h.version}$m=${h.memoryCostKiB},t=${h.timeCost},p=${h.parallelism}` +
    `$${encodeUnpaddedBase64(h.salt)}$${encodeUnpaddedBase64(h.hash)}`
  );
}

/**
 * Runs argon2 on libuv's thread pool (the event loop keeps serving) and returns the raw tag. The password is
 * encoded as UTF-8, as Django and argon2-cffi do.
 */
export function deriveArgon2(
  password: string,
  params: Argon2Parameters,
  salt: Buffer,
  hashLength: number,
): Promise<Buffer> {
  return argon2Hash(password, {
    raw: true,
    type: VARIANT_CODE[params.variant],
    version: params.version,
    memoryCost: params.memoryCostKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    salt,
    hashLength,
  });
}

/** Recomputes the tag with the stored parameters and compares in constant time. */
export async function verifyArgon2(stored: Argon2Hash, password: string): Promise<boolean> {
  const computed = await deriveArgon2(password, stored, stored.salt, stored.hash.length);
  return timingSafeEqual(computed, stored.hash);
}
