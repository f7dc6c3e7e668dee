/**
 * DRF's permission classes and their composition, as truth tables: every built-in over anonymous / user / staff
 * and every method; and/or/not over every combination of request and object answers of their operands,
 * against DRF 3.14's definitions written out below.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AllowAny,
  and,
  checkObjectPermission,
  definePermission,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  isSafeMethod,
  not,
  ObjectPermissionDenied,
  or,
  permission,
  withMessage,
} from '../../../src/policies/permissions.js';
import type { Permission } from '../../../src/pipeline/types.js';
import { ALICE, fakeContext, STAFF } from '../pipeline/fake-context.js';

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const WHO = { anonymous: null, user: ALICE, staff: STAFF } as const;

describe('built-in permissions', () => {
  const expected: Record<string, (who: keyof typeof WHO, method: string) => boolean> = {
    AllowAny: () => true,
    IsAuthenticated: (who) => who !== 'anonymous',
    IsAdminUser: (who) => who === 'staff',
    IsAuthenticatedOrReadOnly: (who, method) =>
      who !== 'anonymous' || ['GET', 'HEAD', 'OPTIONS'].includes(method),
  };
  const permissions: Record<string, Permission> = {
    AllowAny,
    IsAuthenticated,
    IsAdminUser,
    IsAuthenticatedOrReadOnly,
  };

  for (const [name, perm] of Object.entries(permissions)) {
    it(`${name}: request-level truth table, and every object allowed`, () => {
      for (const who of Object.keys(WHO) as (keyof typeof WHO)[]) {
        for (const method of METHODS) {
          const ctx = fakeContext({ method, credentials: WHO[who] });
          assert.equal(perm.hasPermission(ctx), expected[name]!(who, method), `${name} ${who} ${method}`);
          // DRF's BasePermission.has_object_permission returns True.
          assert.equal(perm.hasObjectPermission(ctx, {}), true);
        }
      }
    });
  }

  it('IsAdminUser reads is_staff, not is_superuser', () => {
    const superuserNotStaff = {
      user: { id: 3, username: 's', isActive: true, isStaff: false, isSuperuser: true },
      scheme: 'jwt',
      token: null,
    };
    assert.equal(IsAdminUser.hasPermission(fakeContext({ credentials: superuserNotStaff })), false);
  });

  it('knows the safe methods', () => {
    assert.deepEqual(METHODS.filter(isSafeMethod), ['GET', 'HEAD', 'OPTIONS']);
    assert.equal(isSafeMethod('get'), false);
  });
});

describe('composition (DRF 3.14 AND / OR / NOT)', () => {
  /** A permission whose answers are fixed: [request, object]. */
  const fixed = (request: boolean, object: boolean): Permission =>
    permission(
      () => request,
      () => object,
    );
  const BOOLS = [false, true];
  const ctx = fakeContext();

  it('and: both for the request, both for the object', () => {
    for (const [ar, ao, br, bo] of combinations(4)) {
      const p = and(fixed(ar, ao), fixed(br, bo));
      assert.equal(p.hasPermission(ctx), ar && br);
      assert.equal(p.hasObjectPermission(ctx, null), ao && bo);
    }
  });

  it('or: either for the request; for the object, one side granting both request and object', () => {
    for (const [ar, ao, br, bo] of combinations(4)) {
      const p = or(fixed(ar, ao), fixed(br, bo));
      assert.equal(p.hasPermission(ctx), ar || br);
      assert.equal(
        p.hasObjectPermission(ctx, null),
        (ar && ao) || (br && bo),
        `a=(${ar},${ao}) b=(${br},${bo})`,
      );
    }
  });

  it('not: the negation of both answers', () => {
    for (const r of BOOLS) {
      for (const o of BOOLS) {
        const p = not(fixed(r, o));
        assert.equal(p.hasPermission(ctx), !r);
        assert.equal(p.hasObjectPermission(ctx, null), !o);
      }
    }
  });

  it('and/or over more operands fold from the left like A & B & C', () => {
    for (const bits of combinations(3)) {
      const ps = bits.map((b) => fixed(b, b));
      assert.equal(and(ps[0]!, ps[1]!, ps[2]!).hasPermission(ctx), bits.every(Boolean));
      assert.equal(or(ps[0]!, ps[1]!, ps[2]!).hasPermission(ctx), bits.some(Boolean));
    }
  });

  it('or(IsAdminUser, IsOwner) does not let a non-admin through on IsAdminUser’s permissive object check', () => {
    const IsOwner = definePermission<{ owner: number }>({
      hasObjectPermission: (c, o) => c.credentials?.user.id === o.owner,
    });
    const p = or(IsAdminUser, and(IsAuthenticated, IsOwner));
    const alice = fakeContext({ credentials: ALICE });
    assert.equal(p.hasPermission(alice), true);
    assert.equal(p.hasObjectPermission(alice, { owner: 1 }), true);
    assert.equal(p.hasObjectPermission(alice, { owner: 99 }), false);
    assert.equal(p.hasObjectPermission(fakeContext({ credentials: STAFF }), { owner: 99 }), true);
  });

  it('composed permissions carry no message (DRF 3.14); withMessage gives one', () => {
    const custom = definePermission({ message: 'No.', hasPermission: () => false });
    assert.equal(and(custom, IsAuthenticated).message, undefined);
    assert.equal(or(custom, custom).message, undefined);
    assert.equal(not(custom).message, undefined);
    const named = withMessage(and(custom, IsAuthenticated), 'Composed no.');
    assert.equal(named.message, 'Composed no.');
    assert.equal(named.hasPermission(ctx), false);
  });
});

describe('custom permissions', () => {
  it('definePermission: both checks default to allowed, methods see their object', () => {
    const open = definePermission({});
    assert.equal(open.hasPermission(fakeContext()), true);
    assert.equal(open.hasObjectPermission(fakeContext(), 1), true);
    const evenOnly = definePermission<number>({
      message: 'Odd objects are not yours.',
      hasObjectPermission(_ctx, n) {
        return n % 2 === 0;
      },
    });
    assert.equal(evenOnly.hasObjectPermission(fakeContext(), 2), true);
    assert.equal(evenOnly.hasObjectPermission(fakeContext(), 3), false);
    assert.equal(evenOnly.message, 'Odd objects are not yours.');
    assert.throws(() => definePermission({ message: 42 as unknown as string }), TypeError);
  });

  it('checkObjectPermission throws ObjectPermissionDenied with the permission message, or passes', () => {
    const evenOnly = definePermission<number>({
      message: 'Odd.',
      hasObjectPermission: (_c, n) => n % 2 === 0,
    });
    checkObjectPermission(fakeContext(), evenOnly, 4);
    assert.throws(
      () => checkObjectPermission(fakeContext(), evenOnly, 3),
      (error: unknown) => error instanceof ObjectPermissionDenied && error.permissionMessage === 'Odd.',
    );
    assert.throws(
      () => checkObjectPermission(fakeContext(), not(AllowAny), 3),
      (error: unknown) => error instanceof ObjectPermissionDenied && error.permissionMessage === undefined,
    );
  });

  it('built-in permissions are frozen', () => {
    for (const p of [AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly])
      assert.ok(Object.isFrozen(p));
  });
});

function combinations(n: number): boolean[][] {
  const out: boolean[][] = [];
  for (let mask = 0; mask < 1 << n; mask++)
    out.push(Array.from({ length: n }, (_, i) => ((mask >> i) & 1) === 1));
  return out;
}
