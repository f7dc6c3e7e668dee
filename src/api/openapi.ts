/**
 * GET /api/schema/: an OpenAPI 3.1 document generated from the compiled route table, so it lists exactly what
 * this server answers. Paths and methods come from the router; names, descriptions and schemas from the route
 * definitions (`openapi`); security and the error responses from what each compiled route does:
 *  - 400, 413, 415 when it reads a JSON body;
 *  - 401 when it authenticates (or answers its own 401s, as the token views do), 403 instead when its first
 *    scheme has no challenge (DRF);
 *  - 403 when its permission can refuse an authenticated user;
 *  - 429 when it is throttled;
 *  - whatever the definition declares in `openapi.errorStatuses`.
 * Every operation may also answer 406 and 500, every path 405 for methods it does not list and 301 without
 * its trailing slash; the document says so once, in info.description. Built on the first request, then served
 * as a constant.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config-types.js';
import type { RequestContext } from '../http/request-context.js';
import type { CompiledRoute } from '../pipeline/compile-routes.js';
import { defineRoute, type RouteDefinition } from '../pipeline/define-route.js';
import { constantReply } from '../pipeline/replies.js';
import type { AuthenticationScheme, Reply } from '../pipeline/types.js';
import { METHOD_ORDER, type Router } from '../router/router.js';

export const SCHEMA_PATH = '/api/schema/';

type Json = Record<string, unknown>;

export interface OpenApiSettings {
  /** Words accepted before the token in `Authorization` (the first is documented). */
  readonly authHeaderTypes: readonly string[];
}

const DESCRIPTION = [
  'Authentication, permissions and throttling wire-compatible with Django REST framework + simplejwt.',
  '',
  'Besides the responses listed with each operation, every operation may answer `406` (the `Accept` header',
  'excludes JSON) and `500`; a listed path answers `405` to a method it does not list, `OPTIONS` with its',
  'metadata, `HEAD` like `GET`, and `301` to the same path without its trailing slash. Every response carries',
  '`X-Request-Id`.',
].join('\n');

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request: malformed JSON, a body that is not an object, or field errors',
  401: 'Unauthorized: missing, malformed or refused credentials',
  403: 'Forbidden: the permission refused the request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable: the Accept header excludes JSON',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type: the body is not JSON',
  429: 'Too Many Requests: throttled (see Retry-After)',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const ERROR_RESPONSE_NAMES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'ServerError',
  503: 'ServiceUnavailable',
};

const ERROR_REF = { $ref: '#/components/schemas/Error' };

export function buildOpenApiDocument(router: Router<CompiledRoute>, settings: OpenApiSettings): Json {
  const paths: Json = {};
  const securitySchemes: Json = {};
  const operationIds = new Set<string>();
  const entries = [...router.entries()].sort((a, b) =>
    a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0,
  );
  for (const entry of entries) {
    const item: Json = {};
    if (entry.paramNames.length > 0) {
      item['parameters'] = entry.paramNames.map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
    }
    for (const method of METHOD_ORDER) {
      const route = entry.byMethod.get(method);
      if (route === undefined) continue;
      for (const scheme of route.authenticators ?? [])
        securitySchemes[scheme.name] ??= securitySchemeOf(scheme, settings);
      item[method.toLowerCase()] = operationOf(route, method, uniqueOperationId(operationIds, method, route));
    }
    paths[entry.pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Gatehouse', version: packageVersion(), description: DESCRIPTION },
    paths,
    components: { securitySchemes, schemas: SCHEMAS, responses: errorResponses() },
  };
}

/** The /api/schema/ route. `router` is read on the first request: the route is part of the table it describes. */
export function openApiRoutes(router: () => Router<CompiledRoute>, config: Config): RouteDefinition[] {
  let document: Reply | null = null;
  return [
    defineRoute({
      method: 'GET',
      path: SCHEMA_PATH,
      name: 'Schema',
      description: 'The OpenAPI 3.1 document of this server, generated from its route table.',
      authentication: [],
      throttles: [],
      handler: () =>
        (document ??= constantReply(
          200,
          buildOpenApiDocument(router(), { authHeaderTypes: config.tokens.authHeaderTypes }),
        )),
      openapi: { summary: 'OpenAPI document', response: { type: 'object' } },
    }),
  ];
}

function operationOf(route: CompiledRoute, method: string, operationId: string): Json {
  const declared = route.definition.openapi ?? {};
  const operation: Json = {
    operationId,
    summary: declared.summary ?? route.name,
    tags: [tagOf(route.pattern)],
  };
  if (route.description !== '') operation['description'] = route.description;
  operation['security'] = securityOf(route, method);
  if (route.readsBody) {
    operation['requestBody'] = {
      required: false,
      content: { 'application/json': { schema: declared.requestBody ?? { type: 'object' } } },
    };
  }
  const success = successOf(route, method);
  const responses: Json = {
    [String(success.status)]: {
      description: REASONS[success.status] ?? 'Success',
      content: { [declared.responseContentType ?? 'application/json']: { schema: success.schema } },
    },
  };
  for (const status of errorStatusesOf(route))
    responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSE_NAMES[status]}` };
  operation['responses'] = responses;
  return operation;
}

/**
 * The success status and body. A definition that serves GET and creates with POST (201) is DRF's
 * ListCreateAPIView: its `response` describes one item, so GET answers a list of them.
 */
function successOf(route: CompiledRoute, method: string): { status: number; schema: Json } {
  const declared = route.definition.openapi ?? {};
  const schema = (declared.response ?? {}) as Json;
  if (method === 'GET') {
    const methods = Array.isArray(route.definition.method)
      ? route.definition.method
      : [route.definition.method];
    const listCreate = methods.includes('POST') && declared.successStatus === 201;
    return { status: 200, schema: listCreate ? { type: 'array', items: schema } : schema };
  }
  return { status: declared.successStatus ?? 200, schema };
}

function errorStatusesOf(route: CompiledRoute): number[] {
  const statuses = new Set<number>();
  if (route.readsBody) [400, 413, 415].forEach((s) => statuses.add(s));
  if (route.authenticators !== null || route.challenge !== null)
    statuses.add(route.challenge === null ? 403 : 401);
  // An anonymous request refused on a route with schemes is the 401 above; 403 comes from refusing an
  // authenticated user, or anyone on a route without schemes.
  if (route.permission !== null && (route.authenticators === null || mayRefuseAuthenticated(route)))
    statuses.add(403);
  if (route.throttles !== null) statuses.add(429);
  for (const status of route.definition.openapi?.errorStatuses ?? []) statuses.add(status);
  return [...statuses].filter((s) => ERROR_RESPONSE_NAMES[s] !== undefined).sort((a, b) => a - b);
}

/**
 * OpenAPI security: the route's schemes as alternatives, plus `{}` when its permission lets an anonymous
 * request of this method through (AllowAny, IsAuthenticatedOrReadOnly on GET).
 */
function securityOf(route: CompiledRoute, method: string): Json[] {
  if (route.authenticators === null) return [];
  const requirements: Json[] = route.authenticators.map((scheme) => ({ [scheme.name]: [] }));
  if (route.permission === null || grants(route, probeRequest(method, null))) requirements.push({});
  return requirements;
}

/** Whether the permission refuses a plain authenticated user (not staff): then 403 is possible. */
function mayRefuseAuthenticated(route: CompiledRoute): boolean {
  const user = { id: 1, username: 'user', isActive: true, isStaff: false, isSuperuser: false };
  return !grants(route, probeRequest(route.method, { user, scheme: 'probe', token: null }));
}

/**
 * Shows the permission a stand-in request (method and credentials only). Permissions that read more than
 * that (the /metrics network check) throw on it, and are taken as able to refuse.
 */
function grants(route: CompiledRoute, probe: RequestContext): boolean {
  try {
    return route.permission === null || route.permission.hasPermission(probe);
  } catch {
    return false;
  }
}

function probeRequest(method: string, credentials: RequestContext['credentials']): RequestContext {
  return { method, credentials, user: credentials?.user ?? null } as unknown as RequestContext;
}

function securitySchemeOf(scheme: AuthenticationScheme, settings: OpenApiSettings): Json {
  const word = (scheme.challenge ?? '').split(' ')[0]!;
  if (scheme.name === 'jwt') {
    const type = settings.authHeaderTypes[0] ?? 'Bearer';
    if (type === 'Bearer')
      return {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A simplejwt access token (POST /api/token/).',
      };
    return {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: `\`${type} <access token>\` (simplejwt AUTH_HEADER_TYPES).`,
    };
  }
  if (word === 'Basic') return { type: 'http', scheme: 'basic' };
  if (word === 'Bearer') return { type: 'http', scheme: 'bearer' };
  const header = scheme.headers?.[0] ?? 'Authorization';
  return {
    type: 'apiKey',
    in: 'header',
    name: header,
    description: `Authentication scheme "${scheme.name}".`,
  };
}

function tagOf(pattern: string): string {
  if (pattern.startsWith('/api/token/')) return 'tokens';
  if (pattern.startsWith('/api/')) return 'api';
  return 'platform';
}

function uniqueOperationId(taken: Set<string>, method: string, route: CompiledRoute): string {
  const words = `${method.toLowerCase()} ${route.name}`.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const base = words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}${n}`;
  taken.add(id);
  return id;
}

const SCHEMAS: Json = {
  Error: {
    type: 'object',
    description: 'DRF / simplejwt error body.',
    required: ['detail'],
    properties: {
      detail: { type: 'string' },
      code: { type: 'string' },
      messages: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            token_class: { type: 'string' },
            token_type: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
  },
  ValidationError: {
    type: 'object',
    description: "Field errors in the serializer's field order, or `non_field_errors`.",
    additionalProperties: { type: 'array', items: { type: 'string' } },
  },
};

function errorResponses(): Json {
  const json = (schema: Json) => ({ 'application/json': { schema } });
  const responses: Json = {};
  for (const [status, name] of Object.entries(ERROR_RESPONSE_NAMES)) {
    const code = Number(status);
    const response: Json = {
      description: REASONS[code]!,
      content: json(
        code === 400 ? { oneOf: [ERROR_REF, { $ref: '#/components/schemas/ValidationError' }] } : ERROR_REF,
      ),
    };
    if (code === 401)
      response['headers'] = {
        'WWW-Authenticate': {
          description: "The challenge of the route's first scheme.",
          schema: { type: 'string' },
        },
      };
    if (code === 429)
      response['headers'] = {
        'Retry-After': {
          description: 'Seconds until a request would be admitted.',
          schema: { type: 'integer' },
        },
      };
    responses[name] = response;
  }
  return responses;
}

let version: string | null = null;

/** The version in package.json (dist/src/api/openapi.js → the package root). */
function packageVersion(): string {
  if (version === null) {
    try {
      version =
        (
          JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
            version?: string;
          }
        ).version ?? '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
