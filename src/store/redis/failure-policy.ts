/**
 * What a throttle decides when its store cannot be asked (Redis down or not answering), per scope:
 *
 *  - fail closed: the request is refused. For the login throttles this is the safe choice: with the limit
 *    unenforced, a password-guessing run could go at full speed for as long as the outage lasts.
 *  - fail open: the request is admitted uncounted. For ordinary API quotas an outage of the counter should not
 *    become an outage of the API.
 *
 * Defaults: closed for login_username and login_ip, open for every other scope (setting throttleFailClosed).
 */
/** How long a client refused by the failure policy is asked to wait (Retry-After): a few reconnection attempts. */
export const OUTAGE_RETRY_AFTER_MS = 5000;

export type FailurePolicy = (scope: string) => 'open' | 'closed';

/** A policy from the list of scopes that fail closed; `*` in the list closes every scope. */
export function failurePolicyOf(failClosedScopes: readonly string[]): FailurePolicy {
  const closed = new Set(failClosedScopes);
  const all = closed.has('*');
  return (scope) => (all || closed.has(scope) ? 'closed' : 'open');
}
