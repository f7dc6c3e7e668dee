/**
 * Tokens cross between a real Django REST framework + simplejwt deployment (test/fixtures/drf-reference) and
 * the real Gatehouse cluster sharing its signing key and, through `gatehouse user import`, its user table:
 * a token either one issues is accepted by the other, and a refresh token either one issued is refreshed by
 * the other into tokens both accept. This is the migration path of a DRF deployment: clients keep their
 * tokens, users keep their passwords.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GatehouseProcess } from '../support/gatehouse-process.js';
import {
  drfReferenceMissing,
  startBesideReference,
  startDrfReference,
  type DrfReference,
  type ReferenceAndGatehouse,
} from '../support/drf-reference.js';
import { bearer, request } from '../support/http.js';

interface Pair {
  readonly access: string;
  readonly refresh: string;
}

function segments(token: string): { header: string; claims: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: header!,
    claims: JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

const skip = drfReferenceMissing() ?? false;

describe('interoperability with a DRF + simplejwt deployment sharing the signing key', { skip }, () => {
  let servers: ReferenceAndGatehouse | undefined;
  let reference: DrfReference;
  let gatehouse: GatehouseProcess;

  const obtain = async (base: string): Promise<Pair> => {
    const r = await request(`${base}/api/token/`, {
      body: { username: 'alice', password: 'alice-password' },
    });
    assert.equal(r.status, 200, `${base}: ${r.text}`);
    return r.body as Pair;
  };
  const refreshAt = async (base: string, refresh: string): Promise<Pair> => {
    const r = await request(`${base}/api/token/refresh/`, { body: { refresh } });
    assert.equal(r.status, 200, `${base}: ${r.text}`);
    assert.deepEqual(Object.keys(r.body as object), ['access', 'refresh']);
    return r.body as Pair;
  };
  const assertMe = async (base: string, access: string): Promise<void> => {
    const r = await request(`${base}/api/me/`, { headers: bearer(access) });
    assert.equal(r.status, 200, `${base}: ${r.text}`);
    assert.equal(r.text, '{"id":1,"username":"alice","is_staff":false}');
  };
  const assertVerified = async (base: string, token: string): Promise<void> => {
    const r = await request(`${base}/api/token/verify/`, { body: { token } });
    assert.equal(r.status, 200, `${base}: ${r.text}`);
    assert.equal(r.text, '{}');
  };

  before(async () => {
    servers = await startBesideReference([{ username: 'alice', password: 'alice-password' }]);
    ({ reference, gatehouse } = servers);
  });
  after(() => servers?.stop());

  it('issues tokens laid out like the reference: same header segment, claims, order and lifetimes', async () => {
    const theirs = await obtain(reference.url);
    const ours = await obtain(gatehouse.url);
    for (const kind of ['access', 'refresh'] as const) {
      const a = segments(ours[kind]);
      const b = segments(theirs[kind]);
      assert.equal(a.header, b.header);
      assert.deepEqual(Object.keys(a.claims), Object.keys(b.claims));
      assert.equal(a.claims['token_type'], b.claims['token_type']);
      assert.equal(a.claims['user_id'], b.claims['user_id']);
      assert.equal(
        (a.claims['exp'] as number) - (a.claims['iat'] as number),
        (b.claims['exp'] as number) - (b.claims['iat'] as number),
      );
      assert.match(a.claims['jti'] as string, /^[0-9a-f]{32}$/);
    }
  });

  it("accepts the reference's access token, and the reference accepts Gatehouse's", async () => {
    const theirs = await obtain(reference.url);
    const ours = await obtain(gatehouse.url);
    await assertMe(gatehouse.url, theirs.access);
    await assertMe(reference.url, ours.access);
    for (const token of [theirs.access, theirs.refresh]) await assertVerified(gatehouse.url, token);
    for (const token of [ours.access, ours.refresh]) await assertVerified(reference.url, token);
  });

  it("refreshes the reference's refresh token into tokens both accept, and the other way round", async () => {
    const fromReference = await refreshAt(gatehouse.url, (await obtain(reference.url)).refresh);
    await assertMe(reference.url, fromReference.access);
    await assertMe(gatehouse.url, fromReference.access);
    await assertMe(gatehouse.url, (await refreshAt(reference.url, fromReference.refresh)).access);

    const fromGatehouse = await refreshAt(reference.url, (await obtain(gatehouse.url)).refresh);
    await assertMe(gatehouse.url, fromGatehouse.access);
    await assertMe(gatehouse.url, (await refreshAt(gatehouse.url, fromGatehouse.refresh)).access);
  });

  it('rotation on Gatehouse blacklists the rotated token there, whoever issued it', async () => {
    const { refresh } = await obtain(reference.url);
    await refreshAt(gatehouse.url, refresh);
    const again = await request(`${gatehouse.url}/api/token/refresh/`, { body: { refresh } });
    assert.equal(again.status, 401);
    assert.equal(again.text, '{"detail":"Token is blacklisted","code":"token_not_valid"}');
  });

  it('refuses a token the reference signed with another key', async () => {
    const other = await startDrfReference('another-signing-key-0123456789abcdef0123456789', [
      { username: 'alice', password: 'alice-password' },
    ]);
    try {
      const foreign = await obtain(other.url);
      const r = await request(`${gatehouse.url}/api/me/`, { headers: bearer(foreign.access) });
      assert.equal(r.status, 401);
      assert.equal(
        r.text,
        '{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}',
      );
    } finally {
      await other.stop();
    }
  });
});
