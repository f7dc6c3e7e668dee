/**
 * The real application of one worker (route table, JWT scheme, user cache, throttle store over process memory
 * with the shared-memory store's code, SQLite in a temporary directory) built in this process for the
 * micro-benchmarks, with the same throttle settings as `make bench` and one user to authenticate as.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App, type SharedState } from '../../src/app/build-app.js';
import { resolveSigningKey } from '../../src/app/signing-key.js';
import { inProcessSharedState } from '../../src/cluster/shared-state.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { openStores } from '../../src/store/open-stores.js';
import { LOW_LIMIT_PER_MINUTE, NEVER_REACHED_PER_MINUTE } from '../peers/peer-contract.js';

export interface BenchApp {
  readonly app: App;
  readonly shared: SharedState;
  readonly userId: number;
  /** A fresh access token of the bench user. */
  accessToken(): Promise<string>;
  close(): Promise<void>;
}

export async function buildBenchApp(env: Readonly<Record<string, string>> = {}): Promise<BenchApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-micro-'));
  const config = resolveSigningKey(
    loadConfig({
      env: {
        GATEHOUSE_SIGNING_KEY: randomBytes(32).toString('hex'),
        GATEHOUSE_ACCESS_LOG: 'false',
        GATEHOUSE_LOG_LEVEL: 'silent',
        // The user is created with cheap parameters: no micro-benchmark here verifies a password.
        GATEHOUSE_PASSWORD_MEMORY_COST: '1024',
        GATEHOUSE_PASSWORD_TIME_COST: '1',
        GATEHOUSE_THROTTLE_RATES: `anon=${NEVER_REACHED_PER_MINUTE}/min,user=${NEVER_REACHED_PER_MINUTE}/min,limited=${LOW_LIMIT_PER_MINUTE}/min`,
        ...env,
      },
      flags: { dataDir, port: '0' },
    }),
  ).config;
  const { stores } = await openStores(config);
  const shared = inProcessSharedState(config);
  const app = await buildApp({
    config,
    stores,
    shared,
    logger: createLogger('silent'),
    requestIdPrefix: 'micro-',
  });
  const user = await stores.users.create({
    username: 'bench',
    passwordHash: await app.services.passwords.hash(randomBytes(12).toString('base64url')),
    isActive: true,
    isStaff: false,
    isSuperuser: false,
  });
  return {
    app,
    shared,
    userId: user.id,
    accessToken: async () => (await app.services.tokens.obtainPair(user.id)).access,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
