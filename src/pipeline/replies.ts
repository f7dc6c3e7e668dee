/** Helpers for handlers to build replies. `json` encodes a value; `rawJson` takes text already encoded. */
import type { Reply } from './types.js';

export function json(status: number, value: unknown, headers?: readonly string[]): Reply {
  const body = JSON.stringify(value);
  return headers === undefined ? { status, body } : { status, body, headers };
}

export function rawJson(status: number, body: string, headers?: readonly string[]): Reply {
  return headers === undefined ? { status, body } : { status, body, headers };
}

/** A reply built once and returned for every request (no allocation per request). */
export function constantReply(status: number, value: unknown): Reply {
  return Object.freeze({ status, body: JSON.stringify(value) });
}
