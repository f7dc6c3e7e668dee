import { classifyStoredHash } from '../../auth/passwords/stored-hash.js';
import { parseDjangoDatetime } from './django-datetime.js';

/** A Django user as Gatehouse will store it. Nothing here is written anywhere by the import module itself. */
export interface ImportedUser {
  /** Django's primary key, kept so that `user_id` claims in tokens issued by Django stay valid; null if absent. */
  id: number | null;
  username: string;
  /** The stored hash unchanged (Django or Gatehouse format, `!…` for an unusable password, '' for none). */
  passwordHash: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  /** ISO 8601 UTC, e.g. `2024-01-02T03:04:05.123Z`. */
  dateJoined: string | null;
  lastLogin: string | null;
}

/**
 * One user as a source read it, before checking: values keep the source's types (better-sqlite3 bigints,
 * JSON booleans and numbers, CSV strings); a missing key means the source has no such column.
 */
export interface RawDjangoUser {
  readonly id?: unknown;
  readonly username?: unknown;
  readonly password?: unknown;
  readonly is_active?: unknown;
  readonly is_staff?: unknown;
  readonly is_superuser?: unknown;
  readonly date_joined?: unknown;
  readonly last_login?: unknown;
}

/** The auth_user columns an import reads (django/contrib/auth/models.py); names, email etc. are left out. */
export const DJANGO_USER_COLUMNS: readonly (keyof RawDjangoUser)[] = [
  'id',
  'username',
  'password',
  'is_active',
  'is_staff',
  'is_superuser',
  'date_joined',
  'last_login',
];

/** An export without these columns cannot be imported at all. */
export const REQUIRED_DJANGO_USER_COLUMNS: readonly (keyof RawDjangoUser)[] = ['username', 'password'];

export type UserCheck =
  | { readonly user: ImportedUser; readonly problems: null }
  | { readonly user: null; readonly problems: string[] };

/**
 * Django's algorithm names (django/contrib/auth/hashers.py). Only these are quoted back in a problem: a value
 * that is not a hash at all could be a plaintext password, and no message may contain one.
 */
const VERIFIED_ALGORITHMS = new Set(['argon2', 'pbkdf2_sha256']);
const DJANGO_ALGORITHMS = new Set([
  'argon2',
  'bcrypt',
  'bcrypt_sha256',
  'crypt',
  'md5',
  'pbkdf2_sha1',
  'pbkdf2_sha256',
  'scrypt',
  'sha1',
  'unsalted_md5',
  'unsalted_sha1',
]);

/**
 * Checks and converts every field, collecting all that is wrong with the row. Defaults follow Django's model:
 * is_active true, is_staff and is_superuser false when the source has no value. An empty password is kept
 * (Django users created without one cannot log in with a password either); a hash Gatehouse cannot verify is a
 * problem, since importing it would silently lock the user out.
 */
export function checkDjangoUser(raw: RawDjangoUser): UserCheck {
  const problems: string[] = [];

  const id = toId(raw.id);
  if (id === undefined) problems.push('id must be a positive integer');

  const username = raw.username;
  if (typeof username !== 'string' || username === '') problems.push('username is missing or empty');

  const passwordHash = raw.password;
  if (typeof passwordHash !== 'string') {
    problems.push('password is missing');
  } else if (passwordHash !== '') {
    const status = classifyStoredHash(passwordHash);
    if (status === 'unsupported') {
      const algorithm = passwordHash.slice(0, passwordHash.indexOf('$'));
      problems.push(
        VERIFIED_ALGORITHMS.has(algorithm)
          ? `password hash is not a well-formed ${algorithm} hash`
          : DJANGO_ALGORITHMS.has(algorithm)
            ? `password hash algorithm "${algorithm}" is not supported (Gatehouse verifies pbkdf2_sha256 and argon2)`
            : 'password is not a password hash in a format Gatehouse verifies',
      );
    } else if (status === 'over-limits') {
      problems.push('password hash cost parameters exceed the limits Gatehouse verifies');
    }
  }

  const isActive = toBoolean(raw.is_active, true);
  const isStaff = toBoolean(raw.is_staff, false);
  const isSuperuser = toBoolean(raw.is_superuser, false);
  if (isActive === undefined) problems.push('is_active must be a boolean (1/0/true/false)');
  if (isStaff === undefined) problems.push('is_staff must be a boolean (1/0/true/false)');
  if (isSuperuser === undefined) problems.push('is_superuser must be a boolean (1/0/true/false)');

  const dateJoined = toDatetime(raw.date_joined);
  const lastLogin = toDatetime(raw.last_login);
  if (dateJoined === undefined) problems.push('date_joined is not a datetime');
  if (lastLogin === undefined) problems.push('last_login is not a datetime');

  if (problems.length > 0) return { user: null, problems };
  return {
    user: {
      id: id as number | null,
      username: username as string,
      passwordHash: passwordHash as string,
      isActive: isActive as boolean,
      isStaff: isStaff as boolean,
      isSuperuser: isSuperuser as boolean,
      dateJoined: dateJoined as string | null,
      lastLogin: lastLogin as string | null,
    },
    problems: null,
  };
}

const DIGITS = /^[0-9]+$/;

/** undefined when invalid; null when absent. */
function toId(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : NaN;
  else if (typeof value === 'string' && DIGITS.test(value.trim())) n = Number(value.trim());
  else return undefined;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

const TRUE_WORDS = new Set(['1', 'true', 't']);
const FALSE_WORDS = new Set(['0', 'false', 'f']);

/** 1/0, true/false in any case and PostgreSQL's t/f; undefined when invalid; the default when absent. */
function toBoolean(value: unknown, absent: boolean): boolean | undefined {
  if (value === undefined || value === null || value === '') return absent;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 1n) return true;
  if (value === 0 || value === 0n) return false;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
}

/** undefined when invalid; null when absent. */
function toDatetime(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') return undefined;
  return parseDjangoDatetime(value) ?? undefined;
}
