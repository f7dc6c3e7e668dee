/**
 * Property tests of the router (fast-check, bounded runs), beyond the shared case table of test/unit/router:
 * match() never throws on any request path; a static entry is only ever returned for its own path; a path
 * built from a pattern and arbitrary parameter values finds that pattern with the values decoded; a redirect
 * always points at a path that matches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Router } from '../../src/router/router.js';
import { ROUTES } from '../unit/router/router-cases.js';

function compiledRouter(): Router<string> {
  const router = new Router<string>();
  for (const [method, pattern] of ROUTES) router.add(method, pattern, `${method} ${pattern}`);
  return router.compile();
}

/** Request paths as a hostile client may send them: near-misses of real routes, encodings, dots and garbage. */
const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'notes',
    'public',
    'token',
    'latest',
    'comments',
    'files',
    'healthz',
    '',
    '.',
    '..',
    '%2F',
    '%',
    '%E0%A4%A',
    '%00',
    '42',
    ':id',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
/** A declared pattern with hostile segments in its parameters, sometimes without its trailing slash. */
const nearRoute = fc
  .tuple(
    fc.constantFrom(...ROUTES.map(([, pattern]) => pattern)),
    fc.array(segment, { minLength: 2, maxLength: 2 }),
    fc.boolean(),
  )
  .map(([pattern, values, dropSlash]) => {
    let i = 0;
    const path = pattern.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, () => values[i++]!);
    return dropSlash && path.endsWith('/') ? path.slice(0, -1) : path;
  });
const requestPath = fc.oneof(
  nearRoute,
  fc.array(segment, { maxLength: 7 }).map((parts) => '/' + parts.join('/')),
  fc.string({ maxLength: 40 }),
);

/** Parameter values, '/' included, encoded the way a client puts them in a URL. */
const paramValue = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
    fc.constantFrom('é', '☃', '%', ' ', '?', '#', ':', '/'),
  ),
  minLength: 1,
  maxLength: 12,
});

describe('router match (property)', () => {
  const router = compiledRouter();
  const staticPatterns = new Set(ROUTES.map(([, p]) => p).filter((p) => !p.includes(':')));

  it('never throws; a static entry is returned only for its own path; params decode without loss', () => {
    let withParams = 0;
    fc.assert(
      fc.property(requestPath, (path) => {
        const match = router.match(path);
        if (match.entry === null) {
          if (match.redirect !== null) {
            assert.equal(match.redirect, path + '/');
            assert.notEqual(router.match(match.redirect).entry, null, 'a redirect leads to a route');
          }
          return;
        }
        assert.equal(match.redirect, null);
        if (match.entry.paramNames.length === 0) assert.equal(match.entry.pattern, path);
        else {
          withParams++;
          assert.equal(match.params.length, match.entry.paramNames.length);
          // Re-encoding the decoded values into the pattern gives a path that matches the same entry again.
          let i = 0;
          const rebuilt = match.entry.pattern.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, () =>
            encodeURIComponent(match.params[i++]!),
          );
          const params = [...match.params];
          const again = router.match(rebuilt);
          if (!staticPatterns.has(rebuilt)) {
            assert.equal(again.entry?.pattern, match.entry.pattern);
            assert.deepEqual(again.params, params);
          }
        }
      }),
      { numRuns: 4000 },
    );
    assert.ok(withParams > 50, `only ${withParams} paths matched a route with parameters`);
  });

  it('a path built from a pattern and any parameter values finds that pattern, values decoded', () => {
    const parameterised = ROUTES.map(([, p]) => p).filter((p) => p.includes(':'));
    fc.assert(
      fc.property(
        fc.constantFrom(...parameterised),
        fc.array(paramValue, { minLength: 2, maxLength: 2 }),
        (pattern, values) => {
          let i = 0;
          const names = pattern.match(/:[A-Za-z_][A-Za-z0-9_]*/g)!;
          const path = pattern.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, () => encodeURIComponent(values[i++]!));
          const match = router.match(path);
          // A value spelling a static sibling (e.g. "latest") is that static route, as in Django's URL order.
          if (staticPatterns.has(path)) return assert.equal(match.entry?.pattern, path);
          assert.equal(match.entry?.pattern, pattern, path);
          assert.deepEqual(match.params, values.slice(0, names.length));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random route tables: compile refuses or matches every declared static path to itself', () => {
    let compiledTables = 0;
    const patternArb = fc
      .array(
        fc.oneof(fc.constantFrom('a', 'b', 'c', 'api', ':id', ':x'), fc.stringMatching(/^[a-z]{1,3}$/)),
        { minLength: 1, maxLength: 4 },
      )
      .chain((parts) => fc.boolean().map((slash) => '/' + parts.join('/') + (slash ? '/' : '')));
    fc.assert(
      fc.property(
        fc.uniqueArray(patternArb, { maxLength: 8 }),
        fc.array(requestPath, { maxLength: 10 }),
        (patterns, paths) => {
          const router = new Router<string>();
          let compiled = true;
          try {
            for (const p of patterns) router.add('GET', p, p);
            router.compile();
          } catch {
            compiled = false; // RouterError: repeated parameter names or ambiguous shapes, refused at start-up
          }
          if (!compiled) return;
          compiledTables++;
          for (const p of patterns) {
            if (p.includes(':')) continue;
            assert.equal(router.match(p).entry?.pattern, p);
          }
          for (const path of paths) {
            const match = router.match(path);
            if (match.entry !== null && match.entry.paramNames.length === 0)
              assert.equal(match.entry.pattern, path);
          }
        },
      ),
      { numRuns: 1500 },
    );
    assert.ok(compiledTables > 300, `only ${compiledTables} tables compiled`);
  });
});
