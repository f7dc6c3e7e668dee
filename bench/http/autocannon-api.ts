/**
 * autocannon's programmatic API, typed for the scripts that run it in their own process (the load driver, the
 * RSS soak): autocannon is CommonJS without typings in this tree. Only what those scripts use is declared.
 */
import { createRequire } from 'node:module';

export interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Called before each request is sent; may rewrite it (another token, another body). */
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string | Buffer) => void;
}

export interface AutocannonResult {
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}

export interface Tracker {
  on(
    event: 'response',
    listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void,
  ): void;
}

type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void,
) => Tracker;

export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
