/**
 * A horizontal bar chart of req/s per scenario and system, written as SVG by hand (no charting dependency):
 * one group per (scenario, workers), one bar per system, the value printed after each bar.
 */
import type { BenchResults, ResultRow } from './results.js';
import { SCENARIOS } from './scenarios.js';
import { SYSTEM_TITLES, type SystemLabel } from './systems.js';

const COLORS: Readonly<Record<SystemLabel, string>> = {
  gatehouse: '#2b6cb0',
  'gatehouse-nginx': '#63b3ed',
  'bare-uws': '#a0aec0',
  fastify: '#dd6b20',
};
const ORDER: readonly SystemLabel[] = ['gatehouse', 'gatehouse-nginx', 'bare-uws', 'fastify'];

const WIDTH = 960;
const LABEL_WIDTH = 330;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 16;
const BAR_GAP = 3;
const GROUP_GAP = 16;
const TOP = 74;

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderSvg(results: BenchResults): string {
  const groups: { label: string; rows: ResultRow[] }[] = [];
  for (const row of results.rows) {
    const label = `${SCENARIOS[row.scenario].request} · ${row.workers} worker${row.workers === 1 ? '' : 's'}`;
    let group = groups.find((g) => g.label === label);
    if (!group) groups.push((group = { label, rows: [] }));
    group.rows.push(row);
  }
  for (const g of groups) g.rows.sort((a, b) => ORDER.indexOf(a.system) - ORDER.indexOf(b.system));
  const max = Math.max(1, ...results.rows.map((r) => r.requestsPerSec));
  const barArea = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
  const systems = ORDER.filter((s) => results.rows.some((r) => r.system === s));

  const parts: string[] = [];
  let y = TOP;
  for (const group of groups) {
    const groupHeight = group.rows.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
    parts.push(
      `<text x="${LABEL_WIDTH - 10}" y="${y + groupHeight / 2 + 4}" text-anchor="end" class="label">${escape(group.label)}</text>`,
    );
    for (const row of group.rows) {
      const width = Math.max(1, (row.requestsPerSec / max) * barArea);
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[row.system]}">` +
          `<title>${escape(SYSTEM_TITLES[row.system])}: ${Math.round(row.requestsPerSec)} req/s, p99 ${row.latencyP99Ms} ms</title></rect>`,
      );
      parts.push(
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 4}" class="value">${Math.round(row.requestsPerSec).toLocaleString('en-US')}</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP - BAR_GAP;
  }
  const height = y + 30;
  const c = results.conditions;
  const legend = systems
    .map((s, i) => {
      const x = LABEL_WIDTH + i * 170;
      return `<rect x="${x}" y="44" width="12" height="12" fill="${COLORS[s]}"/><text x="${x + 18}" y="54" class="legend">${escape(SYSTEM_TITLES[s])}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.label{font-size:12px;fill:#1a202c}.value{font-size:11px;fill:#2d3748}.legend{font-size:12px;fill:#1a202c}.title{font-size:16px;font-weight:bold;fill:#1a202c}.note{font-size:11px;fill:#4a5568}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" class="title">Requests per second (higher is better), ${escape(c.tool)}, ${escape(c.date.slice(0, 10))}</text>`,
    legend,
    ...parts,
    `<text x="16" y="${height - 12}" class="note">${escape(`${c.cpuModel}, ${c.cores} cores, Node ${c.node}; ${c.warmupSec} s warm-up + ${c.durationSec} s, ${c.connections} connections; generator on the same machine. Compare bars within one chart, not across machines.`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
