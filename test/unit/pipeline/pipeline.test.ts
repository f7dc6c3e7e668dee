/**
 * The pipeline's decisions with fake schemes and a recording sink: DRF's order (authenticate → permit →
 * throttle), the first scheme that recognises a request deciding, the 401/403 rule and its challenge, the
 * option that lets public routes ignore bad credentials, throttles (only admitted requests counted, the longest
 * wait reported, Retry-After, RateLimit-* headers), and the asynchronous continuation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticationFailed, defineScheme } from '../../../src/auth/schemes/define-scheme.js';
import { ERRORS, type ErrorSpec } from '../../../src/errors.js';
import type { Credentials, RequestContext } from '../../../src/http/request-context.js';
import {
  AllowAny,
  definePermission,
  IsAdminUser,
  IsAuthenticated,
  permission,
} from '../../../src/policies/permissions.js';
import { ThrottleRegistry } from '../../../src/policies/throttles.js';
import { compileRoutes, type CompiledRoute } from '../../../src/pipeline/compile-routes.js';
import { defineRoute, type RouteDefinition } from '../../../src/pipeline/define-route.js';
import { Pipeline, type PipelineSink } from '../../../src/pipeline/pipeline.js';
import { constantReply } from '../../../src/pipeline/replies.js';
import type { AuthenticationScheme } from '../../../src/pipeline/types.js';
import { createInProcessThrottleStore } from '../../../src/store/throttle/in-process-throttle-store.js';
import { ALICE, fakeContext, STAFF, type FakeRequest } from './fake-context.js';

type Outcome =
  | { kind: 'proceed' }
  | { kind: 'fail'; error: ErrorSpec; extra: readonly string[] | null }
  | { kind: 'crash'; error: unknown };

/** Records what the pipeline decided; `settled` resolves on the first decision (for the asynchronous path). */
class RecordingSink implements PipelineSink {
  outcome: Outcome | null = null;
  private resolve: (() => void) | null = null;
  readonly settled = new Promise<void>((r) => (this.resolve = r));
  fail(_ctx: RequestContext, _route: CompiledRoute, error: ErrorSpec, extra: readonly string[] | null): void {
    this.record({ kind: 'fail', error, extra });
  }
  proceed(): void {
    this.record({ kind: 'proceed' });
  }
  crash(_ctx: RequestContext, _route: CompiledRoute, error: unknown): void {
    this.record({ kind: 'crash', error });
  }
  private record(outcome: Outcome): void {
    assert.equal(this.outcome, null, 'the pipeline decided twice');
    this.outcome = outcome;
    this.resolve?.();
  }
}

/** A scheme recognising `Fake <user>`: alice / root authenticate, anything else is refused. */
function fakeScheme(
  name: string,
  challenge: string | null,
  options: { async?: boolean; word?: string } = {},
): AuthenticationScheme & { calls: number } {
  const word = (options.word ?? 'Fake') + ' ';
  const scheme = {
    name,
    challenge,
    calls: 0,
    authenticate(ctx: RequestContext) {
      scheme.calls++;
      let result: Credentials | ErrorSpec | null = null;
      if (ctx.authorization.startsWith(word)) {
        const who = ctx.authorization.slice(word.length);
        result =
          who === 'alice'
            ? { ...ALICE, scheme: name }
            : who === 'root'
              ? { ...STAFF, scheme: name }
              : authenticationFailed(`Bad ${name}.`);
      }
      return options.async ? Promise.resolve(result) : result;
    },
  };
  return scheme;
}

const RATES = { anon: '2/min', user: '3/min', limited: '1/min', burst: '2/min', slow: '5/min' };
const OK = constantReply(200, { ok: true });

function setUp(
  definition: Omit<RouteDefinition, 'method' | 'path' | 'handler'>,
  options: {
    schemes?: AuthenticationScheme[];
    ignoreInvalid?: boolean;
    rateLimitHeaders?: boolean;
    now?: () => number;
  } = {},
) {
  const schemes = options.schemes ?? [fakeScheme('fake', 'Fake realm="api"')];
  const throttles = new ThrottleRegistry({
    rates: RATES,
    rateLimitHeaders: false,
    capacity: 1024,
    loginRateByUsername: null,
    loginRateByIp: null,
  });
  const store = createInProcessThrottleStore(throttles.allRules(), { capacity: 1024 });
  const router = compileRoutes(
    [defineRoute({ method: ['GET', 'POST'], path: '/test/', handler: () => OK, ...definition })],
    {
      schemes: new Map(schemes.map((s) => [s.name, s])),
      defaults: { authentication: [schemes[0]!.name], permission: AllowAny, throttles: [] },
      throttles,
      ignoreInvalidCredentialsOnPublicRoutes: options.ignoreInvalid ?? false,
    },
  );
  const route = router.match('/test/').entry!.byMethod.get('GET')!;
  const run = async (request: FakeRequest = {}) => {
    const sink = new RecordingSink();
    const pipeline = new Pipeline(sink, {
      store,
      storeIsSynchronous: true,
      rateLimitHeaders: options.rateLimitHeaders ?? false,
      ...(options.now ? { now: options.now } : {}),
    });
    const ctx = fakeContext(request);
    pipeline.run(ctx, route);
    await sink.settled;
    return { outcome: sink.outcome!, ctx, synchronous: sink.outcome !== null };
  };
  return { route, run };
}

const failed = (outcome: Outcome): ErrorSpec => {
  assert.equal(outcome.kind, 'fail', JSON.stringify(outcome));
  return (outcome as { error: ErrorSpec }).error;
};

describe('pipeline: compile-time shape', () => {
  it('a route without schemes, permission and throttles skips the pipeline', () => {
    const { route } = setUp({ authentication: [], throttles: [] });
    assert.equal(route.skipPipeline, true);
    assert.equal(route.permission, null);
  });

  it('AllowAny compiles to no permission stage; the challenge is the first scheme’s', () => {
    const { route } = setUp(
      { authentication: ['b', 'a'] },
      { schemes: [fakeScheme('a', 'A'), fakeScheme('b', 'B')] },
    );
    assert.equal(route.permission, null);
    assert.equal(route.challenge, 'B');
    assert.deepEqual(
      route.authenticators!.map((s) => s.name),
      ['b', 'a'],
    );
  });

  it('refuses an unknown scheme name at start-up, listing the known ones', () => {
    assert.throws(
      () => setUp({ authentication: ['nope'] }),
      /unknown authentication scheme "nope" \(known: fake\)/,
    );
  });

  it('collects the headers its schemes and its handler declared', () => {
    const headed = defineScheme({
      name: 'headed',
      challenge: null,
      headers: ['x-test-key'],
      authenticate: () => null,
    });
    const { route } = setUp({ headers: ['if-match', 'x-test-key'] }, { schemes: [headed] });
    assert.deepEqual(route.requestHeaders, ['x-test-key', 'if-match']);
    assert.equal(setUp({}).route.requestHeaders, null);
  });
});

describe('pipeline: authentication', () => {
  it('anonymous on a public route proceeds, synchronously', async () => {
    const { run } = setUp({});
    const { outcome, ctx } = await run();
    assert.deepEqual(outcome, { kind: 'proceed' });
    assert.equal(ctx.credentials, null);
  });

  it('valid credentials are attached to the request', async () => {
    const { run } = setUp({ permission: IsAuthenticated });
    const { outcome, ctx } = await run({ authorization: 'Fake alice' });
    assert.deepEqual(outcome, { kind: 'proceed' });
    assert.equal(ctx.credentials?.user.username, 'alice');
  });

  it('bad credentials fail the request with 401, even on a public route (DRF)', async () => {
    const { run } = setUp({});
    const error = failed((await run({ authorization: 'Fake mallory' })).outcome);
    assert.equal(error.status, 401);
    assert.equal(error.body, '{"detail":"Bad fake."}');
    assert.equal(error.challenge, true);
  });

  it('ignoreInvalidCredentialsOnPublicRoutes: bad credentials are anonymous on public routes only', async () => {
    const open = setUp({}, { ignoreInvalid: true });
    const { outcome, ctx } = await open.run({ authorization: 'Fake mallory' });
    assert.deepEqual(outcome, { kind: 'proceed' });
    assert.equal(ctx.credentials, null);
    const closed = setUp({ permission: IsAuthenticated }, { ignoreInvalid: true });
    assert.equal(
      failed((await closed.run({ authorization: 'Fake mallory' })).outcome).body,
      '{"detail":"Bad fake."}',
    );
  });

  it('the first scheme that recognises the request decides; later ones are not asked', async () => {
    const first = fakeScheme('first', 'First', { word: 'One' });
    const second = fakeScheme('second', 'Second', { word: 'Two' });
    const third = fakeScheme('third', 'Third', { word: 'Two' });
    const { run } = setUp(
      { authentication: ['first', 'second', 'third'], permission: IsAuthenticated },
      { schemes: [first, second, third] },
    );
    const { ctx } = await run({ authorization: 'Two alice' });
    assert.equal(ctx.credentials?.scheme, 'second');
    assert.deepEqual([first.calls, second.calls, third.calls], [1, 1, 0]);
    // A scheme that recognises but refuses stops the search too.
    const error = failed((await run({ authorization: 'Two mallory' })).outcome);
    assert.equal(error.body, '{"detail":"Bad second."}');
    assert.equal(third.calls, 0);
  });

  it('asynchronous schemes: success, refusal, and "not mine" continuing with the next scheme', async () => {
    const slow = fakeScheme('slow', 'Slow', { async: true, word: 'Slow' });
    const quick = fakeScheme('quick', 'Quick', { word: 'Quick' });
    const { run } = setUp(
      { authentication: ['slow', 'quick'], permission: IsAuthenticated },
      { schemes: [slow, quick] },
    );
    assert.equal((await run({ authorization: 'Slow alice' })).ctx.credentials?.scheme, 'slow');
    assert.equal(
      failed((await run({ authorization: 'Slow mallory' })).outcome).body,
      '{"detail":"Bad slow."}',
    );
    assert.equal((await run({ authorization: 'Quick alice' })).ctx.credentials?.scheme, 'quick');
  });

  it('a permission that throws after an asynchronous scheme is a crash of the request, not an unhandled rejection', async () => {
    const slow = fakeScheme('slow', 'Slow', { async: true, word: 'Slow' });
    const boom = permission(() => {
      throw new Error('boom');
    });
    const { run } = setUp({ permission: boom }, { schemes: [slow] });
    const { outcome } = await run({ authorization: 'Slow alice' });
    assert.equal(outcome.kind, 'crash');
  });
});

describe('pipeline: the 401 / 403 rule', () => {
  it('anonymous on a protected route: 401 not authenticated, with the challenge', async () => {
    const { run } = setUp({ permission: IsAuthenticated });
    assert.equal(failed((await run()).outcome), ERRORS.not_authenticated);
  });

  it('authenticated but not permitted: 403, no challenge; a custom permission’s message', async () => {
    const { run } = setUp({ permission: IsAdminUser });
    const denied = failed((await run({ authorization: 'Fake alice' })).outcome);
    assert.equal(denied, ERRORS.permission_denied);
    assert.equal(denied.challenge, false);
    assert.deepEqual((await run({ authorization: 'Fake root' })).outcome, { kind: 'proceed' });
    const custom = setUp({
      permission: definePermission({ message: 'Not on Sundays.', hasPermission: () => false }),
    });
    const error = failed((await custom.run({ authorization: 'Fake alice' })).outcome);
    assert.equal(error.status, 403);
    assert.equal(error.body, '{"detail":"Not on Sundays."}');
  });

  it('a route whose first scheme has no challenge answers 403 where others answer 401', async () => {
    const quiet = fakeScheme('quiet', null);
    const { run, route } = setUp({ permission: IsAuthenticated }, { schemes: [quiet] });
    assert.equal(route.challenge, null);
    const anonymous = failed((await run()).outcome);
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.body, ERRORS.not_authenticated.body);
    const bad = failed((await run({ authorization: 'Fake mallory' })).outcome);
    assert.equal(bad.status, 403);
    assert.equal(bad.body, '{"detail":"Bad quiet."}');
  });

  it('a route without schemes answers 403 to anonymous requests (DRF: no authenticators, PermissionDenied)', async () => {
    const { run } = setUp({ authentication: [], permission: IsAuthenticated });
    assert.equal(failed((await run()).outcome), ERRORS.permission_denied);
  });
});

describe('pipeline: throttles', () => {
  it('counts admitted requests only and answers 429 with Retry-After', async () => {
    let now = 1_000_000;
    const { run } = setUp({ throttles: ['anon'] }, { now: () => now });
    const peer = { peer: '192.0.2.1' };
    assert.deepEqual((await run(peer)).outcome, { kind: 'proceed' });
    assert.deepEqual((await run(peer)).outcome, { kind: 'proceed' });
    now += 20_000;
    const refused = (await run(peer)).outcome as { kind: 'fail'; error: ErrorSpec; extra: string[] };
    assert.equal(refused.error.status, 429);
    assert.equal(refused.error.body, '{"detail":"Request was throttled. Expected available in 40 seconds."}');
    assert.deepEqual(refused.extra, ['Retry-After', '40']);
    // Refused requests were not recorded: a period after the first admission, one is admitted again.
    for (let i = 0; i < 5; i++) await run(peer);
    now += 40_000;
    assert.deepEqual((await run(peer)).outcome, { kind: 'proceed' });
    // Other clients have their own bucket; users are not throttled by anon.
    assert.deepEqual((await run({ peer: '192.0.2.2' })).outcome, { kind: 'proceed' });
  });

  it('an anonymous request refused by permissions uses no quota', async () => {
    const { run } = setUp({
      permission: IsAuthenticated,
      throttles: [{ scope: 'limited', key: () => 'everyone' }],
    });
    for (let i = 0; i < 3; i++) assert.equal(failed((await run()).outcome), ERRORS.not_authenticated);
    assert.deepEqual((await run({ authorization: 'Fake alice' })).outcome, { kind: 'proceed' });
    assert.equal(failed((await run({ authorization: 'Fake alice' })).outcome).status, 429);
  });

  it('several throttles: admitted only when all admit; the longest wait is reported', async () => {
    let now = 5_000_000;
    const { run } = setUp({ throttles: [{ scope: 'burst' }, { scope: 'slow' }] }, { now: () => now });
    const peer = { peer: '192.0.2.3' };
    await run(peer);
    now += 10_000;
    await run(peer);
    now += 5_000;
    const refused = (await run(peer)).outcome as { kind: 'fail'; error: ErrorSpec; extra: string[] };
    // burst (2/min) refuses: its oldest entry leaves in 45 s; slow (5/min) would admit.
    assert.deepEqual(refused.extra, ['Retry-After', '45']);
  });

  it('a throttle whose key is null does not apply', async () => {
    const { run } = setUp({ throttles: ['anon'] });
    for (let i = 0; i < 5; i++)
      assert.deepEqual((await run({ authorization: 'Fake alice' })).outcome, { kind: 'proceed' });
  });

  it('RateLimit-* headers on admitted and refused requests when enabled', async () => {
    const now = 9_000_000;
    const { run } = setUp(
      { throttles: [{ scope: 'burst', key: () => 'rl' }] },
      { rateLimitHeaders: true, now: () => now },
    );
    const first = await run();
    assert.deepEqual(first.ctx.responseHeaders, [
      'RateLimit-Limit',
      '2',
      'RateLimit-Remaining',
      '1',
      'RateLimit-Reset',
      '60',
    ]);
    const second = await run();
    assert.deepEqual(second.ctx.responseHeaders, [
      'RateLimit-Limit',
      '2',
      'RateLimit-Remaining',
      '0',
      'RateLimit-Reset',
      '60',
    ]);
    const refused = (await run()).outcome as { kind: 'fail'; error: ErrorSpec; extra: string[] };
    assert.deepEqual(refused.extra, [
      'Retry-After',
      '60',
      'RateLimit-Limit',
      '2',
      'RateLimit-Remaining',
      '0',
      'RateLimit-Reset',
      '60',
    ]);
  });
});
