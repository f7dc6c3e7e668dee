/**
 * Writing responses. Every Gatehouse response carries the same security headers and, on API routes, the route's
 * `Allow`; those constant lines are joined into one pre-encoded header block per route at start-up and written
 * with a single uWS call (uWS writes header values verbatim, so "value\r\nNext: value" emits two lines). The
 * request path therefore copies a few pre-built buffers instead of formatting headers.
 *
 * Callers are either inside the synchronous uWS handler (already corked by uWS) or wrap the call in `res.cork()`
 * after async work (see finish() in server.ts).
 */
import type { ErrorSpec } from '../errors.js';
import type { RequestContext } from './request-context.js';
import type { HttpResponse } from './uws.js';

export const STATUS_LINES: Readonly<Record<number, string>> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  301: '301 Moved Permanently',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  406: '406 Not Acceptable',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_LINES[status] ?? `${status} Status`;
}

const SECURITY_HEADERS =
  'X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nReferrer-Policy: same-origin';

/**
 * The constant header lines of one route, pre-encoded: `Content-Type` first (its value carries the rest).
 * `withAllow` is used for API routes, `bare` for 404 and other answers outside a route.
 */
export interface HeaderBlock {
  /** Value to pass as the Content-Type header: "application/json\r\n<other constant lines>". */
  readonly json: Buffer;
  /** For bodiless responses (HEAD, 204, 301): the constant lines without Content-Type, as "<name>", "<value…>". */
  readonly firstName: string;
  readonly rest: Buffer;
}

export function headerBlock(allow: string | null): HeaderBlock {
  const lines = (allow === null ? '' : `Allow: ${allow}\r\n`) + SECURITY_HEADERS;
  const firstColon = lines.indexOf(': ');
  return {
    json: Buffer.from(`application/json\r\n${lines}`, 'latin1'),
    firstName: lines.slice(0, firstColon),
    rest: Buffer.from(lines.slice(firstColon + 2), 'latin1'),
  };
}

export const BARE_HEADERS: HeaderBlock = headerBlock(null);

/** Header blocks of answers that are not JSON (the /metrics text), by route block and media type; built once. */
const otherContentTypes = new WeakMap<HeaderBlock, Map<string, HeaderBlock>>();

/** The same constant lines with another `Content-Type` (the first line of the pre-encoded block). */
export function withContentType(block: HeaderBlock, contentType: string): HeaderBlock {
  let byType = otherContentTypes.get(block);
  if (byType === undefined) otherContentTypes.set(block, (byType = new Map()));
  let other = byType.get(contentType);
  if (other === undefined) {
    const rest = block.json.subarray(block.json.indexOf('\r\n'));
    other = {
      json: Buffer.concat([Buffer.from(contentType, 'latin1'), rest]),
      firstName: block.firstName,
      rest: block.rest,
    };
    byType.set(contentType, other);
  }
  return other;
}

/** Extra per-response headers (WWW-Authenticate, Retry-After, Location, RateLimit-*), as name/value pairs. */
export type ExtraHeaders = readonly string[] | null;

/**
 * Writes a complete JSON response. `closeConnection` asks uWS to close the connection after it (graceful
 * shutdown: the last response on a keep-alive connection carries `Connection: close`).
 */
export function writeJson(
  ctx: RequestContext,
  status: number,
  body: string,
  headers: HeaderBlock,
  extra: ExtraHeaders,
  closeConnection: boolean,
): void {
  const res = ctx.res;
  ctx.status = status;
  // uWS writes "200 OK" itself when no status was written: one call into uWS fewer for most answers.
  if (status !== 200) res.writeStatus(STATUS_LINES[status] ?? statusLine(status));
  res.writeHeader('Content-Type', headers.json);
  res.writeHeader('X-Request-Id', ctx.requestId);
  if (extra !== null) for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!);
  if (ctx.method === 'HEAD') endHead(res, body, closeConnection);
  else res.end(body, closeConnection);
}

/**
 * HEAD: the GET answer's headers with its Content-Length, no body. This uWS build aborts the process when
 * endWithoutBody is given a non-zero length, and writes "Content-Length: 0" itself for endWithoutBody(0), so the
 * length is written as a header and the response ended with no arguments. When the connection must close
 * (shutdown), endWithoutBody(0, true) is the only form that closes it; the length then reads 0, which HEAD allows.
 */
function endHead(res: HttpResponse, body: string, closeConnection: boolean): void {
  if (closeConnection) {
    res.endWithoutBody(0, true);
    return;
  }
  res.writeHeader('Content-Length', String(Buffer.byteLength(body)));
  res.endWithoutBody();
}

/** Writes a response without a body and without Content-Type (e.g. a redirect). */
export function writeEmpty(
  ctx: RequestContext,
  status: number,
  headers: HeaderBlock,
  extra: ExtraHeaders,
  closeConnection: boolean,
): void {
  const res = ctx.res;
  ctx.status = status;
  res.writeStatus(STATUS_LINES[status] ?? statusLine(status));
  res.writeHeader(headers.firstName, headers.rest);
  res.writeHeader('X-Request-Id', ctx.requestId);
  if (extra !== null) for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i]!, extra[i + 1]!);
  res.endWithoutBody(0, closeConnection);
}

export function writeError(
  ctx: RequestContext,
  error: ErrorSpec,
  headers: HeaderBlock,
  challenge: string | null,
  extra: ExtraHeaders,
  closeConnection: boolean,
): void {
  if (error.challenge && challenge !== null) {
    extra = extra === null ? ['WWW-Authenticate', challenge] : ['WWW-Authenticate', challenge, ...extra];
  }
  writeJson(ctx, error.status, error.body, headers, extra, closeConnection);
}
