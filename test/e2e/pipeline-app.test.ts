/**
 * Gatehouse as a framework: the example application (examples/bookshelf/, public API only) served by
 * `gatehouse serve --config examples/bookshelf/app.json` with two worker processes — routes, an object-level
 * permission (only a book's owner may change it), composed permissions with a message, and API keys managed
 * with `gatehouse apikey create|list|revoke` (a revoked key stops working in every worker). And the same public
 * API embedded in this process with startServer().
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  constantReply,
  defineRoute,
  IsAuthenticated,
  startServer,
  type RunningServer,
} from '../../src/index.js';
import {
  cleanEnv,
  createUsers,
  FAST_PASSWORD_ENV,
  GATEHOUSE_BIN,
  REPO_ROOT,
  startGatehouse,
  tempDataDir,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { request, requestOnNewConnection } from '../support/http.js';
import { accessTokenFor, assertAnswer, NOT_PROVIDED } from '../support/pipeline-fixtures.js';

const run = promisify(execFile);

/** Runs the gatehouse CLI on the test's data directory; resolves with stdout. */
async function gatehouse(dataDir: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [GATEHOUSE_BIN, ...args, '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { ...cleanEnv(), ...FAST_PASSWORD_ENV },
  });
}

const BOOK_ALLOW = 'GET, PUT, DELETE, HEAD, OPTIONS';

describe('the example application (examples/bookshelf) under gatehouse serve', () => {
  let server: GatehouseProcess;
  let alice: TestUser;
  let bob: TestUser;
  let root: TestUser;
  let aliceKey: string;
  const bearerOf = (user: TestUser) => ({ authorization: `Bearer ${accessTokenFor(user.id)}` });

  before(async () => {
    const dataDir = tempDataDir();
    [alice, bob, root] = await createUsers(dataDir, [
      { username: 'alice' },
      { username: 'bob' },
      { username: 'root', isStaff: true },
    ]);
    aliceKey = (await gatehouse(dataDir, 'apikey', 'create', 'alice', '--name', 'laptop')).stdout.trim();
    server = await startGatehouse({ workers: 2, dataDir, args: ['--config', 'examples/bookshelf/app.json'] });
  });
  after(() => server?.stop());

  it('prints a key once and lists keys without them', async () => {
    assert.match(aliceKey, /^gh_[A-Za-z0-9_-]{43}$/);
    const listed = (await gatehouse(server.dataDir, 'apikey', 'list', '--user', 'alice')).stdout;
    assert.match(listed, /^ID\s+PREFIX\s+USER\s+NAME\s+CREATED\s+REVOKED$/m);
    assert.match(listed, new RegExp(`^1\\s+${aliceKey.slice(0, 11)}…\\s+alice\\s+laptop\\s`, 'm'));
    assert.ok(!listed.includes(aliceKey.slice(11)), 'the key is never listed');
    const help = (await gatehouse(server.dataDir, 'apikey', 'create', '--help')).stdout;
    assert.match(help, /Usage: gatehouse apikey create USERNAME \[--name NAME\]/);
    await assert.rejects(gatehouse(server.dataDir, 'apikey', 'create', 'nobody'), /no user named "nobody"/);
  });

  it('serves the application’s routes next to the built-in ones, with its schemes (JWT, then API keys)', async () => {
    const created = await request(`${server.url}/api/books/`, {
      body: { title: 'Dune', owner: 'bob' },
      headers: { authorization: `Token ${aliceKey}` },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, { id: 1, title: 'Dune', owner: 'alice' });
    const listed = await request(`${server.url}/api/books/`);
    assert.deepEqual(listed.body, [{ id: 1, title: 'Dune', owner: 'alice' }]);
    assertAnswer(
      await request(`${server.url}/api/books/`, { body: { title: 'x' } }),
      401,
      NOT_PROVIDED,
      'Bearer realm="api"',
      'GET, POST, HEAD, OPTIONS',
    );
    assert.equal(
      (await request(`${server.url}/api/books/1/`)).text,
      '{"id":1,"title":"Dune","owner":"alice"}',
    );
    assertAnswer(
      await request(`${server.url}/api/books/99/`),
      404,
      '{"detail":"Not found."}',
      null,
      BOOK_ALLOW,
    );
    // The contract's example API is still there.
    assert.equal((await request(`${server.url}/api/public/`)).text, '{"message":"hello"}');
  });

  it('only the owner may change a book (object-level permission); 401 for anonymous, 403 for others', async () => {
    const url = `${server.url}/api/books/1/`;
    assertAnswer(
      await request(url, { method: 'PUT', body: { title: 'Stolen' } }),
      401,
      NOT_PROVIDED,
      'Bearer realm="api"',
      BOOK_ALLOW,
    );
    assertAnswer(
      await request(url, { method: 'PUT', body: { title: 'Stolen' }, headers: bearerOf(bob) }),
      403,
      '{"detail":"Only the owner of a book may change it."}',
      null,
      BOOK_ALLOW,
    );
    // The object check runs before validation, as DRF's get_object() does.
    assertAnswer(
      await request(url, { method: 'PUT', body: {}, headers: bearerOf(bob) }),
      403,
      '{"detail":"Only the owner of a book may change it."}',
      null,
      BOOK_ALLOW,
    );
    assertAnswer(
      await request(url, { method: 'PUT', body: {}, headers: bearerOf(alice) }),
      400,
      '{"title":["This field is required."]}',
      null,
      BOOK_ALLOW,
    );
    const renamed = await request(url, {
      method: 'PUT',
      body: { title: 'Dune Messiah' },
      headers: bearerOf(alice),
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body, { id: 1, title: 'Dune Messiah', owner: 'alice' });
  });

  it('the owner or staff may delete (composed permission with its own message)', async () => {
    const made = await request(`${server.url}/api/books/`, {
      body: { title: 'Emma' },
      headers: bearerOf(bob),
    });
    const url = `${server.url}/api/books/${(made.body as { id: number }).id}/`;
    assertAnswer(
      await request(url, { method: 'DELETE', headers: bearerOf(alice) }),
      403,
      '{"detail":"Only the owner of a book or staff may delete it."}',
      null,
      BOOK_ALLOW,
    );
    const deleted = await request(url, { method: 'DELETE', headers: bearerOf(root) });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await request(url)).status, 404);
  });

  it('a key revoked with `gatehouse apikey revoke` stops working in every worker', async () => {
    const headers = { authorization: `Token ${aliceKey}` };
    assert.equal((await request(`${server.url}/api/me/`, { headers })).status, 200);
    assert.match((await gatehouse(server.dataDir, 'apikey', 'revoke', '1')).stdout, /API key 1 revoked/);
    // Each worker drops its key cache within ~100 ms of the change (its own poll): wait, bounded, until a batch
    // of new connections — spread over both workers — is refused everywhere.
    const batch = () =>
      Promise.all(
        Array.from({ length: 10 }, () => requestOnNewConnection(`${server.url}/api/me/`, { headers })),
      );
    const deadline = Date.now() + 5000;
    let answers = await batch();
    while (answers.some((r) => r.status !== 401) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      answers = await batch();
    }
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(10).fill(401),
    );
    assert.equal(answers[0]!.text, '{"detail":"Invalid token."}');
    await assert.rejects(gatehouse(server.dataDir, 'apikey', 'revoke', '1'), /no live API key with id 1/);
  });
});

describe('startServer (embedded, one process)', () => {
  let embedded: RunningServer;
  let dataDir: string;

  before(async () => {
    dataDir = tempDataDir();
    await createUsers(dataDir, [{ username: 'alice' }]);
    embedded = await startServer({
      env: {},
      settings: {
        port: 0,
        dataDir,
        signingKey: TEST_SIGNING_KEY,
        accessLog: false,
        logLevel: 'silent',
        exampleApi: false,
        authenticationSchemes: ['jwt', 'basic'],
      },
      routes: () => [
        defineRoute({
          method: 'GET',
          path: '/embedded/',
          permission: IsAuthenticated,
          handler: () => constantReply(200, { embedded: true }),
        }),
      ],
    });
  });
  after(async () => {
    await embedded?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves its own routes with the configured schemes, and not the example API when switched off', async () => {
    assertAnswer(await request(`${embedded.url}/embedded/`), 401, NOT_PROVIDED, 'Bearer realm="api"');
    const basic = await request(`${embedded.url}/embedded/`, {
      headers: { authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}` },
    });
    assert.equal(basic.text, '{"embedded":true}');
    assert.equal((await request(`${embedded.url}/api/public/`)).status, 404);
  });
});
