/**
 * GET /api/schema/: the OpenAPI 3.1 document generated from the route table validates against the OpenAPI 3.1
 * schema, lists every route with its methods, and states security and the contract's error responses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { IsAdminUser } from '../../src/policies/permissions.js';
import { defineRoute } from '../../src/pipeline/define-route.js';
import { json } from '../../src/pipeline/replies.js';
import { startInProcess, type InProcessApp } from '../support/in-process-app.js';
import { request } from '../support/http.js';

type Operation = {
  operationId: string;
  security: Record<string, string[]>[];
  responses: Record<string, unknown>;
  requestBody?: unknown;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation> & { parameters?: { name: string; in: string }[] }>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
};

describe('GET /api/schema/', () => {
  let server: InProcessApp;
  let document: Document;

  before(async () => {
    server = await startInProcess({
      routes: () => [
        defineRoute({
          method: ['GET', 'PUT'],
          path: '/test/items/:id/',
          name: 'Item',
          permission: IsAdminUser,
          throttles: ['user'],
          handler: (ctx) => json(200, { id: ctx.params[0] }),
        }),
      ],
    });
    const response = await request(`${server.url}/api/schema/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    document = response.body as Document;
  });
  after(() => server.close());

  it('validates against the OpenAPI 3.1 schema', async () => {
    assert.equal(document.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
  });

  it('lists every route of the table with every method it serves', () => {
    const entries = server.app.router.entries();
    assert.ok(entries.length >= 10);
    for (const entry of entries) {
      const path = entry.pattern.replace(/:(\w+)/g, '{$1}');
      const item = document.paths[path];
      assert.ok(item !== undefined, `${path} is missing`);
      for (const method of entry.byMethod.keys())
        assert.ok(item[method.toLowerCase()] !== undefined, `${method} ${path} is missing`);
    }
    assert.equal(Object.keys(document.paths).length, entries.length);
    for (const path of ['/api/token/', '/api/hello/', '/api/notes/', '/metrics', '/api/schema/', '/healthz'])
      assert.ok(document.paths[path], path);
    const ids = Object.values(document.paths).flatMap((item) =>
      Object.entries(item)
        .filter(([k]) => k !== 'parameters')
        .map(([, op]) => (op as Operation).operationId),
    );
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('describes path parameters', () => {
    const item = document.paths['/test/items/{id}/']!;
    assert.deepEqual(item.parameters, [
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    assert.ok(item['put']!.requestBody !== undefined);
  });

  it('states the security of each operation', () => {
    assert.deepEqual(document.components.securitySchemes['jwt'], {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A simplejwt access token (POST /api/token/).',
    });
    assert.deepEqual(document.paths['/api/hello/']!['get']!.security, [{ jwt: [] }]);
    assert.deepEqual(
      document.paths['/api/public/']!['get']!.security,
      [{ jwt: [] }, {}],
      'credentials optional',
    );
    assert.deepEqual(
      document.paths['/api/notes/']!['get']!.security,
      [{ jwt: [] }, {}],
      'read-only for anonymous',
    );
    assert.deepEqual(document.paths['/api/notes/']!['post']!.security, [{ jwt: [] }]);
    assert.deepEqual(document.paths['/api/token/']!['post']!.security, []);
  });

  it('lists the error responses the contract gives each operation', () => {
    const statuses = (path: string, method: string) => Object.keys(document.paths[path]![method]!.responses);
    assert.deepEqual(statuses('/api/hello/', 'get'), ['200', '401', '429']);
    assert.deepEqual(statuses('/api/admin/', 'get'), ['200', '401', '403']);
    assert.deepEqual(statuses('/api/notes/', 'post'), ['201', '400', '401', '413', '415']);
    assert.deepEqual(
      statuses('/api/token/', 'post'),
      ['200', '400', '401', '413', '415', '429'],
      'the login throttle',
    );
    assert.deepEqual(statuses('/readyz', 'get'), ['200', '503']);
    assert.deepEqual(statuses('/test/items/{id}/', 'get'), ['200', '401', '403', '429']);
    assert.deepEqual(statuses('/metrics', 'get'), ['200', '403', '503']);
    assert.deepEqual(statuses('/healthz', 'get'), ['200']);
    const metrics = document.paths['/metrics']!['get']!.responses['200'] as {
      content: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(metrics.content), ['text/plain; version=0.0.4; charset=utf-8']);
  });
});
