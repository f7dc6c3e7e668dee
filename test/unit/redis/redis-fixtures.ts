/** Shared set-up of the Redis unit tests: a link to the test's redis-server, and a logger that records lines. */
import type { Logger } from '../../../src/log/logger.js';
import { RedisLink } from '../../../src/store/redis/redis-link.js';

export interface RecordedLine {
  readonly level: 'warn' | 'info' | 'error';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

export function recordingLogger(): { logger: Logger; lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const at =
    (level: RecordedLine['level']) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  return { logger: { warn: at('warn'), info: at('info'), error: at('error') } as unknown as Logger, lines };
}

export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function openLink(
  url: string,
  options: { timeoutMs?: number; logger?: Logger | null } = {},
): Promise<RedisLink> {
  const link = new RedisLink({
    url,
    clientName: 'gatehouse-test',
    timeoutMs: options.timeoutMs ?? 1000,
    logger: options.logger ?? null,
    what: 'throttle store',
  });
  await until(() => link.usable, 'the Redis link to connect');
  return link;
}

let prefixes = 0;
/** A key prefix of its own for each store, so tests sharing one server never see each other's keys. */
export function uniquePrefix(): string {
  return `test${process.pid}-${++prefixes}:`;
}
