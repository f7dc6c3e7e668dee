/**
 * A keyed 64-bit hash of throttle keys: HalfSipHash-2-4 (Aumasson & Bernstein; reference implementation
 * github.com/veorq/SipHash) with a 64-bit output, over the key's UTF-16 code units (each unit as two
 * little-endian bytes, so equal strings hash equally in every process and the encoding is injective).
 *
 * Why keyed: throttle keys contain client addresses, which a client can choose among many (an IPv6 /64). With a
 * fixed hash an attacker could precompute addresses that fall into one table group and evict other clients'
 * counters. The 64-bit key (two random 32-bit words) is drawn when the shared region is created and stored in
 * its header, so all workers agree and nobody outside can predict placement.
 *
 * The two 32-bit halves of the output are used as `a` (which picks the table group) and `b`; the table stores
 * both and compares both, so two distinct keys share a counter only when all 64 bits agree (probability 2^-64
 * per pair, docs/throttling.md).
 */
export class KeyHasher {
  /** Low 32 bits of the last hash (the first four output bytes, little-endian). */
  a = 0;
  /** High 32 bits of the last hash. */
  b = 0;

  constructor(
    private readonly k0: number,
    private readonly k1: number,
  ) {}

  /** Hashes `key` into `this.a` and `this.b` (fields instead of a returned pair: no allocation per request). */
  hash(key: string): void {
    const units = key.length;
    let v0 = this.k0 | 0;
    let v1 = (this.k1 ^ 0xee) | 0; // ^ 0xee selects the 64-bit output variant
    let v2 = (0x6c796765 ^ this.k0) | 0;
    let v3 = (0x74656462 ^ this.k1) | 0;
    const fullWords = units >>> 1;
    for (let w = 0; w < fullWords; w++) {
      const m = key.charCodeAt(2 * w) | (key.charCodeAt(2 * w + 1) << 16);
      v3 ^= m;
      // prettier-ignore
      for (let r = 0; r < 2; r++) {
        v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
        v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
        v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
        v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
      }
      v0 ^= m;
    }
    // Last block: the byte length in the top byte, the 0 or 2 remaining bytes below it.
    const tail = (units & 1) === 1 ? key.charCodeAt(units - 1) : 0;
    const last = (((units * 2) & 0xff) << 24) | tail;
    v3 ^= last;
    // prettier-ignore
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    }
    v0 ^= last;
    v2 ^= 0xee;
    // prettier-ignore
    for (let r = 0; r < 4; r++) {
      v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    }
    this.a = v1 ^ v3;
    v1 ^= 0xdd;
    // prettier-ignore
    for (let r = 0; r < 4; r++) {
      v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    }
    this.b = v1 ^ v3;
  }
}
