/**
 * The example API of the contract, built with the same public API applications use (defineRoute), so the whole
 * pipeline is exercised end to end and can be compared with a DRF deployment.
 */
import type { RequestContext } from '../http/request-context.js';
import { IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly } from '../policies/permissions.js';
import { defineRoute, type RouteDefinition } from '../pipeline/define-route.js';
import { constantReply, json, rawJson } from '../pipeline/replies.js';
import { thenMaybe } from '../pipeline/types.js';
import { validateCharFields } from './serializer.js';
import type { AppServices } from './services.js';

const HELLO = constantReply(200, { message: 'hello' });
const HELLO_ADMIN = constantReply(200, { message: 'hello admin' });
const LIMITED = constantReply(200, { message: 'limited' });
const NOTE_MAX_LENGTH = 200;

export function exampleRoutes(services: AppServices): RouteDefinition[] {
  const { notes } = services.stores;
  return [
    defineRoute({
      method: 'GET',
      path: '/api/public/',
      name: 'Public',
      description: 'A public endpoint: anyone may call it, anonymous callers are throttled by address.',
      throttles: ['anon'],
      handler: () => HELLO,
      openapi: { summary: 'Public greeting', response: objectOf({ message: 'string' }) },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/hello/',
      name: 'Hello',
      description: 'Greets the authenticated user.',
      permission: IsAuthenticated,
      throttles: ['user'],
      // The body is built by concatenation: the id is an integer, nothing needs escaping.
      handler: (ctx: RequestContext) =>
        rawJson(200, '{"message":"hello","user_id":' + ctx.credentials!.user.id + '}'),
      openapi: {
        summary: 'Authenticated greeting',
        response: objectOf({ message: 'string', user_id: 'integer' }),
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/me/',
      name: 'Me',
      description: 'The authenticated user.',
      permission: IsAuthenticated,
      handler: (ctx) => {
        const user = ctx.credentials!.user;
        return json(200, { id: user.id, username: user.username, is_staff: user.isStaff });
      },
      openapi: {
        summary: 'Current user',
        response: objectOf({ id: 'integer', username: 'string', is_staff: 'boolean' }),
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/admin/',
      name: 'Admin',
      description: 'Staff only.',
      permission: IsAdminUser,
      handler: () => HELLO_ADMIN,
      openapi: { summary: 'Staff greeting', response: objectOf({ message: 'string' }) },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/limited/',
      name: 'Limited',
      description: 'Authenticated, with the scoped throttle "limited".',
      permission: IsAuthenticated,
      throttles: [{ scope: 'limited' }],
      handler: () => LIMITED,
      openapi: { summary: 'Scoped-throttle example', response: objectOf({ message: 'string' }) },
    }),
    defineRoute({
      method: ['GET', 'POST'],
      path: '/api/notes/',
      name: 'Notes',
      description: 'Notes: anyone may read, authenticated users may write.',
      permission: IsAuthenticatedOrReadOnly,
      // Synchronous with the embedded store (no await on the request path), asynchronous with PostgreSQL.
      handler: (ctx) => {
        if (ctx.method !== 'POST') return thenMaybe(notes.list(), (list) => json(200, list));
        const validated = validateCharFields(ctx.body!, [{ name: 'text', maxLength: NOTE_MAX_LENGTH }]);
        if (!validated.ok) return validated.error;
        // `owner` in the body is ignored: it is always the authenticated user.
        const created = notes.create(
          ctx.credentials!.user.id,
          validated.values['text']!,
          new Date().toISOString(),
        );
        return thenMaybe(created, (note) => json(201, note));
      },
      openapi: {
        summary: 'List or create notes',
        requestBody: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', maxLength: NOTE_MAX_LENGTH } },
        },
        response: objectOf({ id: 'integer', text: 'string', owner: 'string' }),
        successStatus: 201,
      },
    }),
  ];
}

function objectOf(fields: Record<string, string>): Record<string, unknown> {
  return {
    type: 'object',
    required: Object.keys(fields),
    properties: Object.fromEntries(Object.entries(fields).map(([k, t]) => [k, { type: t }])),
  };
}
