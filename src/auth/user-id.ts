/**
 * The user id claim as simplejwt accepts it: an integer, or a decimal string (Django casts it when querying).
 * Anything else — a non-numeric string would make the reference crash with a 500 — is "no recognizable user
 * identification" here.
 */
export function userIdFromClaim(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) {
    const n = Number(value);
    return n > 0 ? n : null;
  }
  return null;
}
