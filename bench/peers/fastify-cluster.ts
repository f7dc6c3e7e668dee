/**
 * What a Node user would deploy otherwise: Fastify 5 with @fastify/jwt (fast-jwt underneath) and
 * @fastify/rate-limit, one worker per core on node:cluster (the primary accepts connections and hands them to
 * workers round-robin, Node's default on Linux). It answers the benchmark's routes with the same bodies as
 * Gatehouse and verifies the same HS256 tokens (same secret, from BENCH_JWT_SECRET):
 *   GET /api/public/   anonymous, rate-limited by address (limit never reached)
 *   GET /api/hello/    JWT (HS256, exp checked, token_type must be "access"), rate-limited by user (never reached)
 *   GET /api/limited/  the same with a low limit (LOW_LIMIT_PER_MINUTE)
 * Authentication runs in onRequest and the rate limit in preHandler, the order DRF and Gatehouse use.
 * @fastify/rate-limit's default store is a per-process LRU map: with N workers a client gets up to N times the
 * limit (like DRF's default local-memory cache); Gatehouse's shared-memory store keeps one exact count.
 * Fastify writes its own headers (`application/json; charset=utf-8`, no security headers).
 *
 *   BENCH_JWT_SECRET=… node dist/bench/peers/fastify-cluster.js --workers N
 */
import cluster from 'node:cluster';
import fastifyJwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { findFreePort } from './free-port.js';
import {
  LOW_LIMIT_PER_MINUTE,
  NEVER_REACHED_PER_MINUTE,
  NOT_AUTHENTICATED_BODY,
  SUCCESS_BODIES,
  TOKEN_NOT_VALID_BODY,
  logLine,
  throttledBody,
  workersArgument,
} from './peer-contract.js';

const PORT_VARIABLE = 'BENCH_FASTIFY_PORT';
const CHALLENGE = 'Bearer realm="api"';

interface AccessClaims {
  readonly token_type?: unknown;
  readonly user_id?: unknown;
}

class ThrottledError extends Error {
  constructor(readonly waitSeconds: number) {
    super('throttled');
  }
}

async function serve(port: number, secret: string): Promise<void> {
  const app = Fastify({ logger: false });
  await app.register(fastifyJwt, { secret, verify: { algorithms: ['HS256'] } });
  await app.register(rateLimit, {
    global: false,
    // DRF (and Gatehouse by default) send only Retry-After with a 429.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': true,
    },
    errorResponseBuilder: (_request, context) =>
      new ThrottledError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    if (error instanceof ThrottledError)
      return reply.code(429).type('application/json').send(throttledBody(error.waitSeconds));
    if (error.statusCode === 401) {
      const body =
        error.code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER' ? NOT_AUTHENTICATED_BODY : TOKEN_NOT_VALID_BODY;
      return reply.code(401).header('www-authenticate', CHALLENGE).type('application/json').send(body);
    }
    return reply.code(500).type('application/json').send('{"detail":"A server error occurred."}');
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await request.jwtVerify();
    // simplejwt refuses a refresh token presented as an access token; so does Gatehouse.
    if ((request.user as AccessClaims).token_type !== 'access') {
      await reply
        .code(401)
        .header('www-authenticate', CHALLENGE)
        .type('application/json')
        .send(TOKEN_NOT_VALID_BODY);
    }
  };
  const byUser = (request: FastifyRequest): string =>
    'user:' + String((request.user as AccessClaims).user_id);
  const perMinute = (max: number, keyGenerator?: (request: FastifyRequest) => string) => ({
    rateLimit: {
      max,
      timeWindow: 60_000,
      hook: 'preHandler' as const,
      ...(keyGenerator ? { keyGenerator } : {}),
    },
  });

  const PUBLIC = SUCCESS_BODIES['/api/public/']!;
  const LIMITED = SUCCESS_BODIES['/api/limited/']!;
  app.get('/api/public/', { config: perMinute(NEVER_REACHED_PER_MINUTE) }, async (_request, reply) =>
    reply.type('application/json').send(PUBLIC),
  );
  app.get(
    '/api/hello/',
    { onRequest: authenticate, config: perMinute(NEVER_REACHED_PER_MINUTE, byUser) },
    async (request, reply) =>
      reply
        .type('application/json')
        .send('{"message":"hello","user_id":' + Number((request.user as AccessClaims).user_id) + '}'),
  );
  app.get(
    '/api/limited/',
    { onRequest: authenticate, config: perMinute(LOW_LIMIT_PER_MINUTE, byUser) },
    async (_request, reply) => reply.type('application/json').send(LIMITED),
  );

  await app.listen({ host: '127.0.0.1', port });
  process.send!({ type: 'ready' });
}

async function supervise(workers: number): Promise<void> {
  const port = await findFreePort();
  let ready = 0;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let alive = workers;
  for (let slot = 0; slot < workers; slot++) {
    const worker = cluster.fork({ [PORT_VARIABLE]: String(port) });
    worker.on('message', () => {
      logLine({ msg: 'worker ready', slot, workerPid: worker.process.pid });
      if (++ready === workers) logLine({ msg: 'listening', port });
    });
    worker.on('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`fastify-cluster: worker ${slot} exited (${signal ?? code})\n`);
        process.exitCode = 1;
        stop();
      }
      if (--alive === 0) process.exit();
    });
  }
}

if (cluster.isPrimary) {
  if (!process.env['BENCH_JWT_SECRET']) throw new Error('BENCH_JWT_SECRET must hold the HS256 secret');
  await supervise(workersArgument(process.argv));
} else {
  process.on('disconnect', () => process.exit(0));
  await serve(Number(process.env[PORT_VARIABLE]), process.env['BENCH_JWT_SECRET']!);
}
