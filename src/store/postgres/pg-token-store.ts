/**
 * Refresh-token tracking in PostgreSQL, with the SQLite store's behaviour, atomic across every worker of every
 * node.
 *
 * SQLite serialises all writers with one lock; PostgreSQL runs transactions side by side, so the writes that
 * decide a token's fate take a transaction-scoped advisory lock on the token's family (the jti of the first
 * token of the chain) first. Every rotation and every blacklisting in one family therefore happens one after
 * the other, across nodes, and each reads the blacklist in a fresh snapshot taken after it got the lock
 * (READ COMMITTED gives every statement a new snapshot). Of 50 concurrent refreshes of one token, the first
 * to get the lock rotates it; the 49 others then find it blacklisted. A lock on the family rather than on the
 * row also orders a replay of an old token (which revokes the family) against a concurrent rotation of the
 * newest one: the newest is either rotated first and then revoked with the family, or refused.
 *
 * Revoke-all (pg-user-store.ts) blacklists a user's tokens without these locks: a rotation racing with it may
 * record a successor the revocation did not see, but that successor was issued no later than the
 * revocation's second and is refused by the user's tokens_not_before, which the same statement raised.
 */
import type pg from 'pg';
import type { OutstandingToken, RotationOutcome, TokenStore } from '../types.js';
import { ADVISORY_LOCK_CLASS } from './pg-migrations.js';
import { Rollback, run, statement, transaction } from './pg-pool.js';

const ADD = statement(
  'token_add',
  `INSERT INTO gatehouse_outstanding_tokens (jti, user_id, family, parent, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
);
const ADD_IF_MISSING = statement(
  'token_add_if_missing',
  `INSERT INTO gatehouse_outstanding_tokens (jti, user_id, family, parent, created_at, expires_at)
   VALUES ($1, $2, $1, NULL, $3, $4) ON CONFLICT (jti) DO NOTHING`,
);
const FAMILY_OF = statement('token_family', 'SELECT family FROM gatehouse_outstanding_tokens WHERE jti = $1');
const LOCK_FAMILY = statement(
  'token_lock_family',
  `SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_CLASS}, hashtext($1))`,
);
const STATE = statement(
  'token_state',
  `SELECT o.rotated_at, EXISTS (SELECT 1 FROM gatehouse_blacklisted_tokens b WHERE b.jti = $1) AS blacklisted
   FROM gatehouse_outstanding_tokens o WHERE o.jti = $1`,
);
const IS_BLACKLISTED = statement(
  'token_is_blacklisted',
  'SELECT 1 FROM gatehouse_blacklisted_tokens WHERE jti = $1',
);
const BLACKLIST = statement(
  'token_blacklist',
  'INSERT INTO gatehouse_blacklisted_tokens (jti, blacklisted_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING',
);
const CONSUME = statement(
  'token_consume',
  `WITH blacklisted AS (
     INSERT INTO gatehouse_blacklisted_tokens (jti, blacklisted_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING
   )
   UPDATE gatehouse_outstanding_tokens SET rotated_at = $2 WHERE jti = $1`,
);
const BLACKLIST_FAMILY = statement(
  'token_blacklist_family',
  `INSERT INTO gatehouse_blacklisted_tokens (jti, blacklisted_at, expires_at)
   SELECT jti, $2, expires_at FROM gatehouse_outstanding_tokens WHERE family = $1 ORDER BY jti
   ON CONFLICT (jti) DO NOTHING`,
);
const PRUNE = statement(
  'token_prune',
  `WITH b AS (DELETE FROM gatehouse_blacklisted_tokens WHERE expires_at < $1 RETURNING 1),
        o AS (DELETE FROM gatehouse_outstanding_tokens WHERE expires_at < $1 RETURNING 1)
   SELECT (SELECT count(*) FROM b) + (SELECT count(*) FROM o) AS removed`,
);

export class PgTokenStore implements TokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async addOutstanding(token: OutstandingToken): Promise<void> {
    await run(this.pool, ADD, [
      token.jti,
      token.userId,
      token.family,
      token.parent,
      token.createdAt,
      token.expiresAt,
    ]);
  }

  async isBlacklisted(jti: string): Promise<boolean> {
    const { rowCount } = await run(this.pool, IS_BLACKLISTED, [jti]);
    return (rowCount ?? 0) > 0;
  }

  async blacklist(jti: string, userId: number | null, expiresAt: number, now: number): Promise<void> {
    await transaction(this.pool, async (client) => {
      await run(client, ADD_IF_MISSING, [jti, userId, now, expiresAt]);
      await this.lockFamilyOf(client, jti);
      await run(client, BLACKLIST, [jti, now, expiresAt]);
    });
  }

  rotate(
    presented: { jti: string; userId: number | null; expiresAt: number },
    issued: OutstandingToken | null,
    options: { blacklistPresented: boolean; revokeFamilyOnReuse: boolean; now: number },
  ): Promise<RotationOutcome> {
    return transaction<RotationOutcome>(this.pool, async (client) => {
      // Recorded first so that there is a family to lock; rolled back below when SQLite would not have kept it.
      await run(client, ADD_IF_MISSING, [presented.jti, presented.userId, options.now, presented.expiresAt]);
      const family = await this.lockFamilyOf(client, presented.jti);
      const { rows } = await run<{ rotated_at: number | null; blacklisted: boolean }>(client, STATE, [
        presented.jti,
      ]);
      const state = rows[0] ?? { rotated_at: null, blacklisted: false };
      if (state.blacklisted) {
        // A blacklisted token presented again. If a rotation blacklisted it, this is a replay of a consumed token
        // (a stolen copy, or the legitimate client after theft): revoke every token of its family.
        const reused = state.rotated_at !== null;
        if (reused && options.revokeFamilyOnReuse) {
          await run(client, BLACKLIST_FAMILY, [family, options.now]);
          return { kind: 'blacklisted', reused };
        }
        return new Rollback<RotationOutcome>({ kind: 'blacklisted', reused });
      }
      if (options.blacklistPresented)
        await run(client, CONSUME, [presented.jti, options.now, presented.expiresAt]);
      if (issued !== null)
        await run(client, ADD, [
          issued.jti,
          issued.userId,
          family,
          issued.parent,
          issued.createdAt,
          issued.expiresAt,
        ]);
      return { kind: 'rotated' };
    });
  }

  async pruneExpired(now: number): Promise<number> {
    const { rows } = await run<{ removed: number }>(this.pool, PRUNE, [now]);
    return rows[0]?.removed ?? 0;
  }

  /** Takes the transaction's lock on the family of `jti` (which must be recorded) and returns the family. */
  private async lockFamilyOf(client: pg.PoolClient, jti: string): Promise<string> {
    const { rows } = await run<{ family: string }>(client, FAMILY_OF, [jti]);
    const family = rows[0]?.family ?? jti;
    await run(client, LOCK_FAMILY, [family]);
    return family;
  }
}
