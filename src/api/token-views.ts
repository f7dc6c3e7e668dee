/**
 * simplejwt's four token views, wire-compatible: same paths, bodies, messages and statuses (CONTRACT.md).
 * They authenticate nobody (authentication_classes = ()), but their 401s still carry simplejwt's
 * `WWW-Authenticate: Bearer realm="api"` (TokenViewBase.get_authenticate_header).
 */
import { isPasswordTooLong } from '../auth/passwords/index.js';
import { ERRORS, type ErrorSpec } from '../errors.js';
import type { RequestContext } from '../http/request-context.js';
import { defineRoute, type FieldMetadata, type RouteDefinition } from '../pipeline/define-route.js';
import { rawJson } from '../pipeline/replies.js';
import type { Reply } from '../pipeline/types.js';
import { exceedsCodePoints } from '../text/code-points.js';
import { validateCharFields, type CharFieldSpec } from './serializer.js';
import type { AppServices } from './services.js';

/** Django's username max_length: no account has a longer name. */
const USERNAME_MAX_LENGTH = 150;
const EMPTY_OBJECT: Reply = Object.freeze({ status: 200, body: '{}' });

export function tokenRoutes(services: AppServices): RouteDefinition[] {
  const { config, passwords, tokens, stores, loginThrottle } = services;
  const challenge = `${config.tokens.authHeaderTypes[0] ?? 'Bearer'} realm="api"`;
  // simplejwt's serializer puts no length limit on either field: an over-long value is a failed login.
  const credentialsFields: CharFieldSpec[] = [{ name: 'username' }, { name: 'password' }];
  const refreshField: CharFieldSpec[] = [{ name: 'refresh' }];
  const tokenField: CharFieldSpec[] = [{ name: 'token' }];

  const obtain = async (ctx: RequestContext): Promise<Reply | ErrorSpec> => {
    const validated = validateCharFields(ctx.body!, credentialsFields);
    if (!validated.ok) return validated.error;
    const { username, password } = validated.values as { username: string; password: string };
    // Refused before the throttle, the lookup and any hashing (a DoS guard): no account has such a name, and no
    // password that long is ever verified. The answer is the reference's, a failed login; answering it fast
    // tells nothing about the account (the attacker chose the length).
    if (exceedsCodePoints(username, USERNAME_MAX_LENGTH) || isPasswordTooLong(password, config.passwords))
      return ERRORS.no_active_account;
    const limited = loginThrottle === null ? null : await loginThrottle.check(ctx, username);
    if (limited !== null) return limited;
    const user = await stores.users.findByUsername(username);
    // An unknown user still costs one password verification, so timing does not reveal which usernames exist.
    const valid =
      user === null
        ? await passwords.verifyDummy(password)
        : await passwords.verify(user.passwordHash, password);
    if (user === null || !valid || !user.isActive) return ERRORS.no_active_account;
    if (passwords.needsRehash(user.passwordHash)) {
      // Django-format or older-parameter hashes are upgraded now that the plain password is known.
      await stores.users.setPasswordHash(user.id, await passwords.hash(password));
    }
    const pair = await tokens.obtainPair(user.id);
    if (config.tokens.updateLastLogin) await stores.users.touchLastLogin(user.id, new Date().toISOString());
    return rawJson(
      200,
      `{"refresh":${JSON.stringify(pair.refresh)},"access":${JSON.stringify(pair.access)}}`,
    );
  };

  const refresh = async (ctx: RequestContext): Promise<Reply | ErrorSpec> => {
    const validated = validateCharFields(ctx.body!, refreshField);
    if (!validated.ok) return validated.error;
    const result = await tokens.refresh(validated.values['refresh']!);
    if ('challenge' in result) return result;
    return rawJson(
      200,
      result.refresh === undefined
        ? `{"access":${JSON.stringify(result.access)}}`
        : `{"access":${JSON.stringify(result.access)},"refresh":${JSON.stringify(result.refresh)}}`,
    );
  };

  const verify = async (ctx: RequestContext): Promise<Reply | ErrorSpec> => {
    const validated = validateCharFields(ctx.body!, tokenField);
    if (!validated.ok) return validated.error;
    return (await tokens.verify(validated.values['token']!)) ?? EMPTY_OBJECT;
  };

  const blacklist = async (ctx: RequestContext): Promise<Reply | ErrorSpec> => {
    const validated = validateCharFields(ctx.body!, refreshField);
    if (!validated.ok) return validated.error;
    return (await tokens.blacklist(validated.values['refresh']!)) ?? EMPTY_OBJECT;
  };

  const common = { authentication: [], throttles: [], challenge } as const;
  return [
    defineRoute({
      ...common,
      method: 'POST',
      path: '/api/token/',
      name: 'Token Obtain Pair',
      description:
        'Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.',
      handler: obtain,
      actions: { POST: { username: writable('Username'), password: writable('Password') } },
      openapi: {
        summary: 'Obtain an access and refresh token pair',
        // The login-abuse throttle (loginRateByUsername / loginRateByIp) answers 429.
        ...(loginThrottle === null ? {} : { errorStatuses: [429] }),
        requestBody: stringFields(['username', 'password']),
        response: stringFields(['refresh', 'access']),
      },
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/api/token/refresh/',
      name: 'Token Refresh',
      description:
        'Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.',
      handler: refresh,
      actions: { POST: { refresh: writable('Refresh'), access: readOnly('Access') } },
      openapi: {
        summary: 'Refresh (and rotate) a refresh token',
        requestBody: stringFields(['refresh']),
        response: stringFields(['access', 'refresh'], ['access']),
      },
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/api/token/verify/',
      name: 'Token Verify',
      description:
        "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.",
      handler: verify,
      actions: { POST: { token: writable('Token') } },
      openapi: {
        summary: 'Verify a token',
        requestBody: stringFields(['token']),
        response: { type: 'object' },
      },
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/api/token/blacklist/',
      name: 'Token Blacklist',
      description:
        'Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.',
      handler: blacklist,
      actions: { POST: { refresh: writable('Refresh') } },
      openapi: {
        summary: 'Blacklist a refresh token',
        requestBody: stringFields(['refresh']),
        response: { type: 'object' },
      },
    }),
  ];
}

/** simplejwt's serializer fields as DRF's OPTIONS describes them: a required input, or an output. */
function writable(label: string): FieldMetadata {
  return { type: 'string', required: true, read_only: false, label };
}

function readOnly(label: string): FieldMetadata {
  return { type: 'string', required: false, read_only: true, label };
}

function stringFields(names: string[], required: string[] = names): Record<string, unknown> {
  return {
    type: 'object',
    required,
    properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])),
  };
}
