/**
 * The harness of the differential tests: one request sent byte for byte to the reference deployment and to
 * Gatehouse (node:http with exactly the given headers and Connection: close, nothing a client library adds),
 * and the two answers compared — status, body and the response headers CONTRACT.md speaks of — except where a
 * case says CONTRACT.md makes Gatehouse answer otherwise.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { it } from 'node:test';
import { TEST_SIGNING_KEY } from './gatehouse-process.js';

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: string | Buffer;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The response headers the contract speaks of. */
const COMPARED_HEADERS = [
  'content-type',
  'allow',
  'www-authenticate',
  'retry-after',
  'location',
  'vary',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
] as const;

/** Exactly these headers (plus Host, Content-Length and Connection: close), nothing a client library adds. */
export function send(base: string, sent: Sent): Promise<Answer> {
  const url = new URL(sent.path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: sent.method,
        path: sent.path,
        headers: sent.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {};
          for (const name of COMPARED_HEADERS) {
            const value = res.headers[name];
            headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), headers });
        });
      },
    );
    req.on('error', reject);
    req.end(sent.body);
  });
}

const TOKEN_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * A body with tokens made by the server, with each token replaced by what must not differ: its header segment,
 * its claim names in order, its type and user. (Times and jti are the server's own.)
 */
export function describeTokens(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(parsed).map(([name, value]) => {
        if (typeof value !== 'string' || !TOKEN_SHAPE.test(value)) return [name, value];
        const [header, payload] = value.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
        return [
          name,
          {
            header,
            claims: Object.keys(claims),
            token_type: claims['token_type'],
            user_id: claims['user_id'],
          },
        ];
      }),
    ),
  );
}

export const JSON_TYPE = { 'content-type': 'application/json' };
export const post = (path: string, body: unknown, headers: Record<string, string> = JSON_TYPE): Sent => ({
  method: 'POST',
  path,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
export const get = (path: string, headers: Record<string, string | string[]> = {}): Sent => ({
  method: 'GET',
  path,
  headers,
});
export const asUser = (token: string, path = '/api/hello/', method = 'GET'): Sent => ({
  method,
  path,
  headers: { authorization: `Bearer ${token}` },
});

export interface Case {
  readonly name: string;
  /** One request, or several sent in order to each server (each answer compared). */
  readonly sent: Sent | (() => Sent | readonly Sent[]);
  /** The body holds freshly made tokens: compare their header, claim names in order, type and user instead. */
  readonly tokens?: true;
  /**
   * The reference answers 500 (an uncaught exception); CONTRACT.md: "a request that would crash the reference
   * gets the matching 401 token error, never a 500". The body Gatehouse answers.
   */
  readonly referenceCrashes?: string;
  /** Where CONTRACT.md makes Gatehouse answer otherwise: why, and what is then not compared. */
  readonly differs?: {
    readonly why: string;
    readonly status?: true;
    readonly body?: true;
    readonly headers?: readonly string[];
  };
}

/** One test per case: each request of the case to both servers, the answers compared. */
export function compareCases(
  cases: readonly Case[],
  servers: () => { reference: string; gatehouse: string },
): void {
  for (const c of cases) {
    it(c.name, async () => {
      const made = typeof c.sent === 'function' ? c.sent() : c.sent;
      for (const sent of Array.isArray(made) ? (made as readonly Sent[]) : [made as Sent]) {
        const expected = await send(servers().reference, sent);
        const actual = await send(servers().gatehouse, sent);
        const what = `${sent.method} ${sent.path} ${JSON.stringify(sent.headers ?? {})} ${sent.body ?? ''}`;
        const bodies = `${what}\nreference: ${expected.body}\ngatehouse: ${actual.body}`;
        if (c.referenceCrashes !== undefined) {
          assert.equal(expected.status, 500, bodies);
          assert.equal(actual.status, 401, bodies);
          assert.equal(actual.body, c.referenceCrashes);
          continue;
        }
        if (c.differs?.status !== true) assert.equal(actual.status, expected.status, bodies);
        if (c.tokens === true)
          assert.equal(describeTokens(actual.body), describeTokens(expected.body), bodies);
        else if (c.differs?.body !== true) assert.equal(actual.body, expected.body, what);
        const compared = (headers: Answer['headers']): Answer['headers'] =>
          Object.fromEntries(Object.entries(headers).filter(([name]) => !c.differs?.headers?.includes(name)));
        assert.deepEqual(compared(actual.headers), compared(expected.headers), what);
      }
    });
  }
}

/** A token as PyJWT writes one with the shared key: compact JSON, header and claims in the order given. */
export function signShared(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
  key = TEST_SIGNING_KEY,
): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** A valid access token of `userId` (ids follow the order the users were created in), with a fresh jti. */
export function accessTokenOf(userId: number): string {
  const now = Math.floor(Date.now() / 1000);
  return signShared({
    token_type: 'access',
    exp: now + 300,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    user_id: userId,
  });
}
