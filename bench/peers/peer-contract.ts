/**
 * What the peers answer and the limits every system runs with in `make bench`, in one place so Gatehouse
 * (through GATEHOUSE_THROTTLE_RATES) and the peers cannot drift apart.
 */

/** A limit no scenario reaches: the throttle stage runs (and records) on every request but always admits. */
export const NEVER_REACHED_PER_MINUTE = 1_000_000_000;
/** The throttled scenario's scoped limit: after the first few requests every answer is a 429. */
export const LOW_LIMIT_PER_MINUTE = 10;

/** The success bodies of the example API (CONTRACT.md), byte for byte. The bench user has id 1. */
export const SUCCESS_BODIES: Readonly<Record<string, string>> = {
  '/api/public/': '{"message":"hello"}',
  '/api/hello/': '{"message":"hello","user_id":1}',
  '/api/limited/': '{"message":"limited"}',
};

export const NOT_FOUND_BODY = '{"detail":"Not found."}';
export const NOT_AUTHENTICATED_BODY = '{"detail":"Authentication credentials were not provided."}';
export const TOKEN_NOT_VALID_BODY =
  '{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}';

export function throttledBody(waitSeconds: number): string {
  return `{"detail":"Request was throttled. Expected available in ${waitSeconds} second${waitSeconds === 1 ? '' : 's'}."}`;
}

/** One JSON log line on stdout, in the shape Gatehouse's supervisor uses (the harness reads them). */
export function logLine(fields: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(fields) + '\n');
}

export function workersArgument(argv: readonly string[]): number {
  const i = argv.indexOf('--workers');
  const workers = i < 0 ? 1 : Number(argv[i + 1]);
  if (!Number.isInteger(workers) || workers < 1) throw new Error('usage: --workers N (N ≥ 1)');
  return workers;
}
