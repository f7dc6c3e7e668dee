/** Configuration for CLI commands: the same loader as the server, with the commands' --data-dir / --config. */
import type { Config } from '../config/config-types.js';
import { loadConfig } from '../config/load-config.js';
import type { ParsedCommand } from './command.js';

export const STORE_OPTIONS = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
} as const;

/** The help lines of STORE_OPTIONS, for a command's help that lists its own options above them. */
export const STORE_OPTION_LINES = [
  '  --data-dir DIR   data directory (env GATEHOUSE_DATA_DIR, default ./var)',
  '  --config FILE    JSON config file (env GATEHOUSE_CONFIG)',
].join('\n');

export const STORE_OPTIONS_HELP = ['Options:', STORE_OPTION_LINES].join('\n');

export function configFromCli(parsed: ParsedCommand, extraFlags: Record<string, string> = {}): Config {
  const flags: Record<string, string> = { ...extraFlags };
  if (typeof parsed.values['data-dir'] === 'string') flags['dataDir'] = parsed.values['data-dir'];
  if (typeof parsed.values['config'] === 'string') flags['configFile'] = parsed.values['config'];
  return loadConfig({ flags, env: process.env });
}
