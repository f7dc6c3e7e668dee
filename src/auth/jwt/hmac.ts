/**
 * HMAC tags (RFC 2104) in base64url for HS256/384/512, computed as fast as Node allows.
 *
 * Node has no one-shot HMAC; createHmac() builds a stream object and runs the key schedule on every call,
 * which costs more than hashing a whole token. RFC 2104 defines HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad)
 * || m)), where K' is the key padded to the hash block size (hashed first if longer). With the padded key
 * blocks computed once per key, a tag is two calls of the one-shot crypto.hash(): the inner hash over the
 * ipad block text + message (both ASCII, so the UTF-8 that crypto.hash applies to strings is byte-for-byte),
 * the outer one over a per-key buffer holding the opad block followed by the inner digest. Measured with
 * bench/micro/jwt-verify.ts on Node 20: about twice the rate of createHmac(..., keyObject).
 *
 * When a padded key byte XOR 0x36 is not ASCII (a non-ASCII secret, or a secret longer than the block, which
 * is hashed to random bytes), the ipad block cannot travel as a string, and createHmac() with a KeyObject
 * made once is used instead. The unit tests check both paths against createHmac() for many key lengths.
 *
 * The padded key blocks live in the JS heap (a KeyObject keeps its key in native memory), so a heap dump
 * shows them - as it shows the secret itself, which arrives from configuration as a JS string anyway.
 */
import { createHash, createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';

export type HmacHash = 'sha256' | 'sha384' | 'sha512';

const BLOCK_BYTES: Readonly<Record<HmacHash, number>> = { sha256: 64, sha384: 128, sha512: 128 };
const DIGEST_BYTES: Readonly<Record<HmacHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

export interface HmacTagger {
  /** Length of every tag in base64url characters (43, 64 or 86). */
  readonly tagLength: number;
  /** The HMAC of `ascii` (a string of ASCII characters only) in canonical unpadded base64url. */
  tag(ascii: string): string;
}

export function createHmacTagger(hashName: HmacHash, secret: Buffer): HmacTagger {
  const blockBytes = BLOCK_BYTES[hashName];
  const key = secret.length > blockBytes ? createHash(hashName).update(secret).digest() : secret;
  const padded = Buffer.alloc(blockBytes);
  key.copy(padded);
  const ipad = Buffer.from(padded.map((byte) => byte ^ 0x36));
  const opad = Buffer.from(padded.map((byte) => byte ^ 0x5c));
  const asciiIpad = ipad.every((byte) => byte < 0x80);
  return asciiIpad ? new TwoHashHmac(hashName, ipad, opad) : new NodeHmac(hashName, secret);
}

/** RFC 2104 over crypto.hash() with the padded key blocks precomputed. */
class TwoHashHmac implements HmacTagger {
  readonly tagLength: number;
  private readonly innerPrefix: string;
  /** opad block, then room for the inner digest; written in place on every call (synchronous, so safe). */
  private readonly outer: Buffer;

  constructor(
    private readonly hashName: HmacHash,
    ipad: Buffer,
    opad: Buffer,
  ) {
    this.tagLength = Math.ceil((DIGEST_BYTES[hashName] * 4) / 3);
    this.innerPrefix = ipad.toString('latin1');
    this.outer = Buffer.alloc(opad.length + DIGEST_BYTES[hashName]);
    opad.copy(this.outer);
  }

  tag(ascii: string): string {
    // 'binary' (latin1) keeps the digest as a string of byte values: no Buffer is allocated for it.
    const inner = hash(this.hashName, this.innerPrefix + ascii, 'binary');
    this.outer.write(inner, this.outer.length - inner.length, 'latin1');
    return hash(this.hashName, this.outer, 'base64url');
  }
}

/** Node's HMAC with a KeyObject prepared once. */
class NodeHmac implements HmacTagger {
  readonly tagLength: number;
  private readonly key: KeyObject;

  constructor(
    private readonly hashName: HmacHash,
    secret: Buffer,
  ) {
    this.tagLength = Math.ceil((DIGEST_BYTES[hashName] * 4) / 3);
    this.key = createSecretKey(secret);
  }

  tag(ascii: string): string {
    return createHmac(this.hashName, this.key).update(ascii, 'latin1').digest('base64url');
  }
}
