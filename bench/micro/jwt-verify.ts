/**
 * HS256 verification throughput: Gatehouse's verifier against fast-jwt, jose, jsonwebtoken and the bare
 * HMAC, in one process, one secret, access tokens shaped like simplejwt's.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/micro/jwt-verify.js [secondsPerSample]
 *
 * Scenarios:
 *   same   - the same valid token on every call;
 *   10k    - 10,000 distinct valid tokens, cycled;
 *   10k/hdr - the same 10,000, each call given a new string cut out of an "Authorization: Bearer …" value,
 *            as the authentication stage does: the string's hash is not cached yet, which a cache lookup pays.
 * Each contender is measured for a fixed wall time per sample after a warm-up; samples are interleaved across
 * contenders (the machine may be shared, and drift should hit all alike) and the median is printed.
 * Every contender is first checked to accept every token, so no row measures a refusal path.
 *
 * Contenders (each in its documented fast form):
 *   gatehouse          createVerifier(settings, 'access'), cacheSize 0;
 *   gatehouse cached   the same with cacheSize 10,000 (Gatehouse's default);
 *   fast-jwt           createVerifier({ key: secret, algorithms: ['HS256'] }) - it turns the secret into a
 *                      KeyObject once (a KeyObject itself is refused);
 *   fast-jwt cached    + cache: true, its default of 1,000 LRU entries (cache keys are SHA-256 of the token);
 *   fast-jwt cache=10k + cache: 10000, the same capacity as Gatehouse's;
 *   jsonwebtoken       jwt.verify(token, keyObject, { algorithms: ['HS256'] });
 *   jose               await jwtVerify(token, keyObject, { algorithms: ['HS256'] }) in a loop - it is async
 *                      (WebCrypto), so every call also pays a promise and a microtask turn;
 *   createHmac only    createHmac('sha256', keyObject).update(signingInput).digest(): the HMAC alone with
 *                      Node's HMAC API, no parsing, no checks - the ceiling for a createHmac-based verifier;
 *   two-hash HMAC only Gatehouse's HMAC (src/auth/jwt/hmac.ts, RFC 2104 over crypto.hash) alone, for scale.
 */
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { jwtVerify } from 'jose';
import { createHmacTagger } from '../../src/auth/jwt/hmac.js';
import {
  createSigner,
  createVerifier,
  isJwtFailure,
  JWT_SETTINGS_DEFAULTS,
  type JwtSettings,
} from '../../src/auth/jwt/index.js';

// fast-jwt and jsonwebtoken are CommonJS without ESM typings worth importing here; load them as such.
const require = createRequire(import.meta.url);
const fastJwt = require('fast-jwt') as {
  createVerifier(options: Record<string, unknown>): (token: string) => unknown;
};
const jsonwebtoken = require('jsonwebtoken') as {
  verify(token: string, key: unknown, options: Record<string, unknown>): unknown;
};

const SAMPLE_SECONDS = Number(process.argv[2] ?? 0.25);
const SAMPLES = 5;
const WARM_UP_SECONDS = 0.25;
const DISTINCT = 10_000;

const secret = 'django-insecure-' + randomBytes(24).toString('hex'); // 64 ASCII characters, like a SECRET_KEY
const keyObject = createSecretKey(Buffer.from(secret, 'utf8'));
const twoHash = createHmacTagger('sha256', Buffer.from(secret, 'utf8'));
const settings = (cacheSize: number): JwtSettings => ({
  ...JWT_SETTINGS_DEFAULTS,
  verifyingKeys: [],
  signingKey: { algorithm: 'HS256', secret },
  cacheSize,
});

const signer = createSigner(settings(0));
const now = Math.floor(Date.now() / 1000);
const tokens: string[] = [];
for (let i = 0; i < DISTINCT; i++) {
  tokens.push(
    signer.sign({
      token_type: 'access',
      exp: now + 3600,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      user_id: 1 + i,
    }),
  );
}
const headers = tokens.map((token) => 'Bearer ' + token);
const signingInputs = tokens.map((token) => token.slice(0, token.lastIndexOf('.')));

interface Contender {
  readonly name: string;
  /** Verifies tokens[i] (or the one token) and returns something that proves acceptance. */
  readonly verify: ((token: string) => unknown) | null;
  readonly verifyAsync: ((token: string) => Promise<unknown>) | null;
}

function contenders(): Contender[] {
  const gatehouse = createVerifier(settings(0), 'access');
  const gatehouseCached = createVerifier(settings(10_000), 'access');
  const fast = fastJwt.createVerifier({ key: secret, algorithms: ['HS256'] });
  const fastCached = fastJwt.createVerifier({ key: secret, algorithms: ['HS256'], cache: true });
  const fastCached10k = fastJwt.createVerifier({ key: secret, algorithms: ['HS256'], cache: 10_000 });
  const sync = (name: string, verify: (token: string) => unknown): Contender => ({
    name,
    verify,
    verifyAsync: null,
  });
  return [
    sync('gatehouse', gatehouse.verify),
    sync('gatehouse cached', gatehouseCached.verify),
    sync('fast-jwt', fast),
    sync('fast-jwt cached (1k)', fastCached),
    sync('fast-jwt cached (10k)', fastCached10k),
    sync('jsonwebtoken', (token) => jsonwebtoken.verify(token, keyObject, { algorithms: ['HS256'] })),
    {
      name: 'jose (async)',
      verify: null,
      verifyAsync: (token) => jwtVerify(token, keyObject, { algorithms: ['HS256'] }),
    },
    sync('createHmac only', (input) => createHmac('sha256', keyObject).update(input).digest()),
    sync('two-hash HMAC only', (input) => twoHash.tag(input)),
  ];
}

type Scenario = 'same' | '10k' | '10k/hdr';
const SCENARIOS: readonly Scenario[] = ['same', '10k', '10k/hdr'];

/** The argument of call number i. The HMAC ceiling is given the signing input, the others the token. */
function argumentOf(scenario: Scenario, contender: Contender, i: number): string {
  const index = scenario === 'same' ? 0 : i % DISTINCT;
  if (contender.name.endsWith('HMAC only') || contender.name === 'createHmac only')
    return signingInputs[index]!;
  return scenario === '10k/hdr' ? headers[index]!.slice(7) : tokens[index]!;
}

let sink = 0;

async function run(contender: Contender, scenario: Scenario, seconds: number): Promise<number> {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let calls = 0;
  let end: bigint;
  const { verify, verifyAsync } = contender;
  do {
    if (verify !== null) {
      for (let i = 0; i < 1000; i++) if (verify(argumentOf(scenario, contender, calls + i)) !== null) sink++;
    } else {
      for (let i = 0; i < 200; i++)
        if ((await verifyAsync!(argumentOf(scenario, contender, calls + i))) !== null) sink++;
    }
    calls += verify !== null ? 1000 : 200;
    end = process.hrtime.bigint();
  } while (end < deadline);
  return calls / (Number(end - start) / 1e9);
}

async function checkAccepts(contender: Contender): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const argument = argumentOf('10k', contender, i);
    const result =
      contender.verify !== null ? contender.verify(argument) : await contender.verifyAsync!(argument);
    if (result !== null && typeof result === 'object' && isJwtFailure(result as never)) {
      throw new Error(`${contender.name} refused a valid token`);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const list = contenders();
for (const contender of list) await checkAccepts(contender); // the others throw on refusal

const results = new Map<string, number>();
for (const scenario of SCENARIOS) {
  for (const contender of list) await run(contender, scenario, WARM_UP_SECONDS);
  const samples = new Map<string, number[]>(list.map((c) => [c.name, []]));
  for (let s = 0; s < SAMPLES; s++) {
    for (const contender of list)
      samples.get(contender.name)!.push(await run(contender, scenario, SAMPLE_SECONDS));
  }
  for (const [name, values] of samples) results.set(`${scenario}|${name}`, median(values));
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `HS256 verify, ${new Date().toISOString()}, Node ${process.version}, ${cpu} x${cpus().length}, ` +
    `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join('/')}, median of ${SAMPLES} x ${SAMPLE_SECONDS}s samples`,
);
const pad = (text: string, width: number): string => text.padEnd(width);
const padLeft = (text: string, width: number): string => text.padStart(width);
console.log(
  pad('contender', 24) + SCENARIOS.map((s) => padLeft(`${s} ops/s`, 16) + padLeft('x gh', 8)).join(''),
);
for (const contender of list) {
  let line = pad(contender.name, 24);
  for (const scenario of SCENARIOS) {
    const value = results.get(`${scenario}|${contender.name}`)!;
    const base = results.get(`${scenario}|gatehouse`)!;
    line += padLeft(Math.round(value).toLocaleString('en-US'), 16) + padLeft((value / base).toFixed(2), 8);
  }
  console.log(line);
}

console.log('\nGoals (gatehouse / fast-jwt, same scenario):');
const goal = (label: string, ours: string, theirs: string, target: number): void => {
  for (const scenario of SCENARIOS) {
    const ratio = results.get(`${scenario}|${ours}`)! / results.get(`${scenario}|${theirs}`)!;
    const verdict = ratio >= target ? 'met' : 'NOT met';
    console.log(
      `  ${pad(label, 44)} ${pad(scenario, 8)} ${ratio.toFixed(2)}x (goal >= ${target}x) ${verdict}`,
    );
  }
};
goal('uncached: gatehouse vs fast-jwt', 'gatehouse', 'fast-jwt', 1.25);
goal('cached: gatehouse vs fast-jwt cached (1k)', 'gatehouse cached', 'fast-jwt cached (1k)', 3);
goal('cached: gatehouse vs fast-jwt cached (10k)', 'gatehouse cached', 'fast-jwt cached (10k)', 3);
if (sink === 42) console.log(''); // keeps the results observable to the optimiser
