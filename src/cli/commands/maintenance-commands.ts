/** `gatehouse migrate`, `gatehouse flush-expired-tokens` and `gatehouse config`. */
import { ConfigError } from '../../config/load-config.js';
import { SETTINGS } from '../../config/settings.js';
import { openStores } from '../../store/open-stores.js';
import { configFromCli, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../cli-config.js';
import type { Command, CommandGroup } from '../command.js';
import { withStores } from '../with-stores.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create or upgrade the database schema (the server also does this at start-up).',
  usage: '[--data-dir DIR] [--config FILE]',
  help: STORE_OPTIONS_HELP,
  options: STORE_OPTIONS,
  async run(parsed) {
    const config = configFromCli(parsed);
    const { stores, migration, description } = await openStores(config);
    await stores.close();
    const applied = migration.applied.map((m) => `  ${m.version}: ${m.description}`);
    process.stdout.write(
      applied.length === 0
        ? `${description}: schema is up to date (version ${migration.to})\n`
        : `${description}: migrated from version ${migration.from} to ${migration.to}\n${applied.join('\n')}\n`,
    );
  },
};

export const flushExpiredTokensCommand: Command = {
  name: 'flush-expired-tokens',
  summary:
    'Delete outstanding and blacklisted token rows whose tokens have expired (simplejwt flushexpiredtokens).',
  usage: '[--data-dir DIR] [--config FILE]',
  help: STORE_OPTIONS_HELP,
  options: STORE_OPTIONS,
  run: (parsed) =>
    withStores(parsed, async (stores) => {
      const removed = await stores.tokens.pruneExpired(Math.floor(Date.now() / 1000));
      process.stdout.write(`removed ${removed} expired token row(s)\n`);
    }),
};

const configCheck: Command = {
  name: 'check',
  summary:
    'Validate the configuration (flags, GATEHOUSE_* environment, config file) and print it, secrets hidden.',
  usage: '[--data-dir DIR] [--config FILE]',
  help: STORE_OPTIONS_HELP,
  options: STORE_OPTIONS,
  async run(parsed) {
    try {
      const config = configFromCli(parsed);
      const shown = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
      const tokens = shown['tokens'] as Record<string, unknown>;
      tokens['signingKey'] = config.tokens.signingKey === null ? null : '<set>';
      tokens['verifyingKeys'] = config.tokens.verifyingKeys.map((k) => ({
        algorithm: k.algorithm,
        kid: k.kid ?? null,
      }));
      for (const key of ['databaseUrl', 'redisUrl']) if (shown[key] !== null) shown[key] = '<set>';
      process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
      return 0;
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(error.message + '\n');
        return 1;
      }
      throw error;
    }
  },
};

const configSettings: Command = {
  name: 'settings',
  summary: 'List every setting: config-file key, environment variable, default and meaning.',
  usage: '',
  async run() {
    for (const s of SETTINGS) {
      const shown = s.secret && s.default !== null ? '<secret>' : JSON.stringify(s.default);
      process.stdout.write(`${s.key}\n  env ${s.env}   default ${shown}\n  ${s.help}\n`);
    }
  },
};

export const configCommands: CommandGroup = {
  name: 'config',
  summary:
    'Inspect configuration. Precedence: command-line flags > GATEHOUSE_* environment > config file > defaults.',
  commands: [configCheck, configSettings],
};
