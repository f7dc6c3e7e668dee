/**
 * DRF's permission classes and their composition. A permission answers for the request (`hasPermission`, run
 * by the pipeline after authentication) and optionally for one object (`hasObjectPermission`, called by a
 * handler through checkObjectPermission). Composition follows DRF 3.14's operand holders: `and`, `or`, `not`.
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
  return message === undefined ? { hasPermission, hasObjectPermission } : { hasPermission, hasObjectPermission, message };
}

export const AllowAny: Permission = Object.freeze(permission(always));

export const IsAuthenticated: Permission = Object.freeze(permission((ctx) => ctx.credentials !== null));

export const IsAdminUser: Permission = Object.freeze(permission((ctx) => ctx.credentials !== null && ctx.credentials.user.isStaff));

export const IsAuthenticatedOrReadOnly: Permission = Object.freeze(
  permission((ctx) => isSafeMethod(ctx.method) || ctx.credentials !== null),
);

export function and(a: Permission, b: Permission): Permission {
  return permission(
    (ctx) => a.hasPermission(ctx) && b.hasPermission(ctx),
    (ctx, o) => a.hasObjectPermission(ctx, o) && b.hasObjectPermission(ctx, o),
    a.message ?? b.message,
  );
}

/** DRF 3.14 OR: the object check requires one side to grant both the request and the object. */
export function or(a: Permission, b: Permission): Permission {
  return permission(
    (ctx) => a.hasPermission(ctx) || b.hasPermission(ctx),
    (ctx, o) => (a.hasPermission(ctx) && a.hasObjectPermission(ctx, o)) || (b.hasPermission(ctx) && b.hasObjectPermission(ctx, o)),
  );
}

export function not(a: Permission): Permission {
  return permission(
    (ctx) => !a.hasPermission(ctx),
    (ctx, o) => !a.hasObjectPermission(ctx, o),
  );
}

/** Raised by checkObjectPermission; the pipeline turns it into the DRF 401/403 answer. */
export class ObjectPermissionDenied extends Error {
  constructor(readonly permissionMessage: string | undefined) {
    super('object permission denied');
    this.name = 'ObjectPermissionDenied';
  }
}

/** For handlers: DRF's check_object_permissions. Throws ObjectPermissionDenied when not allowed. */
export function checkObjectPermission(ctx: RequestContext, perm: Permission, object: unknown): void {
  if (!perm.hasObjectPermission(ctx, object)) throw new ObjectPermissionDenied(perm.message);
}
