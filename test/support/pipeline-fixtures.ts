/**
 * Shared set-up of the pipeline's end-to-end tests: the test application module, its throttle scopes, users with
 * credentials for every scheme, and assertions on the exact answers of the contract's 401/403/429 table.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { issueApiKey } from '../../src/auth/api-keys/api-key.js';
import {
  createUsers,
  openTestStores,
  REPO_ROOT,
  TEST_SIGNING_KEY,
  type TestUser,
} from './gatehouse-process.js';
import { request, type JsonResponse } from './http.js';

export const PIPELINE_APP = join(REPO_ROOT, 'dist', 'test', 'fixtures', 'pipeline', 'pipeline-app.js');

/** The example API's scopes plus the test application's (one `<scheme>_limited` per scheme, and `quota`). */
export function throttleRates(overrides: Record<string, string> = {}): string {
  const rates: Record<string, string> = {
    anon: '1000/min',
    user: '100000/min',
    limited: '5/min',
    jwt_limited: '3/min',
    basic_limited: '3/min',
    apikey_limited: '3/min',
    testkey_limited: '3/min',
    quota: '3/min',
    ...overrides,
  };
  return Object.entries(rates)
    .map(([scope, rate]) => `${scope}=${rate}`)
    .join(',');
}

export interface PipelineUser extends TestUser {
  readonly apiKey: string;
}

/** alice (a user), root (staff) and ivan (inactive), each with an API key, written before the server starts. */
export async function createPipelineUsers(
  dataDir: string,
): Promise<{ alice: PipelineUser; root: PipelineUser; ivan: PipelineUser }> {
  const [alice, root, ivan] = await createUsers(dataDir, [
    { username: 'alice' },
    { username: 'root', isStaff: true },
    { username: 'ivan', isActive: false },
  ]);
  const stores = openTestStores(dataDir);
  try {
    const withKey = async (user: TestUser): Promise<PipelineUser> => ({
      ...user,
      apiKey: (await issueApiKey(stores.apiKeys, user.id, 'tests')).key,
    });
    return { alice: await withKey(alice!), root: await withKey(root!), ivan: await withKey(ivan!) };
  } finally {
    stores.close();
  }
}

const HEADER_SEGMENT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';

/** Signs a token the way PyJWT does with the test key (for users who cannot log in, or odd claims). */
export function signHs256(payload: Record<string, unknown>, key = TEST_SIGNING_KEY): string {
  const input = `${HEADER_SEGMENT}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** The claims of a valid access token of `userId`, to sign as they are or altered. */
export function accessClaims(userId: number): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    token_type: 'access',
    exp: now + 600,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    user_id: userId,
  };
}

export function accessTokenFor(userId: number, type = 'access'): string {
  return signHs256({ ...accessClaims(userId), token_type: type });
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsignedToken(payload: Record<string, unknown>): string {
  const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export async function obtainAccess(baseUrl: string, user: TestUser): Promise<string> {
  const r = await request(`${baseUrl}/api/token/`, {
    body: { username: user.username, password: user.password },
  });
  assert.equal(r.status, 200, r.text);
  return (r.body as { access: string }).access;
}

export const NOT_PROVIDED = '{"detail":"Authentication credentials were not provided."}';
export const PERMISSION_DENIED = '{"detail":"You do not have permission to perform this action."}';
export const READ_ONLY_ALLOW = 'GET, HEAD, OPTIONS';

/** An exact answer: status, body, WWW-Authenticate (null: absent) and Allow. */
export function assertAnswer(
  r: JsonResponse,
  status: number,
  body: string,
  challenge: string | null,
  allow = READ_ONLY_ALLOW,
  what = '',
): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.text, body, what);
  assert.equal(r.headers.get('www-authenticate'), challenge, `${what}: WWW-Authenticate`);
  assert.equal(r.headers.get('allow'), allow, `${what}: Allow`);
  assert.equal(r.headers.get('content-type'), 'application/json', what);
}

/** A 429 of the contract: DRF's body, Retry-After equal to the wait it announces, Allow, no challenge. */
export function assertThrottled(
  r: JsonResponse,
  maxWaitSeconds: number,
  allow = READ_ONLY_ALLOW,
  what = '',
): number {
  assert.equal(r.status, 429, `${what}: ${r.status} ${r.text}`);
  const match =
    /^\{"detail":"Request was throttled\. Expected available in (\d+) (second|seconds)\."\}$/.exec(r.text);
  assert.ok(match, `${what}: ${r.text}`);
  const wait = Number(match[1]);
  assert.equal(match[2], wait === 1 ? 'second' : 'seconds', what);
  assert.ok(wait >= 1 && wait <= maxWaitSeconds, `${what}: wait ${wait}`);
  assert.equal(r.headers.get('retry-after'), String(wait), `${what}: Retry-After`);
  assert.equal(r.headers.get('www-authenticate'), null, what);
  assert.equal(r.headers.get('allow'), allow, what);
  return wait;
}
