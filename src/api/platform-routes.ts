/**
 * Routes every deployment has: health probes (outside the pipeline), the JWKS document, and revoke-all.
 */
import { ERRORS } from '../errors.js';
import { IsAuthenticated } from '../policies/permissions.js';
import { defineRoute, type RouteDefinition } from '../pipeline/define-route.js';
import { constantReply, json } from '../pipeline/replies.js';
import { thenMaybe } from '../pipeline/types.js';
import type { AppServices } from './services.js';

const ALIVE = constantReply(200, { status: 'ok' });
const READY = constantReply(200, { status: 'ready' });

export function platformRoutes(services: AppServices): RouteDefinition[] {
  const open = { authentication: [], throttles: [] } as const;
  const routes: RouteDefinition[] = [
    defineRoute({
      ...open,
      method: 'GET',
      path: '/healthz',
      name: 'Health',
      description: 'Liveness: the worker answers.',
      handler: () => ALIVE,
      openapi: { summary: 'Liveness probe', response: { type: 'object' } },
    }),
    defineRoute({
      ...open,
      method: 'GET',
      path: '/readyz',
      name: 'Readiness',
      description: 'Readiness: the database answers.',
      handler: () => thenMaybe(services.stores.ping(), (ok) => (ok ? READY : ERRORS.service_unavailable)),
      openapi: { summary: 'Readiness probe', response: { type: 'object' }, errorStatuses: [503] },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/token/revoke-all/',
      name: 'Token Revoke All',
      description: 'Invalidates every refresh and access token of the authenticated user.',
      authentication: ['jwt'],
      permission: IsAuthenticated,
      throttles: [],
      body: false,
      handler: async (ctx) => {
        const revokedAt = await services.tokens.revokeAll(ctx.credentials!.user.id, services.stores.users);
        return json(200, { revoked_before: revokedAt });
      },
      openapi: {
        summary: 'Revoke all tokens of the current user',
        response: { type: 'object', properties: { revoked_before: { type: 'integer' } } },
      },
    }),
  ];
  if (services.jwks !== null) {
    const document = constantReply(200, services.jwks);
    routes.push(
      defineRoute({
        ...open,
        method: 'GET',
        path: '/.well-known/jwks.json',
        name: 'JWKS',
        description: 'Public keys that verify the tokens this server signs.',
        handler: () => document,
        openapi: { summary: 'JSON Web Key Set', response: { type: 'object' } },
      }),
    );
  }
  return routes;
}
