/**
 * DRF's throttle classes, compiled once per scope. A scope's rule (its rate) is shared by every route that uses
 * the scope, exactly like DRF's cache keys (`throttle_user_<id>` counts a user's requests over all views with the
 * user throttle), and bucket keys are made from the user id or the client address.
 *
 * Rules come from configuration only (`throttleRates`, plus the login-abuse scopes), with ids in a fixed order,
 * so the supervisor that lays out the shared-memory store and every worker agree on them without talking.
 */
import type { ThrottleConfig } from '../config/config-types.js';
import type { RequestContext } from '../http/request-context.js';
import type { ThrottleSpec } from '../pipeline/define-route.js';
import type { Throttle } from '../pipeline/types.js';
import type { ThrottleRule } from '../store/throttle/throttle-store.js';
import { parseRate } from './rate.js';

export const LOGIN_USERNAME_SCOPE = 'login_username';
export const LOGIN_IP_SCOPE = 'login_ip';

/** DRF's get_ident for anonymous requests, or the user id for authenticated ones. */
function userOrAddress(ctx: RequestContext): string {
  const credentials = ctx.credentials;
  return credentials === null ? 'ip:' + ctx.clientAddress() : 'user:' + credentials.user.id;
}

/** AnonRateThrottle: only anonymous requests, by address. */
function anonymousAddress(ctx: RequestContext): string | null {
  return ctx.credentials === null ? 'ip:' + ctx.clientAddress() : null;
}

/** Every throttle rule of a configuration, ids assigned in scope order. Throws on a bad rate. */
export function throttleRulesOf(config: ThrottleConfig): ThrottleRule[] {
  const rates: [string, string][] = Object.entries(config.rates);
  if (config.loginRateByUsername !== null) rates.push([LOGIN_USERNAME_SCOPE, config.loginRateByUsername]);
  if (config.loginRateByIp !== null) rates.push([LOGIN_IP_SCOPE, config.loginRateByIp]);
  rates.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return rates.map(([scope, text], id) => {
    const parsed = parseRate(text);
    if (!parsed.ok) throw new Error(`throttle scope "${scope}": ${parsed.error}`);
    return Object.freeze({ scope, limit: parsed.value.limit, periodMs: parsed.value.periodMs, id });
  });
}

export class ThrottleRegistry {
  private readonly rules: ReadonlyMap<string, ThrottleRule>;

  constructor(config: ThrottleConfig) {
    this.rules = new Map(throttleRulesOf(config).map((r) => [r.scope, r]));
  }

  allRules(): ThrottleRule[] {
    return [...this.rules.values()];
  }

  /** The rule of a scope, or null when the scope has no rate (login throttles switched off). */
  find(scope: string): ThrottleRule | null {
    return this.rules.get(scope) ?? null;
  }

  rule(scope: string): ThrottleRule {
    const rule = this.rules.get(scope);
    // DRF raises ImproperlyConfigured ("No default throttle rate set for 'x' scope") at the first request;
    // Gatehouse refuses to start instead.
    if (rule === undefined)
      throw new Error(
        `no throttle rate configured for scope "${scope}" (set throttleRates, e.g. ${scope}=100/min)`,
      );
    return rule;
  }

  compile(spec: ThrottleSpec): Throttle {
    if (spec === 'anon') return { rule: this.rule('anon'), key: anonymousAddress };
    if (spec === 'user') return { rule: this.rule('user'), key: userOrAddress };
    return { rule: this.rule(spec.scope), key: spec.key ?? userOrAddress };
  }
}
