/**
 * A small, exact load generator for the cluster tests: `concurrency` loops, each sending one request after the
 * other until stopped, every outcome recorded (status, or the error's code). Unlike a benchmarking tool it
 * never retries or hides a request whose connection broke: a reload "without failed requests" must be
 * measured request by request. Keep-alive connections by default, or a new connection per request.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadOptions {
  readonly port: number;
  readonly host?: string;
  /** HTTPS trusting this CA certificate (PEM); plain HTTP when absent. */
  readonly ca?: string;
  readonly concurrency: number;
  /** Requests are taken in turn from this list. */
  readonly requests: readonly LoadRequest[];
  /** A new connection for every request (`Connection: close`), instead of keep-alive. */
  readonly newConnectionPerRequest?: boolean;
  /** Hard bound on the number of requests (the loop also stops on stop()). */
  readonly maxRequests?: number;
  /** Called with every answer (for example to see which worker answered). */
  readonly onAnswer?: (status: number, headers: IncomingHttpHeaders, at: number) => void;
  readonly timeoutMs?: number;
}

export interface LoadResult {
  readonly total: number;
  readonly ok: number;
  /** Answers with a status outside 2xx, by status. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Requests that got no answer, by error code (ECONNRESET, ECONNREFUSED, socket hang up, timeout…). */
  readonly errors: Readonly<Record<string, number>>;
  readonly failed: number;
  readonly durationMs: number;
  /** Time (Date.now()) of every failure, to relate them to events. */
  readonly failureTimes: readonly number[];
}

export interface RunningLoad {
  stop(): Promise<LoadResult>;
  /** Answers and failures so far. */
  readonly counts: { total: number; ok: number; failed: number };
}

export function startLoad(options: LoadOptions): RunningLoad {
  const secure = options.ca !== undefined;
  const agent = options.newConnectionPerRequest
    ? false
    : secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: options.concurrency, ca: options.ca! })
      : new HttpAgent({ keepAlive: true, maxSockets: options.concurrency });
  const byStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const failureTimes: number[] = [];
  const counts = { total: 0, ok: 0, failed: 0 };
  const started = Date.now();
  let stopped = false;
  let next = 0;

  const once = (spec: LoadRequest): Promise<void> =>
    new Promise((resolve) => {
      const headers: Record<string, string> = { ...spec.headers };
      if (spec.body !== undefined) headers['content-type'] = 'application/json';
      if (options.newConnectionPerRequest) headers['connection'] = 'close';
      let settled = false;
      const fail = (code: string): void => {
        if (settled) return;
        settled = true;
        counts.total++;
        counts.failed++;
        errors[code] = (errors[code] ?? 0) + 1;
        failureTimes.push(Date.now());
        resolve();
      };
      const requestFn = secure ? httpsRequest : httpRequest;
      const req = requestFn(
        {
          host: options.host ?? '127.0.0.1',
          port: options.port,
          method: spec.method,
          path: spec.path,
          headers,
          agent,
          ...(secure && agent === false ? { ca: options.ca } : {}),
          timeout: options.timeoutMs ?? 10_000,
        },
        (res) => {
          res.resume();
          res.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            const status = res.statusCode ?? 0;
            counts.total++;
            if (status >= 200 && status < 300) counts.ok++;
            else {
              counts.failed++;
              byStatus[status] = (byStatus[status] ?? 0) + 1;
              failureTimes.push(Date.now());
            }
            options.onAnswer?.(status, res.headers, Date.now());
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      req.end(spec.body);
    });

  const loop = async (): Promise<void> => {
    while (!stopped && (options.maxRequests === undefined || next < options.maxRequests)) {
      const spec = options.requests[next++ % options.requests.length]!;
      await once(spec);
    }
  };
  const loops = Array.from({ length: options.concurrency }, loop);

  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      if (agent !== false) agent.destroy();
      return { ...counts, byStatus, errors, durationMs: Date.now() - started, failureTimes };
    },
  };
}
