/**
 * The Markdown report of a run: conditions on top, one table row per (scenario, workers, system) with the
 * ratio to the ceiling (bare uWS) and to Fastify measured in the same run, then the goals of issue 6 computed
 * from the table.
 */
import { peerRow, type BenchResults, type ResultRow } from './results.js';
import { SCENARIOS } from './scenarios.js';
import { SYSTEM_TITLES } from './systems.js';

/** A generator using this much of a core is probably the bottleneck: its row measures the generator too. */
export const GENERATOR_SATURATED_PERCENT = 90;

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number): string => (n >= 100 ? fmt(n) : n >= 10 ? fmt(n, 1) : fmt(n, 2));
const ratio = (a: number, b: number | undefined): string =>
  b === undefined || b <= 0 ? '—' : `${fmt(a / b, 2)}×`;

export function renderMarkdown(results: BenchResults): string {
  const c = results.conditions;
  const out: string[] = [];
  out.push(`# make bench (${c.tool}): ${c.date}`, '');
  out.push('**Conditions**', '');
  out.push(
    `- Machine: ${c.cpuModel}, ${c.cores} cores available, Node ${c.node}, Linux ${c.kernel}; load average at start ${c.loadAverageAtStart.map((l) => fmt(l, 2)).join(' ')}.`,
  );
  out.push(`- Generator: ${c.generator}; it runs on the same machine as the servers.`);
  out.push(
    `- Each run: ${c.warmupSec} s warm-up (discarded) then ${c.durationSec} s measured, ${c.connections} keep-alive connections; the login flood uses ${c.floodConnections} connections.`,
  );
  if (c.rounds > 1) {
    out.push(
      `- ${c.rounds} measured rounds per scenario and system, taken round-robin over the systems; each row shows the round with the median req/s (every round's req/s is in the JSON).`,
    );
  }
  for (const line of c.setup) out.push(`- ${line}`);
  out.push(`- Whole run: ${fmt(results.totalSec)} s.`, '');

  out.push(
    '| scenario | workers | system | req/s | × ceiling | × Fastify | p50 ms | p99 ms | errors | non-2xx | peak RSS/worker MiB | server CPU | server µs/req | generator CPU | load 1m |',
  );
  out.push(
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const row of results.rows) {
    const ceiling =
      row.system === 'bare-uws' ? undefined : peerRow(results.rows, row, 'bare-uws')?.requestsPerSec;
    const fastify =
      row.system === 'fastify' || row.system === 'bare-uws'
        ? undefined
        : peerRow(results.rows, row, 'fastify')?.requestsPerSec;
    const saturated = row.generatorCpuPercent >= GENERATOR_SATURATED_PERCENT ? ' †' : '';
    out.push(
      `| ${SCENARIOS[row.scenario].request} | ${row.workers} | ${SYSTEM_TITLES[row.system]} | ${fmt(row.requestsPerSec)} | ${ratio(row.requestsPerSec, ceiling)} | ${ratio(row.requestsPerSec, fastify)} | ` +
        `${ms(row.latencyP50Ms)} | ${ms(row.latencyP99Ms)} | ${fmt(row.errors)} | ${fmt(row.non2xx)} | ${fmt(row.peakRssPerWorkerMiB)} | ` +
        `${fmt(row.serverCpuPercent)}% | ${fmt(row.serverCpuMicrosPerRequest, 1)} | ${fmt(row.generatorCpuPercent)}%${saturated} | ${fmt(row.loadAverage1m, 1)} |`,
    );
  }
  out.push('');
  out.push(
    `CPU columns are % of one core during the measured run (server: all workers together). Server µs/req is the workers' CPU time ` +
      "per answer (the kernel's socket work included): the steadiest figure when other processes compete for the cores " +
      "(in the login-flood rows it also holds the flood's argon2 work). " +
      `† the generator used ≥ ${GENERATOR_SATURATED_PERCENT}% of a core: that row is probably limited by the generator, not the server. ` +
      "Load 1m: the 1-minute load average when the run ended; it counts the benchmark's own busy processes (workers + generator), " +
      'so values well above that mean other work was competing for the cores. Non-2xx in the throttled scenario are the 429s it is meant to produce.',
  );
  const floods = results.rows.filter((r) => r.flood !== null);
  if (floods.length > 0) {
    out.push(
      '',
      'Login flood alongside the protected GET (second generator, valid credentials, argon2id with default parameters):',
      '',
    );
    out.push(
      '| workers | login req/s | login p99 ms | login errors | login non-2xx | flood generator CPU |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of floods) {
      const f = r.flood!;
      out.push(
        `| ${r.workers} | ${fmt(f.requestsPerSec, 1)} | ${ms(f.latencyP99Ms)} | ${fmt(f.errors)} | ${fmt(f.non2xx)} | ${fmt(f.generatorCpuPercent)}% |`,
      );
    }
  }
  out.push('', ...renderGoals(results.rows, results.conditions.cores));
  return out.join('\n') + '\n';
}

/** The same comparison in server CPU per request, which other load on the machine disturbs less than req/s. */
function cpuCost(gatehouse: ResultRow, other: ResultRow): string {
  if (gatehouse.serverCpuMicrosPerRequest <= 0 || other.serverCpuMicrosPerRequest <= 0) return '';
  const r = other.serverCpuMicrosPerRequest / gatehouse.serverCpuMicrosPerRequest;
  return (
    ` (server CPU per request: ${fmt(gatehouse.serverCpuMicrosPerRequest, 1)} µs against ${fmt(other.serverCpuMicrosPerRequest, 1)} µs, ` +
    `i.e. ${fmt(r, 2)}× as efficient)`
  );
}

/**
 * Rows measured while other processes kept the cores busy: the load average exceeded what the benchmark itself
 * accounts for (the workers and the generator) by more than one core.
 */
function busyNote(compared: readonly ResultRow[], cores: number): string {
  const worst = Math.max(...compared.map((r) => r.loadAverage1m));
  const own = Math.min(cores, Math.max(...compared.map((r) => r.workers))) + 1;
  return worst > own + 1
    ? ` — inconclusive: other work kept the machine busy (load ${fmt(worst, 1)} on ${cores} cores)`
    : '';
}

/** The goals of issue 6, computed from the rows (each line says which rows it compares). */
export function renderGoals(rows: readonly ResultRow[], cores: number): string[] {
  const lines = ['**Goals** (ratios within this run)', ''];
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  for (const g of rows.filter((r) => r.system === 'gatehouse' && r.scenario === 'protected')) {
    const ceiling = peerRow(rows, g, 'bare-uws');
    const fastify = peerRow(rows, g, 'fastify');
    if (ceiling) {
      const r = g.requestsPerSec / ceiling.requestsPerSec;
      lines.push(
        `- ${g.workers} worker(s): protected GET ${fmt(r, 2)}× the bare-uWS ceiling (goal ≥ 0.8×): ${verdict(r >= 0.8)}` +
          `${cpuCost(g, ceiling)}${busyNote([g, ceiling], cores)}.`,
      );
    }
    if (fastify) {
      const r = g.requestsPerSec / fastify.requestsPerSec;
      lines.push(
        `- ${g.workers} worker(s): protected GET ${fmt(r, 2)}× Fastify with JWT (goal ≥ 2.5×, measured with wrk): ${verdict(r >= 2.5)}` +
          `${cpuCost(g, fastify)}${busyNote([g, fastify], cores)}.`,
      );
    }
    const flood = rows.find(
      (r) => r.system === 'gatehouse' && r.scenario === 'protected-flood' && r.workers === g.workers,
    );
    if (flood) {
      const r = flood.latencyP99Ms / g.latencyP99Ms;
      lines.push(
        `- ${g.workers} worker(s): protected GET p99 ${ms(flood.latencyP99Ms)} ms during the login flood vs ${ms(g.latencyP99Ms)} ms without: ` +
          `${fmt(r, 2)}× (goal ≤ 2×): ${verdict(r <= 2)}; throughput ${fmt(flood.requestsPerSec)} vs ${fmt(g.requestsPerSec)} req/s` +
          `${busyNote([g, flood], cores)}.`,
      );
    }
  }
  if (lines.length === 2) lines.push('- (the protected scenario was not run)');
  return lines;
}
