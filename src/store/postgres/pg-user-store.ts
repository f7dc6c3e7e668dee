/**
 * Users in PostgreSQL, with the SQLite store's behaviour. Every change a cached copy depends on (creation,
 * activation, flags, password, revoke-all) sends a NOTIFY in the same statement, delivered to every listening
 * worker of every node when (and only if) the change commits: see change-listener.ts.
 */
import type pg from 'pg';
import { toUser, type UserRow } from '../sql-rows.js';
import type { NewUser, UserRecord, UserStore } from '../types.js';
import { CHANGE_CHANNEL } from './change-listener.js';
import { run, statement } from './pg-pool.js';

/** `WITH changed AS (<update … RETURNING id>) SELECT pg_notify(…) FROM changed`: the update and its notice, atomically. */
const notifying = (update: string): string =>
  `WITH changed AS (${update} RETURNING id) SELECT pg_notify('${CHANGE_CHANNEL}', 'u:' || id) FROM changed`;

const BY_ID = statement('user_by_id', 'SELECT * FROM gatehouse_users WHERE id = $1');
const BY_NAME = statement('user_by_name', 'SELECT * FROM gatehouse_users WHERE username = $1');
const ALL = statement('users_all', 'SELECT * FROM gatehouse_users ORDER BY id');
const INSERT = statement(
  'user_insert',
  `WITH inserted AS (
     INSERT INTO gatehouse_users (username, password, is_active, is_staff, is_superuser, date_joined, last_login)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *
   ), notice AS (SELECT pg_notify('${CHANGE_CHANNEL}', 'u:' || id) FROM inserted)
   SELECT inserted.* FROM inserted, notice`,
);
// An explicit id (an import) does not advance the identity sequence: move it past the id, as SQLite's
// AUTOINCREMENT would, so the next generated id cannot collide. Sequence reads are not transactional, so
// GREATEST with last_value never moves it back under concurrent imports.
const INSERT_WITH_ID = statement(
  'user_insert_with_id',
  `WITH inserted AS (
     INSERT INTO gatehouse_users (id, username, password, is_active, is_staff, is_superuser, date_joined, last_login)
     OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *
   ), notice AS (SELECT pg_notify('${CHANGE_CHANNEL}', 'u:' || id) FROM inserted)
   SELECT inserted.* FROM inserted, notice`,
);
const ADVANCE_ID = statement(
  'user_advance_id',
  `SELECT setval(pg_get_serial_sequence('gatehouse_users', 'id'),
     GREATEST($1::bigint, (SELECT last_value FROM gatehouse_users_id_seq)))`,
);
const SET_PASSWORD = statement(
  'user_set_password',
  notifying('UPDATE gatehouse_users SET password = $2 WHERE id = $1'),
);
const SET_ACTIVE = statement(
  'user_set_active',
  notifying('UPDATE gatehouse_users SET is_active = $2 WHERE id = $1'),
);
const SET_FLAGS = statement(
  'user_set_flags',
  notifying(
    'UPDATE gatehouse_users SET is_staff = COALESCE($2, is_staff), is_superuser = COALESCE($3, is_superuser) WHERE id = $1',
  ),
);
const SET_LAST_LOGIN = statement(
  'user_set_last_login',
  'UPDATE gatehouse_users SET last_login = $2 WHERE id = $1',
);
// One statement, so one transaction: the "not before" time, the blacklisting of every outstanding refresh
// token of the user, and the notice.
const REVOKE_ALL = statement(
  'user_revoke_all',
  `WITH changed AS (
     UPDATE gatehouse_users SET tokens_not_before = GREATEST(tokens_not_before, $2) WHERE id = $1 RETURNING id
   ), blacklisted AS (
     INSERT INTO gatehouse_blacklisted_tokens (jti, blacklisted_at, expires_at)
     SELECT jti, $2, expires_at FROM gatehouse_outstanding_tokens WHERE user_id = $1 ORDER BY jti
     ON CONFLICT (jti) DO NOTHING
   )
   SELECT pg_notify('${CHANGE_CHANNEL}', 'u:' || $1::text)`,
);

export class PgUserStore implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async findById(id: number): Promise<UserRecord | null> {
    const { rows } = await run<UserRow>(this.pool, BY_ID, [id]);
    return rows.length === 0 ? null : toUser(rows[0]!);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const { rows } = await run<UserRow>(this.pool, BY_NAME, [username]);
    return rows.length === 0 ? null : toUser(rows[0]!);
  }

  async create(user: NewUser): Promise<UserRecord> {
    const fields = [
      user.username,
      user.passwordHash,
      user.isActive,
      user.isStaff,
      user.isSuperuser,
      user.dateJoined ?? new Date().toISOString(),
      user.lastLogin ?? null,
    ];
    if (user.id === undefined || user.id === null) {
      const { rows } = await run<UserRow>(this.pool, INSERT, fields);
      return toUser(rows[0]!);
    }
    const { rows } = await run<UserRow>(this.pool, INSERT_WITH_ID, [user.id, ...fields]);
    await run(this.pool, ADVANCE_ID, [user.id]);
    return toUser(rows[0]!);
  }

  async list(): Promise<UserRecord[]> {
    const { rows } = await run<UserRow>(this.pool, ALL, []);
    return rows.map(toUser);
  }

  async setPasswordHash(id: number, hash: string): Promise<void> {
    await run(this.pool, SET_PASSWORD, [id, hash]);
  }

  async setActive(id: number, active: boolean): Promise<void> {
    await run(this.pool, SET_ACTIVE, [id, active]);
  }

  async setFlags(id: number, flags: { isStaff?: boolean; isSuperuser?: boolean }): Promise<void> {
    await run(this.pool, SET_FLAGS, [id, flags.isStaff ?? null, flags.isSuperuser ?? null]);
  }

  async touchLastLogin(id: number, when: string): Promise<void> {
    await run(this.pool, SET_LAST_LOGIN, [id, when]);
  }

  async revokeAllTokens(id: number, epochSec: number): Promise<void> {
    await run(this.pool, REVOKE_ALL, [id, epochSec]);
  }
}
