/**
 * API keys in PostgreSQL, with the SQLite store's behaviour. Creation and revocation NOTIFY (`k:<id>`) so that
 * caches of other workers and nodes can drop a revoked key (change-listener.ts).
 */
import type pg from 'pg';
import { toApiKey, type ApiKeyRow } from '../sql-rows.js';
import type { ApiKeyRecord, ApiKeyStore } from '../types.js';
import { CHANGE_CHANNEL } from './change-listener.js';
import { run, statement } from './pg-pool.js';

const COLUMNS = 'id, prefix, user_id, name, created_at, revoked_at';

const INSERT = statement(
  'api_key_insert',
  `WITH inserted AS (
     INSERT INTO gatehouse_api_keys (key_hash, prefix, user_id, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}
   ), notice AS (SELECT pg_notify('${CHANGE_CHANNEL}', 'k:' || id) FROM inserted)
   SELECT inserted.* FROM inserted, notice`,
);
const BY_HASH = statement(
  'api_key_by_hash',
  `SELECT ${COLUMNS} FROM gatehouse_api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
);
const ALL = statement('api_keys_all', `SELECT ${COLUMNS} FROM gatehouse_api_keys ORDER BY id`);
const OF_USER = statement(
  'api_keys_of_user',
  `SELECT ${COLUMNS} FROM gatehouse_api_keys WHERE user_id = $1 ORDER BY id`,
);
const REVOKE = statement(
  'api_key_revoke',
  `WITH changed AS (UPDATE gatehouse_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
   SELECT pg_notify('${CHANGE_CHANNEL}', 'k:' || id) FROM changed`,
);

export class PgApiKeyStore implements ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(
    userId: number,
    keyHash: Buffer,
    prefix: string,
    name: string | null,
    now: string,
  ): Promise<ApiKeyRecord> {
    const { rows } = await run<ApiKeyRow>(this.pool, INSERT, [keyHash, prefix, userId, name, now]);
    return toApiKey(rows[0]!);
  }

  async findByHash(keyHash: Buffer): Promise<ApiKeyRecord | null> {
    const { rows } = await run<ApiKeyRow>(this.pool, BY_HASH, [keyHash]);
    return rows.length === 0 ? null : toApiKey(rows[0]!);
  }

  async list(userId: number | null): Promise<ApiKeyRecord[]> {
    const { rows } =
      userId === null
        ? await run<ApiKeyRow>(this.pool, ALL, [])
        : await run<ApiKeyRow>(this.pool, OF_USER, [userId]);
    return rows.map(toApiKey);
  }

  async revoke(id: number, now: string): Promise<boolean> {
    const { rowCount } = await run(this.pool, REVOKE, [id, now]);
    return (rowCount ?? 0) > 0;
  }
}
