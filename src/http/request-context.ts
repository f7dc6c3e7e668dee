/**
 * Everything a request needs after its uWS HttpRequest is gone. uWS allocates HttpRequest on the stack and
 * invalidates it when the route handler returns, so the adapter copies the method, path and the few headers the
 * pipeline reads into this object first. Every field is assigned in the constructor (one hidden class, stable
 * shape); `null` means "not yet known".
 */
import type { ErrorSpec } from '../errors.js';
import type { BodyCollector } from './body-reader.js';
import type { ProxyTrust } from './client-address.js';
import type { HttpResponse } from './uws.js';

/** The user a request is associated with. The store's row, reduced to what permissions and handlers read. */
export interface AuthenticatedUser {
  readonly id: number;
  readonly username: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
}

/** What authentication associated with the request: the user and what they authenticated with. */
export interface Credentials {
  readonly user: AuthenticatedUser;
  /** Name of the scheme that recognised the request ("jwt", "basic", "apikey", or a custom scheme's). */
  readonly scheme: string;
  /** The verified token claims (JWT) or the key id (API key), when the scheme has one. */
  readonly token: Readonly<Record<string, unknown>> | null;
}

export class RequestContext {
  /** Upper-case method as sent. */
  readonly method: string;
  readonly path: string;
  /** Raw query string without '?'; '' unless the route declared `query: true` (or for a redirect). */
  query: string;
  /** The Authorization header; several are joined with ',' as a WSGI server joins them (server.ts). */
  readonly authorization: string;
  readonly contentType: string;
  readonly contentLength: string;
  readonly transferEncoding: string;
  readonly accept: string;
  readonly forwardedFor: string;
  readonly requestId: string;
  readonly startedAt: number;
  /** Route parameters, decoded, in pattern order. */
  params: readonly string[];
  credentials: Credentials | null;
  /** The parsed JSON body (an object) once read; null for requests without one. */
  body: Record<string, unknown> | null;
  /** Raw body bytes, for handlers that want them. */
  rawBody: Buffer | null;
  /** Collects the body while the pipeline runs (routes that read one); null otherwise. */
  bodyCollector: BodyCollector | null;
  /** What the matched path does with this method: 0 handler, 1 automatic OPTIONS, 2 method not allowed. */
  target: number;
  /** Headers every reply to this request carries (RateLimit-*), as [name, value, …]; null when none. */
  responseHeaders: string[] | null;
  /** Status answered, for the access log. 0 until answered. */
  status: number;
  /** Headers the route declared (its schemes' and its own `headers`), by lower-case name; null when none. */
  headers: Readonly<Record<string, string>> | null;
  /** The error of the table answered by the pipeline or the handler (for observers: metrics); null otherwise. */
  error: ErrorSpec | null;
  aborted: boolean;
  private peer: string | null;
  private client: string | null;

  constructor(
    readonly res: HttpResponse,
    private readonly proxyTrust: ProxyTrust,
    method: string,
    path: string,
    query: string,
    authorization: string,
    contentType: string,
    contentLength: string,
    transferEncoding: string,
    accept: string,
    forwardedFor: string,
    requestId: string,
    startedAt: number,
  ) {
    this.method = method;
    this.path = path;
    this.query = query;
    this.authorization = authorization;
    this.contentType = contentType;
    this.contentLength = contentLength;
    this.transferEncoding = transferEncoding;
    this.accept = accept;
    this.forwardedFor = forwardedFor;
    this.requestId = requestId;
    this.startedAt = startedAt;
    this.params = EMPTY_PARAMS;
    this.credentials = null;
    this.body = null;
    this.rawBody = null;
    this.bodyCollector = null;
    this.target = 0;
    this.responseHeaders = null;
    this.status = 0;
    this.headers = null;
    this.error = null;
    this.aborted = false;
    this.peer = null;
    this.client = null;
  }

  /**
   * A request header the route declared (RouteDefinition.headers or a scheme's `headers`), '' when the request
   * has none. Throws for an undeclared name: uWS has freed the request's headers by the time anything reads them.
   */
  header(name: string): string {
    const value = this.headers === null ? undefined : this.headers[name];
    if (value === undefined)
      throw new Error(
        `header "${name}" was not declared by the route or its schemes (RouteDefinition.headers, scheme.headers)`,
      );
    return value;
  }

  get user(): AuthenticatedUser | null {
    return this.credentials === null ? null : this.credentials.user;
  }

  /**
   * The socket peer's address as text. Read lazily (most requests never need it) but only while the response
   * is still open: uWS invalidates `res` once it has ended or aborted.
   */
  peerAddress(): string {
    if (this.peer === null)
      this.peer = this.aborted || this.status !== 0 ? '' : decodePeer(this.res.getRemoteAddress());
    return this.peer;
  }

  /** The client's address: the peer, or what trusted proxies reported in X-Forwarded-For. */
  clientAddress(): string {
    if (this.client === null)
      this.client = this.proxyTrust.clientAddress(this.peerAddress(), this.forwardedFor);
    return this.client;
  }
}

const EMPTY_PARAMS: readonly string[] = Object.freeze([]);

/** Formats uWS's binary peer address: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped addresses shown as IPv4). */
export function decodePeer(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  if (bytes.length === 4) return ipv4Text(bytes, 0);
  if (bytes.length !== 16) return '';
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped) return ipv4Text(bytes, 12);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return compressIpv6(groups);
}

/**
 * The dotted text of an IPv4 address, memoised: the same few addresses (a proxy, busy clients) come back on
 * every request, and a Map lookup by the 32-bit value is cheaper than formatting four numbers. Bounded.
 */
const ipv4Texts = new Map<number, string>();

function ipv4Text(bytes: Uint8Array, at: number): string {
  const value = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  let text = ipv4Texts.get(value);
  if (text === undefined) {
    text = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
    if (ipv4Texts.size >= 65_536) ipv4Texts.clear();
    ipv4Texts.set(value, text);
  }
  return text;
}

/** RFC 5952 text form: the longest run (≥2) of zero groups becomes "::". */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return groups.slice(0, bestStart).join(':') + '::' + groups.slice(bestStart + bestLength).join(':');
}
