/**
 * Request headers a route declared it needs besides the few every request copies (its custom schemes' `headers`
 * and its own `headers`). uWS frees HttpRequest when the request callback returns, so they are copied into the
 * request context first, and only for the routes that declared some: other requests pay one null check.
 */
import type { HttpRequest } from './uws.js';

export function copyDeclaredHeaders(req: HttpRequest, names: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) headers[names[i]!] = req.getHeader(names[i]!);
  return headers;
}
