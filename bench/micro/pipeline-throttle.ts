/**
 * The pipeline's own cost of a throttle, without HTTP noise: decisions per second of Pipeline.run for a protected
 * route (JWT from the verified-token cache + user cache + IsAuthenticated) with and without a scoped throttle
 * whose limit is never reached (every request admitted and recorded in the in-process twin of the shared-memory
 * store, same code). A new RequestContext per request, as the server makes one. Complements
 * bench/http/throttle-ratio.ts, whose figures on a small shared machine are dominated by noise.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/micro/pipeline-throttle.js [requestsPerRound=1000000] [rounds=5]
 */
import { availableParallelism, cpus } from 'node:os';
import { jwtSettingsOf } from '../../src/app/build-app.js';
import { createSigner, createVerifier } from '../../src/auth/jwt/index.js';
import { createJwtAuthentication } from '../../src/auth/schemes/jwt-authentication.js';
import { UserCache } from '../../src/auth/user-cache.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ProxyTrust } from '../../src/http/client-address.js';
import { RequestContext } from '../../src/http/request-context.js';
import type { HttpResponse } from '../../src/http/uws.js';
import { IsAuthenticated, AllowAny } from '../../src/policies/permissions.js';
import { ThrottleRegistry } from '../../src/policies/throttles.js';
import { compileRoutes, type CompiledRoute } from '../../src/pipeline/compile-routes.js';
import { defineRoute } from '../../src/pipeline/define-route.js';
import { Pipeline, type PipelineSink } from '../../src/pipeline/pipeline.js';
import { constantReply } from '../../src/pipeline/replies.js';
import type { UserStore } from '../../src/store/types.js';
import { createInProcessThrottleStore } from '../../src/store/throttle/in-process-throttle-store.js';

const requestsPerRound = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);

const config = loadConfig({
  env: {
    GATEHOUSE_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789abcdef',
    GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=100000/min,limited=5/min,bench=1000000000/min',
  },
});
const jwt = jwtSettingsOf(config);
const now = Math.floor(Date.now() / 1000);
const token = createSigner(jwt).sign({
  token_type: 'access',
  exp: now + 3600,
  iat: now,
  jti: 'a'.repeat(32),
  user_id: 1,
});
const userRecord = {
  id: 1,
  username: 'bench',
  passwordHash: '!',
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  dateJoined: '',
  lastLogin: null,
  tokensNotBefore: 0,
};
const users = new UserCache({ findById: () => userRecord } as unknown as UserStore, () => null, null);
const scheme = createJwtAuthentication({
  verifier: createVerifier(jwt, 'access'),
  users,
  headerTypes: ['Bearer'],
  userIdClaim: 'user_id',
});
const throttles = new ThrottleRegistry(config.throttle);
const store = createInProcessThrottleStore(throttles.allRules(), { capacity: 1024 });
const reply = constantReply(200, { message: 'hello' });
const router = compileRoutes(
  [
    defineRoute({
      method: 'GET',
      path: '/throttled/',
      permission: IsAuthenticated,
      throttles: [{ scope: 'bench' }],
      handler: () => reply,
    }),
    defineRoute({
      method: 'GET',
      path: '/unthrottled/',
      permission: IsAuthenticated,
      throttles: [],
      handler: () => reply,
    }),
  ],
  {
    schemes: new Map([['jwt', scheme]]),
    defaults: { authentication: ['jwt'], permission: AllowAny, throttles: [] },
    throttles,
    ignoreInvalidCredentialsOnPublicRoutes: false,
  },
);
const routeOf = (path: string): CompiledRoute => router.match(path).entry!.byMethod.get('GET')!;

let proceeded = 0;
const sink: PipelineSink = {
  proceed: () => void proceeded++,
  fail: (_c, _r, error) => {
    throw new Error(`refused: ${error.body}`);
  },
  crash: (_c, _r, error) => {
    throw error;
  },
};
const pipeline = new Pipeline(sink, { store, storeIsSynchronous: true, rateLimitHeaders: false });
const res = { getRemoteAddress: () => new Uint8Array([127, 0, 0, 1]).buffer } as unknown as HttpResponse;
const trust = new ProxyTrust([]);
const authorization = `Bearer ${token}`;

function round(route: CompiledRoute): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < requestsPerRound; i++) {
    const ctx = new RequestContext(
      res,
      trust,
      'GET',
      route.pattern,
      '',
      authorization,
      '',
      '',
      '',
      '',
      '',
      'b-1',
      0,
    );
    pipeline.run(ctx, route);
  }
  return (requestsPerRound * 1e9) / Number(process.hrtime.bigint() - start);
}

const results = { throttled: [] as number[], unthrottled: [] as number[] };
round(routeOf('/throttled/'));
round(routeOf('/unthrottled/'));
for (let r = 0; r < rounds; r++) {
  for (const name of (r % 2 === 0
    ? ['unthrottled', 'throttled']
    : ['throttled', 'unthrottled']) as (keyof typeof results)[]) {
    results[name].push(round(routeOf(`/${name}/`)));
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `Pipeline decisions per second, one process (${cpus()[0]?.model ?? 'CPU'}, ${availableParallelism()} cores, Node ${process.version}, ${rounds} × ${requestsPerRound} per route, median)\n`,
);
console.log('| route | decisions/s | ns/decision |');
console.log('| --- | ---: | ---: |');
for (const [name, xs] of Object.entries(results))
  console.log(`| ${name} | ${Math.round(median(xs))} | ${(1e9 / median(xs)).toFixed(0)} |`);
console.log(
  `\nratio throttled / unthrottled: ${(median(results.throttled) / median(results.unthrottled)).toFixed(3)}; proceeded ${proceeded}`,
);
