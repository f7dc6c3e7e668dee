/**
 * Rows of the users and API key tables as the SQL stores read them (SQLite and PostgreSQL name the columns
 * alike, after Django's auth_user and DRF's authtoken), turned into the records the rest of the server sees.
 */
import type { ApiKeyRecord, UserRecord } from './types.js';

export interface UserRow {
  id: number;
  username: string;
  password: string;
  /** SQLite has no boolean type and answers 0 or 1; PostgreSQL answers a boolean. */
  is_active: boolean | number;
  is_staff: boolean | number;
  is_superuser: boolean | number;
  date_joined: string;
  last_login: string | null;
  tokens_not_before: number;
}

/** Only 1 or true set a flag: any other value a hand-edited row may hold reads as false (fails closed). */
const flag = (value: boolean | number): boolean => value === true || value === 1;

export const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password,
  isActive: flag(row.is_active),
  isStaff: flag(row.is_staff),
  isSuperuser: flag(row.is_superuser),
  dateJoined: row.date_joined,
  lastLogin: row.last_login,
  tokensNotBefore: row.tokens_not_before,
});

export interface ApiKeyRow {
  id: number;
  prefix: string;
  user_id: number;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

export const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  prefix: row.prefix,
  userId: row.user_id,
  name: row.name,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});
