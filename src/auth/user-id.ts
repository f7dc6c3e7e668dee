/**
 * The user id claim as simplejwt 5.2 treats it: JWTAuthentication looks the user up with
 * `User.objects.get(id=<claim>)`, and Django turns the claim into an integer with Python's int(). So:
 *  - an integer is itself; a float is truncated (1.0 and 1.5 are user 1); true and false are 1 and 0;
 *  - a string is read as Python's int() reads it: surrounding whitespace, a sign, decimal digits with single
 *    underscores between them (" 1", "+01" and "1_0" are users 1, 1 and 10);
 *  - null matches no user.
 * The result is a positive id, 0 for a claim that names no possible user (null, zero, negative, beyond any
 * id: "User not found", as the reference answers), or null for a claim the reference cannot cast (a string
 * like "abc" or "1.0", a list, an object: it crashes with a 500), answered here with "Token contained no
 * recognizable user identification", like a missing claim.
 */
export const NO_SUCH_USER = 0;

/** Python's int(str) for base 10, ASCII only (Unicode digits are refused as unrecognizable). */
const PYTHON_INT = /^[ \t\n\v\f\r]*([+-]?)(\d+(?:_\d+)*)[ \t\n\v\f\r]*$/;

export function userIdFromClaim(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? positiveId(Math.trunc(value)) : null;
  if (typeof value === 'boolean') return value ? 1 : NO_SUCH_USER;
  if (value === null) return NO_SUCH_USER;
  if (typeof value !== 'string') return null;
  const match = PYTHON_INT.exec(value);
  if (match === null) return null;
  if (match[1] === '-') return NO_SUCH_USER;
  // Leading zeros do not change the value; more than 15 significant digits is beyond any stored id.
  const significant = match[2]!.replaceAll('_', '').replace(/^0+/, '');
  return significant.length > 15 ? NO_SUCH_USER : positiveId(Number(significant));
}

function positiveId(n: number): number {
  return Number.isSafeInteger(n) && n > 0 ? n : NO_SUCH_USER;
}
