/**
 * `gatehouse status`: asks the running supervisor, over the unix socket in its data directory, for its workers,
 * uptime, requests served and reload state, and prints a small table (or the JSON with --json).
 */
import { queryStatus, statusSocketPath, type StatusReport } from '../../cluster/status-server.js';
import { configFromCli, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../cli-config.js';
import type { Command } from '../command.js';
import { CliError } from '../read-password.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show the running server: workers, uptime, requests served, reload state.',
  usage: '[--data-dir DIR] [--config FILE] [--socket PATH] [--json]',
  help: [
    STORE_OPTIONS_HELP,
    "  --socket PATH    the supervisor's status socket (default: DATA_DIR/gatehouse.sock)",
    "  --json           print the supervisor's answer as JSON",
    '',
    'Exit status: 0 when the supervisor answered, 1 when no supervisor answers on the socket.',
  ].join('\n'),
  options: { ...STORE_OPTIONS, socket: { type: 'string' }, json: { type: 'boolean' } },
  async run(parsed) {
    const socket =
      typeof parsed.values['socket'] === 'string'
        ? parsed.values['socket']
        : statusSocketPath(configFromCli(parsed).dataDir);
    let report: StatusReport;
    try {
      report = await queryStatus(socket);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' || code === 'ECONNREFUSED'
          ? 'no running server'
          : code === 'EACCES'
            ? 'permission denied (run as the service user)'
            : (error as Error).message;
      throw new CliError(`cannot read the status at ${socket}: ${why}`, 1);
    }
    process.stdout.write(
      parsed.values['json'] === true ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report),
    );
  },
};

export function formatStatus(report: StatusReport): string {
  const s = report.supervisor;
  const lines = [
    `supervisor pid ${s.pid}, port ${s.port}, up ${formatDuration(s.uptimeSec)}, reload: ${s.reloadState}`,
    `requests served: ${report.requestsServed.total} (live workers ${report.requestsServed.live}, exited workers ${report.requestsServed.exited})`,
    '',
  ];
  const rows = [
    ['WORKER', 'SLOT', 'PID', 'STATE', 'UPTIME', 'REQUESTS', 'IN FLIGHT', 'RSS'],
    ...report.workers.map((w) => [
      String(w.id),
      String(w.slot),
      w.pid === null ? '-' : String(w.pid),
      w.state,
      formatDuration(w.uptimeSec),
      w.requestsServed === null ? '-' : String(w.requestsServed),
      w.inFlight === null ? '-' : String(w.inFlight),
      w.rssBytes === null ? '-' : formatBytes(w.rssBytes),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
  if (report.workers.length < s.workers)
    lines.push('', `${s.workers - report.workers.length} of ${s.workers} worker slot(s) have no live worker`);
  return lines.join('\n') + '\n';
}

function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${seconds}s`;
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
