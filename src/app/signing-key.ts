/**
 * Development convenience: when no signing key is configured, a random HS key is generated once into the data
 * directory (mode 0600) and reused, with a warning that production must configure its own. Tokens then survive
 * restarts, and every worker of the cluster signs with the same key.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config-types.js';

export const GENERATED_KEY_FILE = 'signing.key';

export interface ResolvedKey {
  readonly config: Config;
  /** Set when the key came from (or was written to) the data directory: the caller warns. */
  readonly generatedKeyPath: string | null;
  readonly created: boolean;
}

export function resolveSigningKey(config: Config): ResolvedKey {
  if (config.tokens.signingKey !== null) return { config, generatedKeyPath: null, created: false };
  const path = join(config.dataDir, GENERATED_KEY_FILE);
  let secret: string;
  let created = false;
  try {
    secret = readFileSync(path, 'utf8').trim();
    // Someone loosened the file's mode: put it back, the key is a secret.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    secret = randomBytes(48).toString('base64url');
    // 'wx': never overwrite a key another process created a moment ago.
    try {
      writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
      created = true;
    } catch {
      secret = readFileSync(path, 'utf8').trim();
    }
  }
  const tokens = { ...config.tokens, signingKey: { algorithm: config.tokens.algorithm, secret } };
  return {
    config: Object.freeze({ ...config, tokens: Object.freeze(tokens) }),
    generatedKeyPath: path,
    created,
  };
}
