/**
 * The JavaScript work of one request in a worker, in process and without sockets: Gatehouse's HTTP adapter
 * (src/http/server.ts) is handed stand-ins for uWS's HttpRequest and HttpResponse, and does everything it does
 * for a real request: copy the headers into a RequestContext, match the route, run the pipeline
 * (authenticate → permit → throttle) and the handler, and write the answer. What is left out is exactly what
 * the bare-uWS ceiling measures (HTTP parsing, the syscalls, uWS's native writes), so
 *   expected share of the ceiling ≈ T_uws / (T_uws + T_js), with T_uws = 1 / (ceiling req/s per core).
 * Then the stages alone, to see where the time of a protected GET goes.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/micro/pipeline-per-request.js [secondsPerSample=0.3]
 */
import type { CompiledRoute } from '../../src/pipeline/compile-routes.js';
import type { HttpRequest, HttpResponse } from '../../src/http/uws.js';
import { RequestContext } from '../../src/http/request-context.js';
import { ProxyTrust } from '../../src/http/client-address.js';
import { newThrottleOutcome } from '../../src/store/throttle/throttle-store.js';
import { buildBenchApp } from './bench-app.js';
import { conditionsLine, markdownTable, measureInterleaved } from './measure-loop.js';

const SECONDS = Number(process.argv[2] ?? 0.3);
const DISTINCT_TOKENS = 1000;

/** uWS reports the peer as 16 bytes (IPv4-mapped IPv6 for 127.0.0.1). */
const LOOPBACK = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]).buffer;

/** Stand-in for uWS's HttpResponse: remembers the status and body, writes nowhere. */
class FakeResponse {
  status = '';
  body = '';
  /** A new response: uWS answers 200 OK when the handler writes no status (Gatehouse writes none for 200). */
  reset(): void {
    this.status = '200 OK';
    this.body = '';
  }
  writeStatus(status: string): this {
    this.status = status;
    return this;
  }
  writeHeader(): this {
    return this;
  }
  end(body?: string): this {
    this.body = body ?? '';
    return this;
  }
  endWithoutBody(): this {
    return this;
  }
  cork(fn: () => void): this {
    fn();
    return this;
  }
  onAborted(): this {
    return this;
  }
  onData(): this {
    return this;
  }
  getRemoteAddress(): ArrayBuffer {
    return LOOPBACK;
  }
}

/** Stand-in for uWS's HttpRequest: a GET with the given headers (lower-case names, as uWS wants them). */
class FakeRequest {
  constructor(
    private readonly url: string,
    private readonly headers: Readonly<Record<string, string>>,
  ) {}
  getCaseSensitiveMethod(): string {
    return 'GET';
  }
  getMethod(): string {
    return 'get';
  }
  getUrl(): string {
    return this.url;
  }
  getQuery(): string | undefined {
    return undefined;
  }
  getHeader(name: string): string {
    return this.headers[name] ?? '';
  }
  forEach(visit: (key: string, value: string) => void): void {
    for (const [k, v] of Object.entries(this.headers)) visit(k, v);
  }
}

type OnRequest = (res: HttpResponse, req: HttpRequest) => void;
const COMMON_HEADERS = { host: '127.0.0.1:8000', accept: '*/*', 'user-agent': 'micro' };

const cached = await buildBenchApp();
const uncached = await buildBenchApp({ GATEHOUSE_VERIFIED_TOKEN_CACHE_SIZE: '0' });
const access = await cached.accessToken();
const accessUncached = await uncached.accessToken();
const manyTokens: string[] = [];
for (let i = 0; i < DISTINCT_TOKENS; i++) manyTokens.push(await uncached.accessToken());

// HttpServer's request callback is private: the benchmark calls the very function uWS would call.
const handlerOf = (bench: typeof cached): OnRequest => {
  const handler = (bench.app.server as unknown as { onRequest?: OnRequest }).onRequest;
  if (typeof handler !== 'function')
    throw new Error('HttpServer has no onRequest callback any more: update this benchmark');
  return handler;
};
const onRequest = handlerOf(cached);
const onRequestUncached = handlerOf(uncached);
const res = new FakeResponse();
const call = (handler: OnRequest, req: FakeRequest) => (): FakeResponse => {
  res.reset();
  handler(res as unknown as HttpResponse, req as unknown as HttpRequest);
  return res;
};

const requests = {
  public: new FakeRequest('/api/public/', COMMON_HEADERS),
  protected: new FakeRequest('/api/hello/', { ...COMMON_HEADERS, authorization: `Bearer ${access}` }),
  protectedUncached: new FakeRequest('/api/hello/', {
    ...COMMON_HEADERS,
    authorization: `Bearer ${accessUncached}`,
  }),
  throttled: new FakeRequest('/api/limited/', { ...COMMON_HEADERS, authorization: `Bearer ${access}` }),
  anonymous: new FakeRequest('/api/hello/', COMMON_HEADERS),
  notFound: new FakeRequest('/api/nothing-here/', COMMON_HEADERS),
};
const distinct = manyTokens.map(
  (t) => new FakeRequest('/api/hello/', { ...COMMON_HEADERS, authorization: `Bearer ${t}` }),
);
let next = 0;

// Check first: each request gets the answer it should (the throttled one after its few admitted requests).
const expect = (name: string, run: () => FakeResponse, status: string, body?: string): void => {
  const r = run();
  if (!r.status.startsWith(status) || (body !== undefined && r.body !== body))
    throw new Error(`${name}: got ${r.status} ${r.body}`);
};
expect('public', call(onRequest, requests.public), '200', '{"message":"hello"}');
expect(
  'protected',
  call(onRequest, requests.protected),
  '200',
  `{"message":"hello","user_id":${cached.userId}}`,
);
expect('protected, cache off', call(onRequestUncached, requests.protectedUncached), '200');
expect('distinct token', call(onRequestUncached, distinct[0]!), '200');
for (let i = 0; i < 20; i++) call(onRequest, requests.throttled)();
expect('throttled', call(onRequest, requests.throttled), '429');
expect('anonymous', call(onRequest, requests.anonymous), '401');
expect('not found', call(onRequest, requests.notFound), '404');

// The stages of a protected GET, alone.
const route = cached.app.router.match('/api/hello/').entry!.byMethod.get('GET')! as CompiledRoute;
const scheme = route.authenticators![0]!;
const throttle = route.throttles![0]!;
const proxyTrust = new ProxyTrust([]);
const contextFor = (authorization: string): RequestContext =>
  new RequestContext(
    res as unknown as HttpResponse,
    proxyTrust,
    'GET',
    '/api/hello/',
    '',
    authorization,
    '',
    '',
    '',
    '*/*',
    '',
    'micro-1',
    0,
  );
const protectedCtx = contextFor(`Bearer ${access}`);
const outcome = newThrottleOutcome();

const results = measureInterleaved(
  [
    { name: 'GET /api/public/ (anon throttle)', run: call(onRequest, requests.public) },
    { name: 'GET /api/hello/ (JWT, cache hit)', run: call(onRequest, requests.protected) },
    { name: 'GET /api/hello/ (JWT, cache off)', run: call(onRequestUncached, requests.protectedUncached) },
    {
      name: `GET /api/hello/ (${DISTINCT_TOKENS} tokens, cache off)`,
      run: () => call(onRequestUncached, distinct[next++ % DISTINCT_TOKENS]!)(),
    },
    { name: 'GET /api/limited/ → 429', run: call(onRequest, requests.throttled) },
    { name: 'GET /api/hello/ no token → 401', run: call(onRequest, requests.anonymous) },
    { name: 'GET /api/nothing-here/ → 404', run: call(onRequest, requests.notFound) },
    { name: 'stage: router.match', run: () => cached.app.router.match('/api/hello/').entry },
    { name: 'stage: new RequestContext', run: () => contextFor(`Bearer ${access}`) },
    { name: 'stage: JWT scheme (cache hit)', run: () => scheme.authenticate(protectedCtx) },
    {
      name: 'stage: user throttle hit',
      run: () => cached.shared.throttleStore.hit(throttle.rule, 'user:1', Date.now(), outcome),
    },
  ],
  { seconds: SECONDS, samples: 5, warmupSeconds: 0.3 },
);

console.log(
  `pipeline-per-request: Gatehouse's request callback with stand-in uWS objects, ${SECONDS} s per sample, median of 5`,
);
console.log(conditionsLine());
console.log('');
console.log(
  markdownTable(results, {
    'GET /api/public/ (anon throttle)': 'adapter + router + anon throttle (peer address) + reply',
    'GET /api/hello/ (JWT, cache hit)':
      'adapter + router + JWT (verified-token cache) + user + IsAuthenticated + user throttle + reply',
    'GET /api/hello/ (JWT, cache off)': 'the same, HMAC-SHA256 verified on every request',
    [`GET /api/hello/ (${DISTINCT_TOKENS} tokens, cache off)`]:
      'the same with a new token string each request (parsing not warmed by one string)',
    'GET /api/limited/ → 429': 'the throttled path: JWT + refusal (not counted) + 429 answer',
    'stage: JWT scheme (cache hit)': 'header parse + verified-token cache + user cache',
  }),
);
await cached.close();
await uncached.close();
