import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router, RouterError } from '../../../src/router/router.js';
import { CASES, ROUTES } from './router-cases.js';

function build(): Router<string> {
  const router = new Router<string>();
  for (const [method, pattern] of ROUTES) router.add(method, pattern, `${method} ${pattern}`);
  return router.compile();
}

describe('router', () => {
  const router = build();
  for (const c of CASES) {
    it(`matches ${c.path}`, () => {
      const match = router.match(c.path);
      assert.equal(match.entry?.pattern ?? null, c.pattern);
      if (c.params !== undefined) assert.deepEqual(match.params, c.params);
      assert.equal(match.redirect, c.redirect ?? null);
      if (c.allow !== undefined) assert.equal(match.entry?.allow, c.allow);
    });
  }

  it('gives each method its own value and remembers the first declared route', () => {
    const entry = router.match('/api/notes/').entry!;
    assert.equal(entry.byMethod.get('GET'), 'GET /api/notes/');
    assert.equal(entry.byMethod.get('POST'), 'POST /api/notes/');
    assert.equal(entry.byMethod.get('DELETE'), undefined);
    assert.equal(entry.first, 'GET /api/notes/');
  });

  it('returns the names of parameters in pattern order', () => {
    assert.deepEqual(router.match('/api/notes/1/comments/2/').entry!.paramNames, ['id', 'commentId']);
  });

  it('refuses bad patterns and ambiguous or duplicate routes at start-up', () => {
    assert.throws(() => new Router().add('GET', 'no-slash', 1), RouterError);
    assert.throws(() => new Router().add('GET', '/a/:1bad/', 1), RouterError);
    assert.throws(() => new Router().add('GET', '/a/x:y/', 1), RouterError);
    assert.throws(() => new Router().add('GET', '/a/:id/:id/', 1), RouterError);
    assert.throws(() => new Router().add('BREW', '/coffee/', 1), RouterError);
    assert.throws(() => new Router().add('GET', '/a/', 1).add('GET', '/a/', 2), RouterError);
    assert.throws(() => new Router().add('GET', '/a/:x/', 1).add('GET', '/a/:y/', 2).compile(), RouterError);
    const compiled = new Router().add('GET', '/a/', 1).compile();
    assert.throws(() => compiled.add('GET', '/b/', 1), RouterError);
  });

  it('lists every compiled entry', () => {
    const patterns = router
      .entries()
      .map((e) => e.pattern)
      .sort();
    assert.deepEqual(patterns, [...new Set(ROUTES.map(([, p]) => p))].sort());
  });

  it('does not let one match leak parameters into the next', () => {
    router.match('/api/notes/1/comments/2/');
    assert.deepEqual(router.match('/api/public/').params, []);
    assert.deepEqual(router.match('/nothing/here/').params, []);
  });
});
