/**
 * Loads the application module named by the `appModule` setting: an ES module built on Gatehouse's public API
 * (src/index.ts) that exports
 *   routes(services)   → RouteDefinition[]        its routes (defineRoute), compiled with the built-in ones;
 *   schemes(services)  → AuthenticationScheme[]   optional: custom schemes, usable by name in routes and in
 *                                                 the `authenticationSchemes` setting.
 * Every worker process imports it for itself (workers share no JavaScript state), so `routes` runs once per
 * worker at start-up. A module that cannot be loaded or has the wrong shape stops the start-up with a message
 * naming the module.
 */
import { pathToFileURL } from 'node:url';
import type { AppServices } from '../api/services.js';
import type { RouteDefinition } from '../pipeline/define-route.js';
import type { AuthenticationScheme } from '../pipeline/types.js';

/** What an application module exports (all optional, but a module without `routes` serves nothing of its own). */
export interface GatehouseApplication {
  routes?(services: AppServices): RouteDefinition[];
  schemes?(services: AppServices): AuthenticationScheme[];
}

export class ApplicationModuleError extends Error {}

export async function loadApplication(path: string | null): Promise<GatehouseApplication> {
  if (path === null) return {};
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ApplicationModuleError(
      `appModule ${path}: cannot be loaded (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const application: GatehouseApplication = {};
  for (const name of ['routes', 'schemes'] as const) {
    const value = module[name];
    if (value === undefined) continue;
    if (typeof value !== 'function')
      throw new ApplicationModuleError(
        `appModule ${path}: export "${name}" must be a function of the services`,
      );
    application[name] = value as never;
  }
  if (application.routes === undefined && application.schemes === undefined) {
    throw new ApplicationModuleError(
      `appModule ${path}: exports neither routes(services) nor schemes(services)`,
    );
  }
  return application;
}

/** Calls an application's factory and checks that it answered an array, naming the module when it did not. */
export function callFactory<T>(
  what: string,
  factory: ((services: AppServices) => T[]) | undefined,
  services: AppServices,
): T[] {
  if (factory === undefined) return [];
  const result = factory(services);
  if (!Array.isArray(result)) throw new ApplicationModuleError(`${what} must return an array`);
  return result;
}
