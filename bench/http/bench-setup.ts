/**
 * What Gatehouse needs before a run: a data directory with the bench users (created with the real CLI, as an
 * operator would), the environment it is started with, and tokens obtained over HTTP from the running server.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOW_LIMIT_PER_MINUTE, NEVER_REACHED_PER_MINUTE } from '../peers/peer-contract.js';

export const BENCH_USER = 'bench';
export const FLOOD_USER = 'flood';
/** Access tokens outlive a whole run (the default 300 s would expire mid-run); the peers get the same tokens. */
const ACCESS_LIFETIME_SEC = 3600;
const LOGIN_CONCURRENCY = 8;

export interface BenchSetup {
  readonly dataDir: string;
  /** The HS256 secret Gatehouse signs with and Fastify verifies with. */
  readonly secret: string;
  readonly env: NodeJS.ProcessEnv;
  readonly passwords: Readonly<Record<string, string>>;
}

/**
 * Gatehouse's settings for the bench, beyond its defaults:
 *  - the access log is off: the peers log nothing either, and one JSON line per request would be measured too;
 *  - the anonymous and user throttles stay on but with a limit never reached (they still count every request),
 *    the scoped `limited` throttle gets a low limit (the throttled scenario), and the login throttles are set
 *    out of reach so the login scenarios measure password verification, not 429s.
 */
export function gatehouseEnv(secret: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('GATEHOUSE_') && !k.startsWith('BENCH_')) env[k] = v;
  return {
    ...env,
    GATEHOUSE_SIGNING_KEY: secret,
    GATEHOUSE_ACCESS_LOG: 'false',
    GATEHOUSE_THROTTLE_RATES: `anon=${NEVER_REACHED_PER_MINUTE}/min,user=${NEVER_REACHED_PER_MINUTE}/min,limited=${LOW_LIMIT_PER_MINUTE}/min`,
    GATEHOUSE_LOGIN_RATE_BY_USERNAME: `${NEVER_REACHED_PER_MINUTE}/min`,
    GATEHOUSE_LOGIN_RATE_BY_IP: `${NEVER_REACHED_PER_MINUTE}/min`,
    GATEHOUSE_ACCESS_TOKEN_LIFETIME: String(ACCESS_LIFETIME_SEC),
  };
}

/** Creates the data directory and the two users (default argon2id parameters) with `gatehouse user create`. */
export function prepareGatehouse(repoRoot: string): BenchSetup {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const secret = randomBytes(32).toString('hex');
  const env = gatehouseEnv(secret);
  const bin = join(repoRoot, 'bin', 'gatehouse');
  const passwords: Record<string, string> = {};
  execFileSync(process.execPath, [bin, 'migrate', '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const username of [BENCH_USER, FLOOD_USER]) {
    passwords[username] = randomBytes(12).toString('base64url');
    // The password goes through stdin, never argv.
    execFileSync(process.execPath, [bin, 'user', 'create', username, '--data-dir', dataDir], {
      env,
      input: passwords[username],
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  }
  return { dataDir, secret, env, passwords };
}

export interface TokenPair {
  readonly access: string;
  readonly refresh: string;
}

export async function login(baseUrl: string, username: string, password: string): Promise<TokenPair> {
  const response = await fetch(`${baseUrl}/api/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.json()) as Partial<TokenPair>;
  if (response.status !== 200 || typeof body.access !== 'string' || typeof body.refresh !== 'string') {
    throw new Error(`login as ${username} answered ${response.status}, not a token pair`);
  }
  return { access: body.access, refresh: body.refresh };
}

/** `count` fresh refresh tokens (one login each, a few at a time). */
export async function refreshTokens(
  baseUrl: string,
  username: string,
  password: string,
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      tokens.push((await login(baseUrl, username, password)).refresh);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOGIN_CONCURRENCY, count) }, worker));
  return tokens;
}
