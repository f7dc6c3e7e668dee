/**
 * Embeds a Gatehouse server in the calling process: one worker, no supervisor, throttle counters in process
 * memory. For tests, scripts and applications that run under their own process manager; a clustered deployment
 * runs `gatehouse serve` with the `appModule` setting instead (every worker process loads the module).
 *
 * Settings come from the same sources as `gatehouse serve` — GATEHOUSE_* variables, an optional config file —
 * plus `settings` given here, which rank like the config file (the environment overrides them).
 */
import type { AppServices } from '../api/services.js';
import { inProcessSharedState } from '../cluster/shared-state.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { RouteDefinition } from '../pipeline/define-route.js';
import type { AuthenticationScheme } from '../pipeline/types.js';
import { openStores } from '../store/open-stores.js';
import { buildApp } from './build-app.js';
import { resolveSigningKey } from './signing-key.js';

export interface StartServerOptions {
  /** Settings by key, as a config file holds them: { port: 0, throttleRates: { anon: '10/min' }, … }. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** The environment to read GATEHOUSE_* variables from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The application's routes, next to the built-in ones. */
  readonly routes?: (services: AppServices) => RouteDefinition[];
  /** Custom authentication schemes, usable by name in routes and in `authenticationSchemes`. */
  readonly schemes?: (services: AppServices) => AuthenticationScheme[];
  readonly logger?: Logger;
}

export interface RunningServer {
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  readonly services: AppServices;
  /** Stops accepting, lets in-flight requests finish (shutdownGrace), closes the stores. */
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = resolveSigningKey(
    loadConfig({ env: options.env ?? process.env, settings: options.settings ?? {} }),
  ).config;
  const logger = options.logger ?? createLogger(config.logLevel, { role: 'embedded' });
  const { stores } = await openStores(config);
  const shared = inProcessSharedState(config);
  const app = await buildApp({
    config,
    stores,
    shared,
    logger,
    requestIdPrefix: `${process.pid.toString(36)}-`,
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    ...(options.schemes === undefined ? {} : { schemes: options.schemes }),
  });
  let port: number;
  try {
    port = await app.server.listen(config.host, config.port);
  } catch (error) {
    await app.close();
    shared.throttleStore.close();
    throw error;
  }
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    port,
    url: `http://${host}:${port}`,
    services: app.services,
    async close() {
      await app.server.stop(config.shutdownGraceMs);
      await app.close();
      shared.throttleStore.close();
    },
  };
}
