/**
 * The registered-claim checks of PyJWT 2.6 (jwt.api_jwt._validate_claims) and simplejwt 5.2's check_exp, as
 * one validity window [start, end) in seconds. PyJWT compares against a whole-second clock
 * (timegm(utctimetuple()), i.e. floor(now)) and truncates exp and nbf with int(); iat is compared as given.
 * Rewritten for a clock `now` with fractions, with L the leeway:
 *   iat: refused when iat > floor(now) + L              <=> accepted from now >= ceil(iat - L)
 *   nbf: refused when int(nbf) > floor(now) + L         <=> accepted from now >= ceil(int(nbf) - L)
 *   exp: refused when int(exp) <= floor(now) - L        <=> accepted until now <  ceil(int(exp) + L)
 *        simplejwt then refuses exp <= now - L          <=> accepted until now <  exp + L
 * With integer claims and leeway this is exactly "exp <= now - leeway is expired" and "iat/nbf > now +
 * leeway is not yet valid". The same window bounds a cache entry, so the cache can never return a token the
 * full check would refuse.
 *
 * Only JSON numbers count as times. Gatehouse refuses the rest (a string, even numeric, or null) where the
 * reference raises an uncaught TypeError (HTTP 500), and also a boolean, which Python would treat as 0 or 1.
 */

function isTime(value: unknown): value is number {
  // JSON.parse turns 1e999 into Infinity; Python's int() would raise on it.
  return typeof value === 'number' && Number.isFinite(value);
}

/** First instant (seconds) at which iat and nbf allow the token; -Infinity without them; NaN when malformed. */
export function validFrom(iat: unknown, nbf: unknown, leewaySec: number): number {
  let start = -Infinity;
  if (iat !== undefined) {
    if (!isTime(iat)) return NaN;
    start = Math.ceil(iat - leewaySec);
  }
  if (nbf !== undefined) {
    if (!isTime(nbf)) return NaN;
    start = Math.max(start, Math.ceil(Math.trunc(nbf) - leewaySec));
  }
  return start;
}

/** First instant (seconds) at which exp refuses the token; Infinity without exp; NaN when malformed. */
export function validUntil(exp: unknown, leewaySec: number): number {
  if (exp === undefined) return Infinity;
  if (!isTime(exp)) return NaN;
  return Math.min(Math.ceil(Math.trunc(exp) + leewaySec), exp + leewaySec);
}

/**
 * PyJWT's _validate_aud when an audience is configured: the claim must be a string or a list of strings (any
 * other element refuses the token) containing one of the accepted audiences ("" and [] never do).
 */
export function audienceAccepted(aud: unknown, accepted: ReadonlySet<string>): boolean {
  if (typeof aud === 'string') return accepted.has(aud);
  if (!Array.isArray(aud)) return false;
  let matched = false;
  for (let i = 0; i < aud.length; i++) {
    const value: unknown = aud[i];
    if (typeof value !== 'string') return false;
    if (accepted.has(value)) matched = true;
  }
  return matched;
}
