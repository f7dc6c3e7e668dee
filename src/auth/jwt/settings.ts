/**
 * Validation of JwtSettings, done once when a verifier or signer is built: every problem is reported at once,
 * as messages naming the field (never the key material), so a bad configuration stops start-up with one list.
 */
import { buildKeySet, type KeySet } from './keys.js';
import type { JwtSettings } from './types.js';

/**
 * The values simplejwt uses (and Gatehouse's configuration defaults), for callers that build settings by hand;
 * the keys (signingKey, verifyingKeys) have no default.
 */
export const JWT_SETTINGS_DEFAULTS = Object.freeze({
  leewaySec: 0,
  audience: null,
  issuer: null,
  tokenTypeClaim: 'token_type',
  jtiClaim: 'jti',
  maxTokenLength: 4096,
  cacheSize: 10_000,
}) satisfies Omit<JwtSettings, 'signingKey' | 'verifyingKeys'>;

/**
 * Claim names the verifier reads as plain properties of the parsed payload, so they must not be inherited
 * members of every object ("constructor" would always be "present"); `ok` is reserved because a claims set
 * with an `ok` member is refused (see failures.ts).
 */
function claimNameProblem(name: unknown, field: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return `${field}: expected a non-empty claim name`;
  if (name in Object.prototype || name === 'ok') return `${field}: "${name}" cannot be used as a claim name`;
  return null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function checkFields(settings: JwtSettings, problems: string[]): void {
  const { leewaySec, audience, issuer, maxTokenLength, cacheSize, now } = settings;
  if (typeof leewaySec !== 'number' || !Number.isFinite(leewaySec) || leewaySec < 0) {
    problems.push('leewaySec: expected a number of seconds >= 0');
  }
  const audienceOk =
    audience === null ||
    isNonEmptyString(audience) ||
    (Array.isArray(audience) && audience.length > 0 && audience.every(isNonEmptyString));
  if (!audienceOk) problems.push('audience: expected null, a non-empty string or a non-empty list of them');
  if (issuer !== null && !isNonEmptyString(issuer))
    problems.push('issuer: expected null or a non-empty string');
  for (const [field, name] of [
    ['tokenTypeClaim', settings.tokenTypeClaim],
    ['jtiClaim', settings.jtiClaim],
  ] as const) {
    const problem = claimNameProblem(name, field);
    if (problem !== null) problems.push(problem);
  }
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 1) {
    problems.push('maxTokenLength: expected a positive integer');
  }
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) problems.push('cacheSize: expected an integer >= 0');
  if (now !== undefined && typeof now !== 'function')
    problems.push('now: expected a function returning seconds');
}

/** Every problem of `settings`, as messages naming the field; empty when the settings are usable. */
export function validateJwtSettings(settings: JwtSettings): string[] {
  if (settings === null || typeof settings !== 'object') return ['JWT settings: expected an object'];
  const problems: string[] = [];
  checkFields(settings, problems);
  buildKeySet(settings.signingKey, settings.verifyingKeys, problems);
  return problems;
}

export class JwtSettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid JWT settings: ${problems.join('; ')}`);
    this.name = 'JwtSettingsError';
  }
}

/** The key set of valid settings; throws JwtSettingsError listing every problem otherwise. */
export function resolveKeySet(settings: JwtSettings): KeySet {
  if (settings === null || typeof settings !== 'object')
    throw new JwtSettingsError(['JWT settings: expected an object']);
  const problems: string[] = [];
  checkFields(settings, problems);
  const keys = buildKeySet(settings.signingKey, settings.verifyingKeys, problems);
  if (keys === null || problems.length > 0) throw new JwtSettingsError(problems);
  return keys;
}
