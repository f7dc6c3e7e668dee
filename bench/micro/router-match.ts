/**
 * Route matching: Gatehouse's router on the real route table (platform, token API, example API) against two
 * reference points: a bare Map lookup (what a static hit cannot beat) and a linear list of anchored regular
 * expressions (how Express-style routers match).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/micro/router-match.js [secondsPerSample=0.3]
 */
import { Router } from '../../src/router/router.js';
import { buildBenchApp } from './bench-app.js';
import { conditionsLine, markdownTable, measureInterleaved } from './measure-loop.js';

const SECONDS = Number(process.argv[2] ?? 0.3);

const bench = await buildBenchApp();
const patterns = bench.app.router.entries().map((e) => e.pattern);
await bench.close();

// The same patterns in a router of plain values, plus one parameterised route (the example API has none).
const router = new Router<string>();
for (const p of patterns) router.add('GET', p, p);
router.add('GET', '/api/notes/:id/', 'note');
router.compile();

const map = new Map(patterns.map((p) => [p, p]));
const regexps = [...patterns, '/api/notes/:id/'].map((p) => ({
  re: new RegExp('^' + p.replace(/:[A-Za-z_]\w*/g, '([^/]+)') + '$'),
  p,
}));
const regexpMatch = (path: string): string | null => {
  for (const { re, p } of regexps) if (re.test(path)) return p;
  return null;
};

const PATHS = {
  static: '/api/hello/',
  param: '/api/notes/42/',
  redirect: '/api/hello',
  miss: '/api/nothing-here/',
} as const;
// Check first: every case answers what it should.
if (router.match(PATHS.static).entry?.pattern !== '/api/hello/') throw new Error('static path did not match');
if (router.match(PATHS.param).entry?.pattern !== '/api/notes/:id/')
  throw new Error('parameter path did not match');
if (router.match(PATHS.redirect).redirect !== '/api/hello/')
  throw new Error('missing slash did not redirect');
if (router.match(PATHS.miss).entry !== null) throw new Error('unknown path matched');

const results = measureInterleaved(
  [
    { name: 'gatehouse: static hit', run: () => router.match(PATHS.static).entry },
    { name: 'gatehouse: parameter', run: () => router.match(PATHS.param).entry },
    { name: 'gatehouse: slash redirect', run: () => router.match(PATHS.redirect).redirect },
    { name: 'gatehouse: not found', run: () => router.match(PATHS.miss).entry },
    { name: 'Map.get (static floor)', run: () => map.get(PATHS.static) },
    { name: 'regexp list: static hit', run: () => regexpMatch(PATHS.static) },
    { name: 'regexp list: not found', run: () => regexpMatch(PATHS.miss) },
  ],
  { seconds: SECONDS, samples: 5, warmupSeconds: 0.2 },
);

console.log(
  `router-match: ${patterns.length + 1} routes (the real table + /api/notes/:id/), ${SECONDS} s per sample, median of 5`,
);
console.log(conditionsLine());
console.log('');
console.log(
  markdownTable(results, {
    'gatehouse: static hit': '`/api/hello/`: one Map lookup',
    'gatehouse: parameter': '`/api/notes/42/`: Map miss, then the segment trie',
    'gatehouse: slash redirect': '`/api/hello`: both misses, then the slashed path (301)',
    'gatehouse: not found': 'both misses, then the slashed-path probe',
    'regexp list: static hit': `linear scan of ${regexps.length} anchored regexps`,
  }),
);
