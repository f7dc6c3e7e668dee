/** Request contexts for unit tests of the pipeline and the policies: no uWS, a fixed peer address. */
import { ProxyTrust } from '../../../src/http/client-address.js';
import {
  RequestContext,
  type AuthenticatedUser,
  type Credentials,
} from '../../../src/http/request-context.js';
import type { HttpResponse } from '../../../src/http/uws.js';

export interface FakeRequest {
  readonly method?: string;
  readonly authorization?: string;
  /** How many Authorization lines the request had (default: 1 when `authorization` is set). */
  readonly peer?: string;
  readonly forwardedFor?: string;
  readonly trustedProxies?: readonly string[];
  readonly credentials?: Credentials | null;
  readonly headers?: Record<string, string>;
}

function fakeResponse(peer: string): HttpResponse {
  const bytes = Uint8Array.from(peer.split('.').map(Number));
  return { getRemoteAddress: () => bytes.buffer } as unknown as HttpResponse;
}

export function fakeContext(request: FakeRequest = {}): RequestContext {
  const authorization = request.authorization ?? '';
  const ctx = new RequestContext(
    fakeResponse(request.peer ?? '10.0.0.1'),
    new ProxyTrust(request.trustedProxies ?? []),
    request.method ?? 'GET',
    '/test/',
    '',
    authorization,
    '',
    '',
    '',
    '',
    request.forwardedFor ?? '',
    'test-1',
    0,
  );
  ctx.credentials = request.credentials ?? null;
  if (request.headers !== undefined) ctx.headers = request.headers;
  return ctx;
}

export function userNamed(username: string, options: Partial<AuthenticatedUser> = {}): AuthenticatedUser {
  return { id: 1, username, isActive: true, isStaff: false, isSuperuser: false, ...options };
}

export function credentialsOf(user: AuthenticatedUser, scheme = 'jwt'): Credentials {
  return { user, scheme, token: null };
}

export const ANONYMOUS = null;
export const ALICE = credentialsOf(userNamed('alice', { id: 1 }));
export const STAFF = credentialsOf(userNamed('root', { id: 2, isStaff: true }));
