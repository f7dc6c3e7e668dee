/**
 * Login abuse protection for POST /api/token/: attempts are throttled per (username, client address) and per
 * client address, so a password-guessing run from one address is slowed down while the real user, logging in
 * from another address, is not locked out. Runs before any password hashing, so a throttled attempt costs
 * nothing. Rates: `loginRateByUsername` and `loginRateByIp` (empty disables either). When the counters live in
 * Redis and Redis is unreachable, both scopes fail closed by default (throttleFailClosed): 503 with Retry-After.
 */
import type { LoginThrottle } from '../api/services.js';
import { ERRORS, throttled } from '../errors.js';
import type { RequestContext } from '../http/request-context.js';
import { LOGIN_IP_SCOPE, LOGIN_USERNAME_SCOPE, type ThrottleRegistry } from '../policies/throttles.js';
import type { MaybePromise, Reply } from '../pipeline/types.js';
import type { ThrottleOutcome, ThrottleRule } from '../store/throttle/throttle-store.js';
import type { SharedState } from './build-app.js';

export function createLoginThrottle(registry: ThrottleRegistry, shared: SharedState): LoginThrottle | null {
  const byUser = registry.find(LOGIN_USERNAME_SCOPE);
  const byIp = registry.find(LOGIN_IP_SCOPE);
  if (byUser === null && byIp === null) return null;
  const store = shared.throttleStore;
  const redis = shared.redis ?? null;
  const decide = (out: ThrottleOutcome): Reply | null => {
    if (out.admitted) return null;
    const retryAfter = ['Retry-After', String(Math.max(1, Math.ceil(out.waitMs / 1000)))];
    // The limiter cannot be asked (Redis down) and login fails closed: a 503, not a 429 that blames the client.
    if (redis !== null && redis.refusedByPolicy(out))
      return {
        status: ERRORS.service_unavailable.status,
        body: ERRORS.service_unavailable.body,
        headers: retryAfter,
      };
    const spec = throttled(out.waitMs / 1000);
    return { status: spec.status, body: spec.body, headers: retryAfter };
  };
  return {
    check(ctx: RequestContext, username: string): MaybePromise<Reply | null> {
      const address = ctx.clientAddress();
      const rules: ThrottleRule[] = [];
      const keys: string[] = [];
      if (byUser !== null) {
        rules.push(byUser);
        // Usernames are case-sensitive in Django; the key keeps them as sent (bounded by the 150-char check).
        keys.push(`${address}|${username}`);
      }
      if (byIp !== null) {
        rules.push(byIp);
        keys.push(address);
      }
      const out: ThrottleOutcome = { admitted: true, waitMs: 0, remaining: 0, resetMs: 0, limit: 0 };
      const pending = store.hitAll(rules, keys, Date.now(), out);
      return pending instanceof Promise ? pending.then(() => decide(out)) : decide(out);
    },
  };
}
