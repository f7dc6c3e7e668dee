/**
 * `gatehouse apikey …`: create, list and revoke API keys (DRF TokenAuthentication keys; the `apikey` scheme).
 * A key is printed once, at creation: only its SHA-256 and a short prefix are stored. Revoking takes effect in
 * every running worker within about 100 ms (their key caches follow the database's change counter).
 */
import { issueApiKey } from '../../auth/api-keys/api-key.js';
import { STORE_OPTION_LINES, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../cli-config.js';
import type { Command, CommandGroup } from '../command.js';
import { CliError } from '../read-password.js';
import { table } from '../table.js';
import { requireUser, withStores } from '../with-stores.js';

const create: Command = {
  name: 'create',
  summary: 'Create an API key for a user and print it (once: it cannot be shown again).',
  usage: 'USERNAME [--name NAME] [--data-dir DIR] [--config FILE]',
  help: [
    'Options:',
    '  --name NAME      what the key is for (shown by "apikey list")',
    STORE_OPTION_LINES,
    '',
    'The key is printed alone on standard output, so scripts can capture it:',
    '  KEY=$(gatehouse apikey create alice --name ci)',
    'Clients send it as "Authorization: Token <key>" (the keyword is the apiKeyKeyword setting)',
    "to routes that list the apikey scheme (authenticationSchemes, or a route's own list).",
  ].join('\n'),
  options: { ...STORE_OPTIONS, name: { type: 'string' } },
  minPositionals: 1,
  maxPositionals: 1,
  run: (parsed) =>
    withStores(parsed, async (stores) => {
      const user = await requireUser(stores, parsed.positionals[0]!);
      const name =
        typeof parsed.values['name'] === 'string' && parsed.values['name'] !== ''
          ? parsed.values['name']
          : null;
      if (name !== null && name.length > 200) throw new CliError('--name has at most 200 characters');
      const { key, record } = await issueApiKey(stores.apiKeys, user.id, name);
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `created API key ${record.id} (${record.prefix}…) for ${user.username}; store it now, it is not shown again\n`,
      );
    }),
};

const list: Command = {
  name: 'list',
  summary: 'List API keys (id, prefix, owner, name, dates); never the keys themselves.',
  usage: '[--user USERNAME] [--json] [--data-dir DIR] [--config FILE]',
  help: [
    'Options:',
    '  --user USERNAME  only the keys of this user',
    '  --json           one JSON object per line',
    STORE_OPTION_LINES,
  ].join('\n'),
  options: { ...STORE_OPTIONS, user: { type: 'string' }, json: { type: 'boolean' } },
  run: (parsed) =>
    withStores(parsed, async (stores) => {
      const userId =
        typeof parsed.values['user'] === 'string'
          ? (await requireUser(stores, parsed.values['user'])).id
          : null;
      const keys = await stores.apiKeys.list(userId);
      const names = new Map<number, string>();
      for (const key of keys) {
        if (!names.has(key.userId))
          names.set(key.userId, (await stores.users.findById(key.userId))?.username ?? `#${key.userId}`);
      }
      if (parsed.values['json'] === true) {
        for (const k of keys) {
          process.stdout.write(
            JSON.stringify({
              id: k.id,
              prefix: k.prefix,
              user: names.get(k.userId),
              name: k.name,
              created_at: k.createdAt,
              revoked_at: k.revokedAt,
            }) + '\n',
          );
        }
        return;
      }
      const rows = [['ID', 'PREFIX', 'USER', 'NAME', 'CREATED', 'REVOKED']];
      for (const k of keys)
        rows.push([
          String(k.id),
          k.prefix + '…',
          names.get(k.userId)!,
          k.name ?? '-',
          k.createdAt,
          k.revokedAt ?? '-',
        ]);
      process.stdout.write(table(rows));
    }),
};

const revoke: Command = {
  name: 'revoke',
  summary: 'Revoke an API key by id; running workers refuse it within about 100 ms.',
  usage: 'ID [--data-dir DIR] [--config FILE]',
  help: STORE_OPTIONS_HELP,
  options: STORE_OPTIONS,
  minPositionals: 1,
  maxPositionals: 1,
  run: (parsed) =>
    withStores(parsed, async (stores) => {
      const text = parsed.positionals[0]!;
      if (!/^\d{1,15}$/.test(text))
        throw new CliError(`"${text}" is not a key id (see "gatehouse apikey list")`);
      const revoked = await stores.apiKeys.revoke(Number(text), new Date().toISOString());
      if (!revoked) throw new CliError(`no live API key with id ${text}`);
      process.stdout.write(`API key ${text} revoked\n`);
    }),
};

export const apikeyCommands: CommandGroup = {
  name: 'apikey',
  summary: 'Manage API keys (Authorization: Token <key>).',
  commands: [create, list, revoke],
};
