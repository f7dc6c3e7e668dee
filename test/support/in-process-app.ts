/**
 * The real application (real uWS, real SQLite file, real pipeline) embedded in the test process, for tests that
 * need a route of their own (a handler that throws, a slow one). Cluster behaviour is tested through
 * startGatehouse() instead.
 */
import { rmSync } from 'node:fs';
import { buildApp, type App } from '../../src/app/build-app.js';
import { resolveSigningKey } from '../../src/app/signing-key.js';
import type { AppServices } from '../../src/api/services.js';
import { inProcessSharedState } from '../../src/cluster/shared-state.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import type { RouteDefinition } from '../../src/pipeline/define-route.js';
import { openStores } from '../../src/store/open-stores.js';
import { FAST_PASSWORD_ENV, TEST_SIGNING_KEY, tempDataDir } from './gatehouse-process.js';

export interface InProcessApp {
  readonly app: App;
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  close(): Promise<void>;
}

export async function startInProcess(
  options: { env?: Record<string, string>; routes?: (services: AppServices) => RouteDefinition[] } = {},
): Promise<InProcessApp> {
  const dataDir = tempDataDir();
  const config = resolveSigningKey(
    loadConfig({
      env: {
        GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY,
        GATEHOUSE_ACCESS_LOG: 'false',
        GATEHOUSE_LOG_LEVEL: 'silent',
        ...FAST_PASSWORD_ENV,
        ...options.env,
      },
      flags: { dataDir, port: '0' },
    }),
  ).config;
  const { stores } = await openStores(config);
  const app = await buildApp({
    config,
    stores,
    shared: inProcessSharedState(config),
    logger: createLogger(config.logLevel),
    requestIdPrefix: 'test-',
    ...(options.routes === undefined ? {} : { routes: options.routes }),
  });
  const port = await app.server.listen('127.0.0.1', 0);
  return {
    app,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async close() {
      await app.server.stop(1000);
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
