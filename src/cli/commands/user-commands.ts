/** `gatehouse user …`: create, passwd, activate, deactivate, list, import, revoke-tokens. */
import { createPasswordHasher, isPasswordTooLong } from '../../auth/passwords/index.js';
import type { Config } from '../../config/config-types.js';
import { readDjangoUsers, type DjangoExportFormat } from '../../store/import/django-users.js';
import type { Stores, UserRecord } from '../../store/types.js';
import { STORE_OPTION_LINES, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../cli-config.js';
import type { Command, CommandGroup } from '../command.js';
import { CliError, readPassword } from '../read-password.js';
import { table } from '../table.js';
import { requireUser, withStores } from '../with-stores.js';

async function newPasswordHash(config: Config): Promise<string> {
  const password = await readPassword();
  if (password.length === 0) throw new CliError('the password is empty');
  if (isPasswordTooLong(password, config.passwords))
    throw new CliError(`the password is longer than ${config.passwords.maxPasswordLength} characters`);
  const hasher = await createPasswordHasher(config.passwords);
  return hasher.hash(password);
}

const USERNAME = /^[\w.@+-]{1,150}$/;

const create: Command = {
  name: 'create',
  summary: 'Create a user; the password is read from stdin, or prompted for on a terminal.',
  usage: 'USERNAME [--staff] [--superuser] [--inactive] [--data-dir DIR] [--config FILE]',
  help: [
    'Options:',
    '  --staff          may use staff-only routes (is_staff)',
    '  --superuser      is_superuser',
    '  --inactive       create the account disabled',
    STORE_OPTION_LINES,
    '',
    'Example: printf \'%s\' "$PASSWORD" | gatehouse user create alice',
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    staff: { type: 'boolean' },
    superuser: { type: 'boolean' },
    inactive: { type: 'boolean' },
  },
  minPositionals: 1,
  maxPositionals: 1,
  run: (parsed) =>
    withStores(parsed, async (stores, config) => {
      const username = parsed.positionals[0]!;
      // Django's username validator: letters, digits and @/./+/-/_ only, at most 150 characters.
      if (!USERNAME.test(username))
        throw new CliError('a username has 1-150 letters, digits and @ . + - _ only');
      if ((await stores.users.findByUsername(username)) !== null)
        throw new CliError(`a user named "${username}" already exists`);
      const passwordHash = await newPasswordHash(config);
      const user = await stores.users.create({
        username,
        passwordHash,
        isActive: parsed.values['inactive'] !== true,
        isStaff: parsed.values['staff'] === true || parsed.values['superuser'] === true,
        isSuperuser: parsed.values['superuser'] === true,
      });
      process.stdout.write(`created user ${user.username} (id ${user.id})\n`);
    }),
};

/** A command whose only argument names an existing user; `act` changes it and returns the line to print. */
function userCommand(
  name: string,
  summary: string,
  act: (stores: Stores, user: UserRecord, config: Config) => Promise<string>,
): Command {
  return {
    name,
    summary,
    usage: 'USERNAME [--data-dir DIR] [--config FILE]',
    help: STORE_OPTIONS_HELP,
    options: STORE_OPTIONS,
    minPositionals: 1,
    maxPositionals: 1,
    run: (parsed) =>
      withStores(parsed, async (stores, config) => {
        const user = await requireUser(stores, parsed.positionals[0]!);
        process.stdout.write(`${await act(stores, user, config)}\n`);
      }),
  };
}

const passwd = userCommand(
  'passwd',
  "Set a user's password (stdin, or a prompt on a terminal).",
  async (stores, user, config) => {
    await stores.users.setPasswordHash(user.id, await newPasswordHash(config));
    return `password of ${user.username} changed`;
  },
);

const setActive = (active: boolean): Command =>
  userCommand(
    active ? 'activate' : 'deactivate',
    active
      ? 'Allow a user to log in again.'
      : 'Stop a user from logging in; their tokens stop working within 100 ms.',
    async (stores, user) => {
      await stores.users.setActive(user.id, active);
      return `${user.username} ${active ? 'activated' : 'deactivated'}`;
    },
  );

const list: Command = {
  name: 'list',
  summary: 'List users.',
  usage: '[--json] [--data-dir DIR] [--config FILE]',
  help: ['  --json           one JSON object per line', STORE_OPTIONS_HELP].join('\n'),
  options: { ...STORE_OPTIONS, json: { type: 'boolean' } },
  run: (parsed) =>
    withStores(parsed, async (stores) => {
      const users = await stores.users.list();
      if (parsed.values['json'] === true) {
        for (const u of users) {
          process.stdout.write(
            JSON.stringify({
              id: u.id,
              username: u.username,
              is_active: u.isActive,
              is_staff: u.isStaff,
              is_superuser: u.isSuperuser,
              date_joined: u.dateJoined,
              last_login: u.lastLogin,
            }) + '\n',
          );
        }
        return;
      }
      const rows = [['ID', 'USERNAME', 'ACTIVE', 'STAFF', 'SUPERUSER', 'LAST LOGIN']];
      for (const u of users)
        rows.push([
          String(u.id),
          u.username,
          yes(u.isActive),
          yes(u.isStaff),
          yes(u.isSuperuser),
          u.lastLogin ?? '-',
        ]);
      process.stdout.write(table(rows));
    }),
};

const importUsers: Command = {
  name: 'import',
  summary:
    'Import users from Django: its SQLite database, a CSV export or a JSON export (dumpdata auth.user).',
  usage: 'FILE [--format sqlite|csv|json] [--dry-run] [--data-dir DIR] [--config FILE]',
  help: [
    'Password hashes are kept as they are (pbkdf2_sha256 and argon2): each is upgraded to',
    "Gatehouse's argon2id the next time its user logs in. Ids are kept when free. Rows with",
    'problems, and usernames that already exist, are reported and skipped.',
    '',
    '  --format F       the file format (detected from the file when absent)',
    '  --dry-run        check the file and report, write nothing',
    STORE_OPTIONS_HELP,
  ].join('\n'),
  options: { ...STORE_OPTIONS, format: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  minPositionals: 1,
  maxPositionals: 1,
  run: (parsed) =>
    withStores(parsed, async (stores) => {
      const format = parsed.values['format'];
      if (format !== undefined && !['sqlite', 'csv', 'json'].includes(String(format)))
        throw new CliError('--format is sqlite, csv or json');
      const result = readDjangoUsers(parsed.positionals[0]!, format as DjangoExportFormat | undefined);
      let imported = 0;
      const skipped = [...result.problems];
      for (const user of result.users) {
        if ((await stores.users.findByUsername(user.username)) !== null) {
          skipped.push(`username "${user.username}" already exists here`);
          continue;
        }
        const idTaken = user.id !== null && (await stores.users.findById(user.id)) !== null;
        if (parsed.values['dry-run'] !== true) {
          await stores.users.create({
            id: idTaken ? null : user.id,
            username: user.username,
            passwordHash: user.passwordHash,
            isActive: user.isActive,
            isStaff: user.isStaff,
            isSuperuser: user.isSuperuser,
            dateJoined: user.dateJoined,
            lastLogin: user.lastLogin,
          });
        }
        imported++;
      }
      for (const line of skipped) process.stderr.write(`skipped: ${line}\n`);
      process.stdout.write(
        `${parsed.values['dry-run'] === true ? 'would import' : 'imported'} ${imported} user(s), skipped ${skipped.length}\n`,
      );
      return skipped.length > 0 && imported === 0 ? 1 : 0;
    }),
};

const revokeTokens = userCommand(
  'revoke-tokens',
  'Invalidate every refresh and access token of a user (running workers refuse them within 100 ms).',
  async (stores, user) => {
    await stores.users.revokeAllTokens(user.id, Math.floor(Date.now() / 1000));
    return `every token of ${user.username} issued until now is revoked`;
  },
);

export const userCommands: CommandGroup = {
  name: 'user',
  summary: 'Manage users.',
  commands: [create, passwd, setActive(true), setActive(false), list, importUsers, revokeTokens],
};

const yes = (b: boolean): string => (b ? 'yes' : 'no');
