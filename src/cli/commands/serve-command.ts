/** `gatehouse serve`: validate configuration, prepare the data directory, run the cluster supervisor. */
import { resolveSigningKey } from '../../app/signing-key.js';
import { Supervisor } from '../../cluster/supervisor.js';
import { workerScriptPath } from '../../cluster/worker-script.js';
import type { Config } from '../../config/config-types.js';
import { loadConfig } from '../../config/load-config.js';
import { createLogger } from '../../log/logger.js';
import type { Command, ParsedCommand } from '../command.js';

function flagsOf(parsed: ParsedCommand): Record<string, string> {
  const flags: Record<string, string> = {};
  const map: Record<string, string> = {
    host: 'host',
    port: 'port',
    workers: 'workers',
    'data-dir': 'dataDir',
    config: 'configFile',
  };
  for (const [option, key] of Object.entries(map)) {
    const value = parsed.values[option];
    if (typeof value === 'string') flags[key] = value;
  }
  return flags;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the server: a supervisor and one worker process per core, on one port.',
  usage: '[--host H] [--port P] [--workers N] [--data-dir DIR] [--config FILE]',
  help: [
    'Options (each also from the environment or the config file; flags win):',
    '  --host H         address to listen on (GATEHOUSE_HOST, default 127.0.0.1)',
    '  --port P         port, 0 for any free one (GATEHOUSE_PORT, default 8000)',
    '  --workers N      worker processes (GATEHOUSE_WORKERS, default: one per core)',
    '  --data-dir DIR   database and generated key (GATEHOUSE_DATA_DIR, default ./var)',
    '  --config FILE    JSON config file (GATEHOUSE_CONFIG)',
    '',
    'Signals: SIGTERM/SIGINT stop gracefully (in-flight requests finish); SIGHUP re-reads the',
    'configuration, starts a new set of workers and retires the old ones once the new ones are',
    'ready, without dropping requests (an invalid configuration changes nothing).',
    'Deployment with systemd and Nginx: docs/deployment.md. Every setting: "gatehouse config settings".',
  ].join('\n'),
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    workers: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
  },
  async run(parsed) {
    const flags = flagsOf(parsed);
    const load = (): Config => {
      const resolved = resolveSigningKey(loadConfig({ flags, env: process.env }));
      return resolved.config;
    };
    const initial = resolveSigningKey(loadConfig({ flags, env: process.env }));
    const config = initial.config;
    const logger = createLogger(config.logLevel, { role: 'supervisor' });
    if (initial.generatedKeyPath !== null) {
      logger.warn(
        { keyFile: initial.generatedKeyPath, created: initial.created },
        'no signing key configured: using a generated development key. Production must set GATEHOUSE_SIGNING_KEY or signingKeyFile',
      );
    }
    return new Promise<number>((resolve) => {
      const supervisor = new Supervisor({
        config,
        reloadConfig: load,
        logger,
        // Workers start through the path this command was started by, so a switched `current` release
        // symlink reaches the workers of the next reload (src/cluster/worker-script.ts).
        workerScript: workerScriptPath(process.argv[1]),
        // Set by systemd for Type=notify units (ops/systemd/gatehouse.service): readiness and reload progress.
        notifySocket: process.env['NOTIFY_SOCKET'] ?? null,
        onExit: (code) => {
          logger.flush();
          resolve(code);
        },
      });
      process.on('SIGINT', () => void supervisor.stop(0));
      process.on('SIGTERM', () => void supervisor.stop(0));
      process.on('SIGHUP', () => void supervisor.reload());
      supervisor.start().then(
        (port) => {
          const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
          logger.info({ url, port, workers: config.workers, dataDir: config.dataDir }, 'listening');
          if (process.stderr.isTTY) {
            process.stderr.write(
              `\nGatehouse is serving ${url}/ with ${config.workers} worker(s). Press Ctrl-C to stop.\n` +
                `Create a first user:  ./bin/gatehouse user create alice --data-dir ${config.dataDir}\n\n`,
            );
          }
        },
        (error: unknown) => {
          logger.fatal({ err: error }, 'start-up failed');
          void supervisor.stop(1);
        },
      );
    });
  },
};
