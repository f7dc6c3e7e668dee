/** The `gatehouse` command. */
import { ConfigError } from '../config/load-config.js';
import { dispatch, type CommandGroup } from './command.js';
import { apikeyCommands } from './commands/apikey-commands.js';
import {
  configCommands,
  flushExpiredTokensCommand,
  migrateCommand,
} from './commands/maintenance-commands.js';
import { serveCommand } from './commands/serve-command.js';
import { statusCommand } from './commands/status-command.js';
import { userCommands } from './commands/user-commands.js';
import { CliError } from './read-password.js';

export const ROOT: CommandGroup = {
  name: 'gatehouse',
  summary:
    'Gatehouse: authentication, permissions and throttling for HTTP APIs, wire-compatible with DRF + simplejwt.',
  commands: [
    serveCommand,
    statusCommand,
    migrateCommand,
    userCommands,
    apikeyCommands,
    flushExpiredTokensCommand,
    configCommands,
  ],
};

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch('gatehouse', ROOT, argv);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
