/**
 * Every error Gatehouse answers, in one table: code → HTTP status → body. Bodies are the exact JSON of a
 * Django REST framework + simplejwt deployment (see CONTRACT.md) and are encoded once at start-up, so answering
 * an error on the hot path only copies bytes. Errors whose text depends on the request are built by the small
 * functions below the table. docs/errors.md documents every code; a test checks that it does.
 */
export interface ErrorSpec {
  readonly status: number;
  /** The compact JSON body. */
  readonly body: string;
  /** Whether the 401 carries the first authentication scheme's WWW-Authenticate challenge. */
  readonly challenge: boolean;
}

const spec = (status: number, value: unknown, challenge = false): ErrorSpec =>
  Object.freeze({ status, body: JSON.stringify(value), challenge });

const tokenNotValid = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});

export const ERRORS = {
  not_found: spec(404, { detail: 'Not found.' }),
  not_acceptable: spec(406, { detail: 'Could not satisfy the request Accept header.' }),
  server_error: spec(500, { detail: 'A server error occurred.' }),
  service_unavailable: spec(503, {
    detail: 'Service temporarily unavailable, try again later.',
    code: 'service_unavailable',
  }),
  database_read_only: spec(503, {
    detail: 'The database cannot accept writes right now; try again later.',
    code: 'database_unavailable',
  }),
  not_authenticated: spec(401, { detail: 'Authentication credentials were not provided.' }, true),
  bad_authorization_header: spec(
    401,
    {
      detail: 'Authorization header must contain two space-delimited values',
      code: 'bad_authorization_header',
    },
    true,
  ),
  access_token_invalid: spec(401, tokenNotValid('Token is invalid or expired'), true),
  access_token_wrong_type: spec(401, tokenNotValid('Token has wrong type'), true),
  access_token_no_id: spec(401, tokenNotValid('Token has no id'), true),
  access_token_no_type: spec(401, tokenNotValid('Token has no type'), true),
  access_token_no_exp: spec(401, tokenNotValid("Token has no 'exp' claim"), true),
  token_no_user_id: spec(
    401,
    { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' },
    true,
  ),
  user_not_found: spec(401, { detail: 'User not found', code: 'user_not_found' }, true),
  user_inactive: spec(401, { detail: 'User is inactive', code: 'user_inactive' }, true),
  token_invalid: spec(401, { detail: 'Token is invalid or expired', code: 'token_not_valid' }, true),
  token_wrong_type: spec(401, { detail: 'Token has wrong type', code: 'token_not_valid' }, true),
  token_no_id: spec(401, { detail: 'Token has no id', code: 'token_not_valid' }, true),
  token_no_type: spec(401, { detail: 'Token has no type', code: 'token_not_valid' }, true),
  token_no_exp: spec(401, { detail: "Token has no 'exp' claim", code: 'token_not_valid' }, true),
  token_blacklisted: spec(401, { detail: 'Token is blacklisted', code: 'token_not_valid' }, true),
  token_blacklisted_on_verify: spec(400, { non_field_errors: ['Token is blacklisted'] }),
  no_active_account: spec(401, { detail: 'No active account found with the given credentials' }, true),
  no_active_account_for_token: spec(
    401,
    { detail: 'No active account found for the given token.', code: 'no_active_account' },
    true,
  ),
  invalid_basic_credentials: spec(401, { detail: 'Invalid username/password.' }, true),
  invalid_basic_header: spec(
    401,
    { detail: 'Invalid basic header. Credentials string should not contain spaces.' },
    true,
  ),
  invalid_basic_encoding: spec(
    401,
    { detail: 'Invalid basic header. Credentials not correctly base64 encoded.' },
    true,
  ),
  basic_no_credentials: spec(401, { detail: 'Invalid basic header. No credentials provided.' }, true),
  invalid_api_key: spec(401, { detail: 'Invalid token.' }, true),
  api_key_no_credentials: spec(401, { detail: 'Invalid token header. No credentials provided.' }, true),
  api_key_spaces: spec(
    401,
    { detail: 'Invalid token header. Token string should not contain spaces.' },
    true,
  ),
  api_key_user_inactive: spec(401, { detail: 'User inactive or deleted.' }, true),
  api_key_invalid_characters: spec(
    401,
    { detail: 'Invalid token header. Token string should not contain invalid characters.' },
    true,
  ),
  /** DRF's AuthenticationFailed default, for custom schemes (authenticationFailed() gives another message). */
  authentication_failed: spec(401, { detail: 'Incorrect authentication credentials.' }, true),
  permission_denied: spec(403, { detail: 'You do not have permission to perform this action.' }),
  invalid_utf8: spec(400, { detail: 'JSON parse error - the body is not valid UTF-8' }),
  /** RFC 9112 §6.3: more than one Content-Length is invalid framing; the connection is closed after this answer. */
  repeated_content_length: spec(400, {
    detail: 'Content-Length must be sent once.',
    code: 'bad_request_framing',
  }),
  /** Gatekeeper mode: the proxy did not describe the request to judge (a misconfigured auth_request location). */
  gatekeeper_request_incomplete: spec(400, {
    detail: 'X-Original-Method and X-Original-URI must describe the request to check.',
    code: 'gatekeeper_request_incomplete',
  }),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Builds an ErrorSpec at run time, for the few errors whose text depends on the request. */
export function dynamicError(status: number, value: unknown, challenge = false): ErrorSpec {
  return spec(status, value, challenge);
}

export const methodNotAllowed = (method: string): ErrorSpec =>
  dynamicError(405, { detail: `Method "${method}" not allowed.` });

export const unsupportedMediaType = (contentType: string): ErrorSpec =>
  dynamicError(415, { detail: `Unsupported media type "${contentType}" in request.` });

export const parseError = (what: string): ErrorSpec =>
  dynamicError(400, { detail: `JSON parse error - ${what}` });

export const payloadTooLarge = (limit: number): ErrorSpec =>
  dynamicError(413, {
    detail: `Request body is larger than the limit of ${limit} bytes.`,
    code: 'payload_too_large',
  });

/** DRF's Throttled: the wait is rounded up to whole seconds; "second" when it is exactly 1. */
export function throttled(waitSeconds: number): ErrorSpec {
  const wait = Math.max(0, Math.ceil(waitSeconds));
  // A throttled client is usually refused many times with the same few waits: encode each body once.
  let spec = wait < THROTTLED_CACHE_LIMIT ? throttledByWait[wait] : undefined;
  if (spec === undefined) {
    spec = dynamicError(429, {
      detail: `Request was throttled. Expected available in ${wait} ${wait === 1 ? 'second' : 'seconds'}.`,
    });
    if (wait < THROTTLED_CACHE_LIMIT) throttledByWait[wait] = spec;
  }
  return spec;
}

/** One day of distinct waits at most (a few hundred KiB in the worst case). */
const THROTTLED_CACHE_LIMIT = 86_400;
const throttledByWait: (ErrorSpec | undefined)[] = [];

/** Python's names for JSON types, as DRF reports them ("Expected a dictionary, but got list."). */
export function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) && !Object.is(value, -0) ? 'int' : 'float';
    default:
      return 'dict';
  }
}

export const notADictionary = (value: unknown): ErrorSpec =>
  dynamicError(400, {
    non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(value)}.`],
  });

/** Field errors in the serializer's field order: {"username":["This field is required."],…}. */
export function fieldErrors(errors: ReadonlyArray<readonly [string, string]>): ErrorSpec {
  const body: Record<string, string[]> = {};
  for (const [field, message] of errors) (body[field] ??= []).push(message);
  return dynamicError(400, body);
}
