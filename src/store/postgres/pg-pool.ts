/**
 * The connection pool of one process, and the two helpers every PostgreSQL store uses.
 *
 * BIGINT columns (ids, epoch seconds) come back as JavaScript numbers: every value Gatehouse stores fits in
 * 2^53 (pg's default would return strings). Statements are named, so each connection prepares each statement
 * once and then only sends its parameters (pg keeps the prepared statements per connection).
 */
import pg from 'pg';
import { redactUrl, scrubMessage } from '../redact-url.js';

const INT8_OID = 20;

const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PgPoolOptions {
  readonly url: string;
  /** Connections per process. */
  readonly size: number;
  /** Name shown in pg_stat_activity. */
  readonly applicationName?: string;
}

export function createPgPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.size,
    types: TYPES,
    application_name: options.applicationName ?? 'gatehouse',
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that dies (server restart) emits 'error' on the pool; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

export function connectionTypes(): pg.CustomTypesConfig {
  return TYPES;
}

/** A named (prepared) statement: prepared once per connection, then sent as parameters only. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export const statement = (name: string, text: string): Statement =>
  Object.freeze({ name: `gatehouse_${name}`, text });

/** Runs a prepared statement on the pool (or on a transaction's client). */
export async function run<R extends pg.QueryResultRow>(
  db: pg.Pool | pg.PoolClient,
  s: Statement,
  values: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  return db.query<R>({ name: s.name, text: s.text, values: values as unknown[] });
}

/** Serialization failures and deadlocks: PostgreSQL asks the client to run the transaction again. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `work` in a transaction on one connection: COMMIT when it returns `{ commit: true }` (or anything
 * else), ROLLBACK when it asks for it or throws. Retried (three attempts) on serialization failures and
 * deadlocks, which PostgreSQL resolves by aborting one of the transactions.
 */
export async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T | Rollback<T>>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      if (result instanceof Rollback) {
        await client.query('ROLLBACK');
        return result.value;
      }
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      if (attempt < 3 && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** Returned by a transaction's work to roll back and still answer `value`. */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

/** Connects once and runs SELECT 1: the start-up check. Throws a message without credentials. */
export async function checkPostgres(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = scrubMessage(error instanceof Error ? error.message : String(error), url);
    // No `cause`: the driver's error is not scrubbed, and this one is logged and shown; the reason above is.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(
      `PostgreSQL at ${redactUrl(url)} (GATEHOUSE_DATABASE_URL) is unreachable or refused the connection: ${typeof code === 'string' && !reason.includes(code) ? `${code}: ` : ''}${reason}`,
    );
  }
}
