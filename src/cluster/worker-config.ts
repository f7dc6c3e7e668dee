/**
 * The worker's configuration is the one the supervisor validated and sends with `start` (so that a crashed
 * worker comes back with the same settings even if the file changed since, and every worker agrees with the
 * supervisor's shared-memory layout). After an upgrade (a reload that forks workers of a new release under an
 * older supervisor) that object may lack settings the new release added: they get this release's defaults.
 * New settings therefore take effect at the next restart, which the upgrade notes say.
 */
import type { Config } from '../config/config-types.js';
import { loadConfig } from '../config/load-config.js';

let defaults: Config | null = null;

export function completeConfig(received: Config): Config {
  defaults ??= loadConfig({ env: {}, flags: {} });
  return fillMissing(defaults, received) as Config;
}

/** `given` with every key it lacks taken from `fallback`, recursively through plain objects (not arrays). */
function fillMissing(fallback: unknown, given: unknown): unknown {
  if (!isPlainObject(fallback) || !isPlainObject(given)) return given;
  const out: Record<string, unknown> = { ...given };
  for (const [key, value] of Object.entries(fallback)) {
    out[key] = Object.hasOwn(given, key) ? fillMissing(value, given[key]) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
