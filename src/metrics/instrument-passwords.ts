/**
 * Password-hashing timings: `gatehouse_password_hash_seconds{operation}` for hashing (user creation, rehash on
 * login), verification (every login) and the dummy verification that makes an unknown username cost as much
 * as a wrong password. A rising verify time shows the argon2 pool saturating before logins time out.
 */
import type { Registry } from 'prom-client';
import type { PasswordHasher } from '../auth/passwords/index.js';
import { PASSWORD_SECONDS_BUCKETS, SlotHistogram } from './slot-metrics.js';

const HASH = 0;
const VERIFY = 1;
const VERIFY_DUMMY = 2;

export function instrumentPasswords(hasher: PasswordHasher, registry: Registry): PasswordHasher {
  const histogram = new SlotHistogram({
    name: 'gatehouse_password_hash_seconds',
    help: 'Duration of password hashing and verification (argon2id, or PBKDF2 for imported Django hashes).',
    buckets: PASSWORD_SECONDS_BUCKETS,
    slots: [{ operation: 'hash' }, { operation: 'verify' }, { operation: 'verify_dummy' }],
    registry,
  });
  const timed = async <T>(slot: number, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      histogram.observe(slot, (performance.now() - started) / 1000);
    }
  };
  return Object.freeze({
    hash: (password: string) => timed(HASH, () => hasher.hash(password)),
    verify: (encoded: string, password: string) => timed(VERIFY, () => hasher.verify(encoded, password)),
    needsRehash: (encoded: string) => hasher.needsRehash(encoded),
    verifyDummy: (password: string) => timed(VERIFY_DUMMY, () => hasher.verifyDummy(password)),
  });
}
