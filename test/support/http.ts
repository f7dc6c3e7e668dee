/** Small HTTP helpers for end-to-end tests: fetch with JSON, and raw requests over a socket. */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: unknown;
}

export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; rawBody?: string | Buffer } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | Buffer | undefined;
  if (init.rawBody !== undefined) body = init.rawBody;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
  /** Header lines, lower-cased names, in order (repeated headers kept). */
  readonly headers: readonly [string, string][];
}

/**
 * Sends bytes exactly as given (duplicate headers, odd framing) and reads one response. Resolves with status 0
 * when the server closes the connection without answering.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return resolve({ status: 0, head: text, body: '', headers: [] });
      const head = text.slice(0, split);
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = lines.map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
      });
      const length = Number(headers.find(([k]) => k === 'content-length')?.[1] ?? 0);
      const body = Buffer.from(text.slice(split + 4), 'latin1')
        .subarray(0, length)
        .toString('utf8');
      resolve({ status: Number(statusLine!.split(' ')[1]), head, body, headers });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split >= 0) {
        const m = /content-length:\s*(\d+)/i.exec(text.slice(0, split));
        const length = m ? Number(m[1]) : 0;
        if (Buffer.byteLength(text.slice(split + 4), 'latin1') >= length) {
          socket.end();
          finish();
        }
      }
    });
    socket.on('close', () => finish());
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (chunks.length > 0) finish();
      else reject(error);
    });
    socket.write(bytes);
  });
}

/**
 * One request on a new TCP connection (node:http without an agent), so the kernel's SO_REUSEPORT hashing
 * spreads a batch of them over the worker processes. Optionally from another loopback source address.
 */
export function requestOnNewConnection(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; localAddress?: string } = {},
): Promise<{ status: number; text: string; headers: import('node:http').IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = { ...init.headers, connection: 'close' };
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const req = httpRequest(
      url,
      {
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent: false,
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
