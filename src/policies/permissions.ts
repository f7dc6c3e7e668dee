/**
 * DRF's permission classes and their composition. A permission answers for the request (`hasPermission`, run
 * by the pipeline after authentication) and optionally for one object (`hasObjectPermission`, called by a
 * handler through checkObjectPermission, as DRF's get_object() calls check_object_permissions).
 *
 * Composition follows DRF 3.14's operand holders (`A & B`, `A | B`, `~A`), including two details people trip on:
 *  - OR's object check asks each side for both the request and the object, so `or(IsAdminUser, IsOwner)` does
 *    not let a non-admin through on IsAdminUser's default "every object is fine";
 *  - a composed permission has no message of its own (DRF's AND/OR/NOT carry none), so a denial answers the
 *    default 403 text; give the composition a message with withMessage().
 */
import type { RequestContext } from '../http/request-context.js';
import type { Permission } from '../pipeline/types.js';

/** GET, HEAD and OPTIONS: DRF's SAFE_METHODS. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

const always = (): boolean => true;

/** Builds a permission from plain functions; the object-level check defaults to "allowed", as in DRF. */
export function permission(
  hasPermission: (ctx: RequestContext) => boolean,
  hasObjectPermission: (ctx: RequestContext, object: unknown) => boolean = always,
  message?: string,
): Permission {
  return Object.freeze(
    message === undefined
      ? { hasPermission, hasObjectPermission }
      : { hasPermission, hasObjectPermission, message },
  );
}

/** A custom permission, DRF-style: override what you need; both checks default to "allowed". */
export interface PermissionDefinition<T = unknown> {
  /** The 403 detail when this permission refuses (DRF's `message`). */
  readonly message?: string;
  hasPermission?(ctx: RequestContext): boolean;
  hasObjectPermission?(ctx: RequestContext, object: T): boolean;
}

export function definePermission<T = unknown>(definition: PermissionDefinition<T>): Permission {
  const has = definition.hasPermission?.bind(definition) ?? always;
  const hasObject =
    (definition.hasObjectPermission?.bind(definition) as
      ((ctx: RequestContext, object: unknown) => boolean) | undefined) ?? always;
  if (definition.message !== undefined && typeof definition.message !== 'string')
    throw new TypeError('a permission message must be a string');
  return permission(has, hasObject, definition.message);
}

/** The same permission answering `message` when it refuses. */
export function withMessage(base: Permission, message: string): Permission {
  return permission(
    (ctx) => base.hasPermission(ctx),
    (ctx, o) => base.hasObjectPermission(ctx, o),
    message,
  );
}

export const AllowAny: Permission = permission(always);

export const IsAuthenticated: Permission = permission((ctx) => ctx.credentials !== null);

export const IsAdminUser: Permission = permission(
  (ctx) => ctx.credentials !== null && ctx.credentials.user.isStaff,
);

export const IsAuthenticatedOrReadOnly: Permission = permission(
  (ctx) => isSafeMethod(ctx.method) || ctx.credentials !== null,
);

/** DRF `A & B & …`: every permission must grant, for the request and for the object. */
export function and(first: Permission, second: Permission, ...rest: Permission[]): Permission {
  const both = permission(
    (ctx) => first.hasPermission(ctx) && second.hasPermission(ctx),
    (ctx, o) => first.hasObjectPermission(ctx, o) && second.hasObjectPermission(ctx, o),
  );
  return rest.length === 0 ? both : and(both, rest[0]!, ...rest.slice(1));
}

/** DRF 3.14 `A | B | …`: the object check requires one side to grant both the request and the object. */
export function or(first: Permission, second: Permission, ...rest: Permission[]): Permission {
  const either = permission(
    (ctx) => first.hasPermission(ctx) || second.hasPermission(ctx),
    (ctx, o) =>
      (first.hasPermission(ctx) && first.hasObjectPermission(ctx, o)) ||
      (second.hasPermission(ctx) && second.hasObjectPermission(ctx, o)),
  );
  return rest.length === 0 ? either : or(either, rest[0]!, ...rest.slice(1));
}

/** DRF `~A`: grants what A refuses, for the request and for the object. */
export function not(base: Permission): Permission {
  return permission(
    (ctx) => !base.hasPermission(ctx),
    (ctx, o) => !base.hasObjectPermission(ctx, o),
  );
}

/** Raised by checkObjectPermission; the server turns it into DRF's 401/403 answer for the route. */
export class ObjectPermissionDenied extends Error {
  constructor(readonly permissionMessage: string | undefined) {
    super('object permission denied');
    this.name = 'ObjectPermissionDenied';
  }
}

/**
 * For handlers: DRF's check_object_permissions. Throws ObjectPermissionDenied when `perm` refuses `object`;
 * thrown from a handler (or rejected from an async one), it is answered like a refused request: 401 for an
 * anonymous request on a route with schemes, else 403 with the permission's message.
 */
export function checkObjectPermission(ctx: RequestContext, perm: Permission, object: unknown): void {
  if (!perm.hasObjectPermission(ctx, object)) throw new ObjectPermissionDenied(perm.message);
}
