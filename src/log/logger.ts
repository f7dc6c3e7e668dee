/**
 * Structured logs: JSON lines through pino. Workers write to their stdout, which the supervisor reads line by
 * line and forwards, so lines of different workers never interleave mid-line on a shared pipe.
 * Tokens and passwords are never logged; pino's redaction drops them should one end up in a logged object.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      redact: {
        paths: [
          'password',
          'token',
          'refresh',
          'access',
          'authorization',
          '*.password',
          '*.token',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: false, minLength: 0 }),
  );
}
