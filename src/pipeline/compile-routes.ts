/**
 * Turns route definitions into the compiled table the server matches against. Each route gets, once:
 * its authentication schemes resolved, AllowAny compiled away (null: no permission stage), its throttles bound
 * to shared rules, its header block (with `Allow`) pre-encoded. A route whose stages are all empty skips the
 * pipeline entirely.
 */
import { headerBlock, type HeaderBlock } from '../http/respond.js';
import { AllowAny } from '../policies/permissions.js';
import type { ThrottleRegistry } from '../policies/throttles.js';
import { Router } from '../router/router.js';
import { defaultRouteName, type RouteDefinition, type ThrottleSpec } from './define-route.js';
import type { AuthenticationScheme, Handler, Permission, Throttle } from './types.js';

export interface CompiledRoute {
  readonly method: string;
  readonly pattern: string;
  readonly name: string;
  readonly description: string;
  readonly headers: HeaderBlock;
  readonly allow: string;
  /** null: no authentication stage. */
  readonly authenticators: readonly AuthenticationScheme[] | null;
  /** WWW-Authenticate of the first scheme (DRF answers 401 with it, or 403 when the first scheme has none). */
  readonly challenge: string | null;
  /** Public routes may treat invalid credentials as anonymous (off by default, as in DRF). */
  readonly ignoreInvalidCredentials: boolean;
  /** null: AllowAny (no permission stage). */
  readonly permission: Permission | null;
  /** null: no throttle stage. */
  readonly throttles: readonly Throttle[] | null;
  readonly skipPipeline: boolean;
  readonly handler: Handler;
  readonly readsBody: boolean;
  /** Headers to copy for this route (its schemes' and its own), or null: most routes copy none. */
  readonly requestHeaders: readonly string[] | null;
  /** Whether ctx.query is filled (RouteDefinition.query). */
  readonly readsQuery: boolean;
  /** The OPTIONS answer (DRF SimpleMetadata, as the contract records it), encoded once. */
  readonly optionsBody: string;
  readonly definition: RouteDefinition;
}

export interface PipelineDefaults {
  /** DRF DEFAULT_AUTHENTICATION_CLASSES, by scheme name. */
  readonly authentication: readonly string[];
  /** DRF DEFAULT_PERMISSION_CLASSES. */
  readonly permission: Permission;
  /** DRF DEFAULT_THROTTLE_CLASSES. */
  readonly throttles: readonly ThrottleSpec[];
}

export interface CompileEnvironment {
  readonly schemes: ReadonlyMap<string, AuthenticationScheme>;
  readonly defaults: PipelineDefaults;
  readonly throttles: ThrottleRegistry;
  readonly ignoreInvalidCredentialsOnPublicRoutes: boolean;
}

export function compileRoutes(
  definitions: readonly RouteDefinition[],
  env: CompileEnvironment,
): Router<CompiledRoute> {
  // Allow depends on every method of a path, so gather them before building header blocks.
  const methodsByPath = new Map<string, Set<string>>();
  for (const def of definitions) {
    const methods = methodsByPath.get(def.path) ?? new Set<string>();
    for (const m of Array.isArray(def.method) ? def.method : [def.method]) methods.add(m);
    methodsByPath.set(def.path, methods);
  }
  const probe = new Router<null>();
  for (const [path, methods] of methodsByPath) for (const m of methods) probe.add(m, path, null);
  const allowByPath = new Map(
    probe
      .compile()
      .entries()
      .map((e) => [e.pattern, e.allow]),
  );

  const router = new Router<CompiledRoute>();
  for (const def of definitions) {
    const allow = allowByPath.get(def.path)!;
    const headers = headerBlock(allow);
    for (const method of Array.isArray(def.method) ? def.method : [def.method]) {
      router.add(method, def.path, compileRoute(def, method, allow, headers, env));
    }
  }
  return router.compile();
}

function compileRoute(
  def: RouteDefinition,
  method: string,
  allow: string,
  headers: HeaderBlock,
  env: CompileEnvironment,
): CompiledRoute {
  const schemes = (def.authentication ?? env.defaults.authentication).map((s) => {
    if (typeof s !== 'string') return s;
    const scheme = env.schemes.get(s);
    if (scheme === undefined)
      throw new Error(
        `route ${def.path}: unknown authentication scheme "${s}" (known: ${[...env.schemes.keys()].join(', ')})`,
      );
    return scheme;
  });
  const permission = def.permission ?? env.defaults.permission;
  const throttles = (def.throttles ?? env.defaults.throttles).map((t) => env.throttles.compile(t));
  const authenticators = schemes.length > 0 ? Object.freeze(schemes) : null;
  const compiledPermission = permission === AllowAny ? null : permission;
  const compiledThrottles = throttles.length > 0 ? Object.freeze(throttles) : null;
  const requestHeaders = new Set([...schemes.flatMap((s) => s.headers ?? []), ...(def.headers ?? [])]);
  return Object.freeze({
    method,
    pattern: def.path,
    name: def.name ?? defaultRouteName(def.path),
    description: def.description ?? '',
    headers,
    allow,
    authenticators,
    challenge: def.challenge !== undefined ? def.challenge : (schemes[0]?.challenge ?? null),
    ignoreInvalidCredentials: env.ignoreInvalidCredentialsOnPublicRoutes && compiledPermission === null,
    permission: compiledPermission,
    throttles: compiledThrottles,
    skipPipeline: authenticators === null && compiledPermission === null && compiledThrottles === null,
    handler: def.handler,
    readsBody: def.body ?? (method === 'POST' || method === 'PUT' || method === 'PATCH'),
    requestHeaders: requestHeaders.size > 0 ? Object.freeze([...requestHeaders]) : null,
    readsQuery: def.query === true,
    optionsBody: JSON.stringify({
      name: def.name ?? defaultRouteName(def.path),
      description: def.description ?? '',
      renders: ['application/json'],
      parses: ['application/json'],
      ...(def.actions === undefined ? {} : { actions: def.actions }),
    }),
    definition: def,
  });
}
