/**
 * The public API applications build on (src/index.ts): what it exports, and the start-up checks of its
 * building blocks (defineRoute, defineScheme, declared headers, application modules), which must fail early and
 * name what is wrong.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as gatehouse from '../../../src/index.js';
import { callFactory, loadApplication } from '../../../src/app/load-application.js';
import { fakeContext } from './fake-context.js';

describe('public API', () => {
  it('exports the route, permission, reply, error and scheme building blocks', () => {
    for (const name of [
      'defineRoute',
      'json',
      'rawJson',
      'constantReply',
      'ERRORS',
      'fieldErrors',
      'AllowAny',
      'IsAuthenticated',
      'IsAdminUser',
      'IsAuthenticatedOrReadOnly',
      'and',
      'or',
      'not',
      'definePermission',
      'withMessage',
      'checkObjectPermission',
      'ObjectPermissionDenied',
      'defineScheme',
      'authenticationFailed',
      'createJwtAuthentication',
      'createBasicAuthentication',
      'createApiKeyAuthentication',
      'startServer',
      'validateCharFields',
      'thenMaybe',
    ]) {
      assert.ok(name in gatehouse, name);
    }
  });

  it('authenticationFailed builds DRF’s AuthenticationFailed (401 with the challenge)', () => {
    assert.deepEqual(gatehouse.authenticationFailed(), {
      status: 401,
      body: '{"detail":"Incorrect authentication credentials."}',
      challenge: true,
    });
    assert.equal(gatehouse.authenticationFailed('Bad key.').body, '{"detail":"Bad key."}');
  });
});

describe('defineScheme', () => {
  const authenticate = () => null;

  it('accepts a well-formed scheme and freezes it', () => {
    const scheme = gatehouse.defineScheme({
      name: 'test-key',
      challenge: 'TestKey realm="api"',
      headers: ['x-test-key'],
      authenticate,
    });
    assert.ok(Object.isFrozen(scheme));
    assert.deepEqual(scheme.headers, ['x-test-key']);
    assert.equal(gatehouse.defineScheme({ name: 'quiet', challenge: null, authenticate }).challenge, null);
  });

  it('refuses bad names, challenges, headers and a missing authenticate', () => {
    const bad = [
      { name: '', challenge: null, authenticate },
      { name: 'has space', challenge: null, authenticate },
      { name: 'x', challenge: '', authenticate },
      { name: 'x', challenge: 'A\r\nSet-Cookie: a=b', authenticate },
      { name: 'x', challenge: null, headers: ['X-Upper'], authenticate },
      { name: 'x', challenge: null, headers: ['bad header'], authenticate },
      { name: 'x', challenge: null },
    ];
    for (const scheme of bad)
      assert.throws(
        () => gatehouse.defineScheme(scheme as never),
        gatehouse.SchemeDefinitionError,
        JSON.stringify(scheme),
      );
  });
});

describe('defineRoute', () => {
  const handler = () => gatehouse.constantReply(200, {});

  it('refuses unknown methods, a missing handler and bad header names', () => {
    assert.throws(
      () => gatehouse.defineRoute({ method: 'BREW' as never, path: '/x/', handler }),
      /unknown method BREW/,
    );
    assert.throws(() => gatehouse.defineRoute({ method: [], path: '/x/', handler }), /no method/);
    assert.throws(
      () => gatehouse.defineRoute({ method: 'GET', path: '/x/', handler: 'nope' as never }),
      /handler must be a function/,
    );
    assert.throws(
      () => gatehouse.defineRoute({ method: 'GET', path: '/x/', headers: ['If-Match'], handler }),
      /lower-case header name/,
    );
    assert.ok(
      Object.isFrozen(gatehouse.defineRoute({ method: 'GET', path: '/x/', headers: ['if-match'], handler })),
    );
  });
});

describe('declared request headers', () => {
  it('ctx.header reads a declared header, "" when absent, and throws for an undeclared one', () => {
    const ctx = fakeContext({ headers: { 'x-test-key': 'k1', 'if-match': '' } });
    assert.equal(ctx.header('x-test-key'), 'k1');
    assert.equal(ctx.header('if-match'), '');
    assert.throws(() => ctx.header('x-other'), /header "x-other" was not declared/);
    assert.throws(() => fakeContext().header('x-test-key'), /not declared/);
  });
});

describe('application modules (appModule)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-app-module-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const moduleFile = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads routes and schemes factories', async () => {
    const path = moduleFile(
      'good.mjs',
      'export function routes() { return []; }\nexport function schemes() { return []; }\n',
    );
    const app = await loadApplication(path);
    assert.equal(typeof app.routes, 'function');
    assert.equal(typeof app.schemes, 'function');
    assert.deepEqual(await loadApplication(null), {});
  });

  it('refuses a module it cannot load or of the wrong shape, naming it', async () => {
    await assert.rejects(loadApplication(join(dir, 'missing.mjs')), /missing\.mjs: cannot be loaded/);
    await assert.rejects(
      loadApplication(moduleFile('throws.mjs', 'throw new Error("boom");\n')),
      /throws\.mjs: cannot be loaded \(boom\)/,
    );
    await assert.rejects(
      loadApplication(moduleFile('empty.mjs', 'export const x = 1;\n')),
      /exports neither routes\(services\) nor schemes\(services\)/,
    );
    await assert.rejects(
      loadApplication(moduleFile('bad.mjs', 'export const routes = [];\n')),
      /export "routes" must be a function/,
    );
  });

  it('refuses a factory that does not answer an array', () => {
    assert.throws(
      () => callFactory('app.mjs: routes()', () => ({}) as never, {} as never),
      /app\.mjs: routes\(\) must return an array/,
    );
    assert.deepEqual(callFactory('x', undefined, {} as never), []);
  });
});
