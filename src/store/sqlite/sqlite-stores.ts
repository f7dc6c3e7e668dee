/**
 * The embedded store: users, refresh-token tracking, notes and API keys in one SQLite file, one connection per
 * process, every statement prepared once. Writes that must be atomic across worker processes (rotation) run in
 * BEGIN IMMEDIATE transactions, which SQLite serialises between processes with its file lock.
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import type {
  ApiKeyRecord,
  ApiKeyStore,
  NewUser,
  Note,
  NoteStore,
  OutstandingToken,
  RotationOutcome,
  Stores,
  TokenStore,
  UserRecord,
  UserStore,
} from '../types.js';
import { toApiKey, toUser, type ApiKeyRow, type UserRow } from '../sql-rows.js';

class SqliteUserStore implements UserStore {
  private readonly byId: Statement<[number], UserRow>;
  private readonly byName: Statement<[string], UserRow>;
  private readonly all: Statement<[], UserRow>;
  private readonly insert: Statement;
  private readonly setPassword: Statement;
  private readonly setActiveFlag: Statement;
  private readonly setStaff: Statement;
  private readonly setSuper: Statement;
  private readonly setLastLogin: Statement;
  private readonly setNotBefore: Statement;
  private readonly blacklistOutstanding: Statement;

  constructor(private readonly db: Database) {
    this.byId = db.prepare('SELECT * FROM users WHERE id = ?');
    this.byName = db.prepare('SELECT * FROM users WHERE username = ?');
    this.all = db.prepare('SELECT * FROM users ORDER BY id');
    this.insert = db.prepare(
      `INSERT INTO users (id, username, password, is_active, is_staff, is_superuser, date_joined, last_login)
       VALUES (@id, @username, @password, @isActive, @isStaff, @isSuperuser, @dateJoined, @lastLogin)`,
    );
    this.setPassword = db.prepare('UPDATE users SET password = ? WHERE id = ?');
    this.setActiveFlag = db.prepare('UPDATE users SET is_active = ? WHERE id = ?');
    this.setStaff = db.prepare('UPDATE users SET is_staff = ? WHERE id = ?');
    this.setSuper = db.prepare('UPDATE users SET is_superuser = ? WHERE id = ?');
    this.setLastLogin = db.prepare('UPDATE users SET last_login = ? WHERE id = ?');
    this.setNotBefore = db.prepare(
      'UPDATE users SET tokens_not_before = max(tokens_not_before, ?) WHERE id = ?',
    );
    this.blacklistOutstanding = db.prepare(
      `INSERT OR IGNORE INTO blacklisted_tokens (jti, blacklisted_at, expires_at)
       SELECT jti, ?, expires_at FROM outstanding_tokens WHERE user_id = ?`,
    );
  }

  findById(id: number): UserRecord | null {
    const row = this.byId.get(id);
    return row === undefined ? null : toUser(row);
  }

  findByUsername(username: string): UserRecord | null {
    const row = this.byName.get(username);
    return row === undefined ? null : toUser(row);
  }

  create(user: NewUser): UserRecord {
    const info = this.insert.run({
      id: user.id ?? null,
      username: user.username,
      password: user.passwordHash,
      isActive: user.isActive ? 1 : 0,
      isStaff: user.isStaff ? 1 : 0,
      isSuperuser: user.isSuperuser ? 1 : 0,
      dateJoined: user.dateJoined ?? new Date().toISOString(),
      lastLogin: user.lastLogin ?? null,
    });
    return this.findById(Number(info.lastInsertRowid))!;
  }

  list(): UserRecord[] {
    return this.all.all().map(toUser);
  }

  setPasswordHash(id: number, hash: string): void {
    this.setPassword.run(hash, id);
  }

  setActive(id: number, active: boolean): void {
    this.setActiveFlag.run(active ? 1 : 0, id);
  }

  setFlags(id: number, flags: { isStaff?: boolean; isSuperuser?: boolean }): void {
    this.db.transaction(() => {
      if (flags.isStaff !== undefined) this.setStaff.run(flags.isStaff ? 1 : 0, id);
      if (flags.isSuperuser !== undefined) this.setSuper.run(flags.isSuperuser ? 1 : 0, id);
    })();
  }

  touchLastLogin(id: number, when: string): void {
    this.setLastLogin.run(when, id);
  }

  revokeAllTokens(id: number, epochSec: number): void {
    this.db
      .transaction(() => {
        this.setNotBefore.run(epochSec, id);
        this.blacklistOutstanding.run(epochSec, id);
      })
      .immediate();
  }
}

class SqliteTokenStore implements TokenStore {
  private readonly insertOutstanding: Statement;
  private readonly insertOutstandingIfMissing: Statement;
  private readonly blacklistedCheck: Statement<[string], { one: number }>;
  private readonly insertBlacklist: Statement;
  private readonly outstandingOf: Statement<[string], { family: string; rotated_at: number | null }>;
  private readonly markRotated: Statement;
  private readonly blacklistFamily: Statement;
  private readonly pruneOutstanding: Statement;
  private readonly pruneBlacklisted: Statement;
  private readonly rotateTx: Transaction<
    (
      presented: { jti: string; userId: number | null; expiresAt: number },
      issued: OutstandingToken | null,
      options: { blacklistPresented: boolean; revokeFamilyOnReuse: boolean; now: number },
    ) => RotationOutcome
  >;

  constructor(private readonly db: Database) {
    this.insertOutstanding = db.prepare(
      `INSERT INTO outstanding_tokens (jti, user_id, family, parent, created_at, expires_at)
       VALUES (@jti, @userId, @family, @parent, @createdAt, @expiresAt)`,
    );
    this.insertOutstandingIfMissing = db.prepare(
      `INSERT OR IGNORE INTO outstanding_tokens (jti, user_id, family, parent, created_at, expires_at)
       VALUES (?, ?, ?, NULL, ?, ?)`,
    );
    this.blacklistedCheck = db.prepare('SELECT 1 AS one FROM blacklisted_tokens WHERE jti = ?');
    this.insertBlacklist = db.prepare(
      'INSERT OR IGNORE INTO blacklisted_tokens (jti, blacklisted_at, expires_at) VALUES (?, ?, ?)',
    );
    this.outstandingOf = db.prepare('SELECT family, rotated_at FROM outstanding_tokens WHERE jti = ?');
    this.markRotated = db.prepare('UPDATE outstanding_tokens SET rotated_at = ? WHERE jti = ?');
    this.blacklistFamily = db.prepare(
      `INSERT OR IGNORE INTO blacklisted_tokens (jti, blacklisted_at, expires_at)
       SELECT jti, ?, expires_at FROM outstanding_tokens WHERE family = ?`,
    );
    this.pruneOutstanding = db.prepare('DELETE FROM outstanding_tokens WHERE expires_at < ?');
    this.pruneBlacklisted = db.prepare('DELETE FROM blacklisted_tokens WHERE expires_at < ?');

    this.rotateTx = db.transaction((presented, issued, options): RotationOutcome => {
      const known = this.outstandingOf.get(presented.jti);
      if (this.blacklistedCheck.get(presented.jti) !== undefined) {
        // A blacklisted token presented again. If it was blacklisted by a rotation, this is a replay of a
        // consumed token (a stolen copy, or the legitimate client after theft): revoke all its descendants.
        const reused = known !== undefined && known.rotated_at !== null;
        if (reused && options.revokeFamilyOnReuse) this.blacklistFamily.run(options.now, known.family);
        return { kind: 'blacklisted', reused };
      }
      const family = known?.family ?? presented.jti;
      if (known === undefined) {
        this.insertOutstandingIfMissing.run(
          presented.jti,
          presented.userId,
          family,
          options.now,
          presented.expiresAt,
        );
      }
      if (options.blacklistPresented) {
        this.insertBlacklist.run(presented.jti, options.now, presented.expiresAt);
        this.markRotated.run(options.now, presented.jti);
      }
      if (issued !== null) this.insertOutstanding.run({ ...issued, family });
      return { kind: 'rotated' };
    });
  }

  addOutstanding(token: OutstandingToken): void {
    this.insertOutstanding.run(token);
  }

  isBlacklisted(jti: string): boolean {
    return this.blacklistedCheck.get(jti) !== undefined;
  }

  blacklist(jti: string, userId: number | null, expiresAt: number, now: number): void {
    this.db
      .transaction(() => {
        this.insertOutstandingIfMissing.run(jti, userId, jti, now, expiresAt);
        this.insertBlacklist.run(jti, now, expiresAt);
      })
      .immediate();
  }

  rotate(
    presented: { jti: string; userId: number | null; expiresAt: number },
    issued: OutstandingToken | null,
    options: { blacklistPresented: boolean; revokeFamilyOnReuse: boolean; now: number },
  ): RotationOutcome {
    return this.rotateTx.immediate(presented, issued, options);
  }

  pruneExpired(now: number): number {
    return this.db
      .transaction(() => this.pruneBlacklisted.run(now).changes + this.pruneOutstanding.run(now).changes)
      .immediate();
  }
}

class SqliteNoteStore implements NoteStore {
  private readonly all: Statement<[], Note>;
  private readonly insert: Statement;
  private readonly one: Statement<[number | bigint], Note>;

  constructor(db: Database) {
    this.all = db.prepare(
      'SELECT n.id, n.text, u.username AS owner FROM notes n JOIN users u ON u.id = n.owner_id ORDER BY n.id',
    );
    this.insert = db.prepare('INSERT INTO notes (text, owner_id, created_at) VALUES (?, ?, ?)');
    this.one = db.prepare(
      'SELECT n.id, n.text, u.username AS owner FROM notes n JOIN users u ON u.id = n.owner_id WHERE n.id = ?',
    );
  }

  list(): Note[] {
    return this.all.all();
  }

  create(ownerId: number, text: string, now: string): Note {
    const info = this.insert.run(text, ownerId, now);
    return this.one.get(info.lastInsertRowid)!;
  }
}

class SqliteApiKeyStore implements ApiKeyStore {
  private readonly insert: Statement;
  private readonly byHash: Statement<[Buffer], ApiKeyRow>;
  private readonly byId: Statement<[number | bigint], ApiKeyRow>;
  private readonly all: Statement<[], ApiKeyRow>;
  private readonly ofUser: Statement<[number], ApiKeyRow>;
  private readonly revokeOne: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(
      'INSERT INTO api_keys (key_hash, prefix, user_id, name, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.byHash = db.prepare('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL');
    this.byId = db.prepare('SELECT * FROM api_keys WHERE id = ?');
    this.all = db.prepare('SELECT * FROM api_keys ORDER BY id');
    this.ofUser = db.prepare('SELECT * FROM api_keys WHERE user_id = ? ORDER BY id');
    this.revokeOne = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  }

  create(userId: number, keyHash: Buffer, prefix: string, name: string | null, now: string): ApiKeyRecord {
    const info = this.insert.run(keyHash, prefix, userId, name, now);
    return toApiKey(this.byId.get(info.lastInsertRowid)!);
  }

  findByHash(keyHash: Buffer): ApiKeyRecord | null {
    const row = this.byHash.get(keyHash);
    return row === undefined ? null : toApiKey(row);
  }

  list(userId: number | null): ApiKeyRecord[] {
    return (userId === null ? this.all.all() : this.ofUser.all(userId)).map(toApiKey);
  }

  revoke(id: number, now: string): boolean {
    return this.revokeOne.run(now, id).changes > 0;
  }
}

export class SqliteStores implements Stores {
  readonly users: SqliteUserStore;
  readonly tokens: SqliteTokenStore;
  readonly notes: SqliteNoteStore;
  readonly apiKeys: SqliteApiKeyStore;
  private readonly pingStatement: Statement;

  constructor(readonly db: Database) {
    this.users = new SqliteUserStore(db);
    this.tokens = new SqliteTokenStore(db);
    this.notes = new SqliteNoteStore(db);
    this.apiKeys = new SqliteApiKeyStore(db);
    this.pingStatement = db.prepare('SELECT 1');
  }

  ping(): boolean {
    try {
      this.pingStatement.get();
      return true;
    } catch {
      return false;
    }
  }

  changeCounter(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  checkpoint(): void {
    // PASSIVE never blocks readers or writers; it copies what it can and leaves the rest for the next run.
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
