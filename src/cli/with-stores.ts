/**
 * What the store-backed CLI commands share: the stores the configuration names (--data-dir / --config), open
 * for the duration of one command and closed however it ends, and a user looked up by name.
 */
import type { Config } from '../config/config-types.js';
import { openStores } from '../store/open-stores.js';
import type { Stores, UserRecord } from '../store/types.js';
import { configFromCli } from './cli-config.js';
import type { ParsedCommand } from './command.js';
import { CliError } from './read-password.js';

export async function withStores<T>(
  parsed: ParsedCommand,
  work: (stores: Stores, config: Config) => Promise<T>,
): Promise<T> {
  const config = configFromCli(parsed);
  const { stores } = await openStores(config);
  try {
    return await work(stores, config);
  } finally {
    await stores.close();
  }
}

/** The user named `username`, or a CliError naming the missing user. */
export async function requireUser(stores: Stores, username: string): Promise<UserRecord> {
  const user = await stores.users.findByUsername(username);
  if (user === null) throw new CliError(`no user named "${username}"`);
  return user;
}
