/**
 * The public way to write a custom authentication scheme (DRF's BaseAuthentication subclass). A scheme is an
 * object with a name, a challenge and `authenticate(ctx)`; defineScheme validates it once, at start-up.
 *
 * `authenticate` answers, synchronously when it can (the request is then answered without an await):
 *   null              the request carries nothing this scheme recognises: the next scheme is tried;
 *   Credentials       { user, scheme, token }: the request is authenticated, no other scheme runs;
 *   an ErrorSpec      the request is this scheme's but its credentials are bad: the request fails with it
 *                     (authenticationFailed('…') builds DRF's AuthenticationFailed), no other scheme runs;
 *   a Promise of one of these, when it must wait (a database, a remote service).
 * Headers other than Authorization must be listed in `headers` (lower case): uWS frees the request's headers
 * when its callback returns, so the server copies the listed ones for the routes that use the scheme, and
 * `ctx.header(name)` reads them.
 */
import { dynamicError, type ErrorSpec } from '../../errors.js';
import type { AuthenticationScheme } from '../../pipeline/types.js';

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

export class SchemeDefinitionError extends Error {}

export function defineScheme(scheme: AuthenticationScheme): AuthenticationScheme {
  if (typeof scheme.name !== 'string' || !NAME.test(scheme.name)) {
    throw new SchemeDefinitionError(
      `scheme name ${JSON.stringify(scheme.name)}: expected a word (letters, digits, _ or -)`,
    );
  }
  if (
    scheme.challenge !== null &&
    (typeof scheme.challenge !== 'string' || scheme.challenge === '' || /[\r\n]/.test(scheme.challenge))
  ) {
    throw new SchemeDefinitionError(
      `scheme ${scheme.name}: challenge must be null or a one-line WWW-Authenticate value`,
    );
  }
  if (typeof scheme.authenticate !== 'function')
    throw new SchemeDefinitionError(`scheme ${scheme.name}: authenticate must be a function`);
  for (const header of scheme.headers ?? []) {
    if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
      throw new SchemeDefinitionError(
        `scheme ${scheme.name}: header ${JSON.stringify(header)} must be a lower-case header name`,
      );
    }
  }
  return Object.freeze({
    ...scheme,
    ...(scheme.headers === undefined ? {} : { headers: Object.freeze([...scheme.headers]) }),
  });
}

/**
 * DRF's AuthenticationFailed: a 401 `{"detail": message}` with the route's challenge (or a 403 when the route's
 * first scheme has none). Build it once, at start-up, when the message is constant.
 */
export function authenticationFailed(message = 'Incorrect authentication credentials.'): ErrorSpec {
  return dynamicError(401, { detail: message }, true);
}
